"""Placing and paying an order (DESIGN.md: Order).

Validate, price, reserve stock, open the payment; the payment-succeeded hook moves the order on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.fsm import transition
from portal.models import Payment, PaymentStatus
from portal.payments import on_payment_succeeded
from portal.payments.services import checkout_url, payment_create, refund_create
from portal.rows import JoinedRead
from shop.models import GroupBuy, Order, OrderItem, Sku, Store
from shop.models.catalog import SERVICE_FLAGS, ProductStatus
from shop.models.orders import BuyMode, GroupStatus, OrderStatus, new_order_sn
from shop.services.pricing import price_order
from shop.services.promotions import (
    coupon_mark_used,
    discount_redeem,
)

from .common import PAYMENT_PURPOSE, _emit_paid, _ship_within, _validate_recipient
from .groups import _group_for, _group_form
from .lifecycle import _cancel_locked

REFUND_NONE = 1  # DOMAIN.md refund status: 1 none or closed

# Every placement reads its SKUs with their products: one statement built once.
_SKU_READ = JoinedRead(Sku, ["product"])


@dataclass(frozen=True)
class LineIn:
    sku_id: int
    quantity: int


@transaction.atomic
def order_place(
    *,
    store: Store,
    buyer_ref: str,
    lines: list[LineIn],
    recipient_name: str,
    recipient_phone: str,
    province: str,
    city: str,
    district: str,
    street: str,
    buy_mode: str = BuyMode.SINGLE,
    group_id: int | None = None,
    buyer_note: str = "",
    coupon_code: str = "",
    by,
) -> Order:
    """Place an order for a buyer: validate, price (promotions, coupon), reserve stock atomically (never
    oversold), record the discounted units and mark the coupon used."""
    if not store.is_open():
        raise Conflict(_("店铺未营业，不能下单。"), code="store_not_open")
    _validate_recipient(recipient_phone, province, city, district)
    if not lines or any(line.quantity < 1 for line in lines):
        raise ValidationFailed(_("请至少购买一件商品。"), fields={"items": [_("数量至少为 1。")]})
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        quantities[line.sku_id] += line.quantity
    marks = ", ".join(["%s"] * len(quantities))
    skus = {s.pk: s for s in _SKU_READ.fetch(f"t0.id IN ({marks}) AND t1.store_id = %s", [*quantities, store.pk])}
    if len(skus) != len(quantities):
        raise ValidationFailed(_("商品不存在。"), code="unknown_sku", fields={"items": [_("有商品不属于该店铺。")]})
    if any(s.product.status != ProductStatus.ON_SALE for s in skus.values()):
        raise Conflict(_("商品未在售。"), code="product_not_on_sale", fields={"items": [_("有商品未在售。")]})
    _check_limits(store=store, buyer_ref=buyer_ref, skus=skus, quantities=quantities)

    group = None
    if buy_mode == BuyMode.GROUP:
        group = _group_for(store=store, buyer_ref=buyer_ref, skus=list(skus.values()), group_id=group_id)
    elif group_id:
        raise ValidationFailed(_("单独购买不能加入拼团。"), fields={"group_id": [_("仅拼团购买可填写。")]})

    quote = price_order(
        store=store,
        lines=[(skus[pk], qty) for pk, qty in quantities.items()],
        buy_mode=buy_mode,
        buyer_ref=buyer_ref,
        coupon_code=coupon_code or None,
    )
    _reserve_stock(quantities)
    order = _create_order(
        order_sn=new_order_sn(),
        store=store,
        buyer_ref=buyer_ref,
        buy_mode=buy_mode,
        group=group,
        coupon_code=coupon_code,
        recipient_name=recipient_name,
        recipient_phone=recipient_phone,
        province=province,
        city=city,
        district=district,
        street=street,
        buyer_note=buyer_note,
        goods_amount=quote.goods_amount,
        discount_amount=quote.discount_amount,
        **{f"{funder}_discount": amount for funder, amount in quote.discount_shares().items()},
        postage=quote.postage,
        paid_amount=quote.paid_amount,
        discounts=quote.discounts,
        cross_border=any(line.sku.product.is_cross_border for line in quote.lines),
        **{flag: any(getattr(line.sku.product, flag) for line in quote.lines) for flag in SERVICE_FLAGS},
    )
    items = OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            sku=line.sku,
            product_title=line.sku.product.title,
            sku_spec=" / ".join(str(v) for v in line.sku.spec.values())[:100],
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            paid_amount=line.paid_amount,
        )
        for line in quote.lines
    )
    if any(d["kind"] == "limited_time" for d in quote.discounts):
        discount_redeem(quote=quote, order=order, by=by)
    if quote.coupon_claim_id:
        coupon_mark_used(claim_id=quote.coupon_claim_id, order=order, by=by)
    return _in_hand(order, items)


def _in_hand(order: Order, items: list[OrderItem]) -> Order:
    """The placed order as `order_list` would load it, from the objects in hand (no re-read): its items as
    the prefetched relation, its group already set, and the platform refund status of a new order (none)."""
    prefetched = OrderItem.objects.filter(order=order)
    prefetched._result_cache = items
    prefetched._prefetch_done = True  # type: ignore[attr-defined]  # what prefetch_related leaves behind
    order.__dict__.update(
        _prefetched_objects_cache={"items": prefetched}, refund_status=REFUND_NONE, in_aftersales=False
    )
    return order


def _create_order(**fields) -> Order:
    """Insert the order; the unique constraint on `order_sn` is the only check (15 random digits a day:
    a collision is practically never, and then the whole placement rolls back with a 409 to retry)."""
    try:
        return Order.objects.create(**fields)
    except IntegrityError as exc:
        if "order_sn" not in str(exc):
            raise
        raise Conflict(_("订单号冲突，请重试。"), code="order_sn_collision") from exc


def _check_limits(*, store: Store, buyer_ref: str, skus: dict[int, Sku], quantities: dict[int, int]) -> None:
    per_product: dict[int, int] = defaultdict(int)
    for pk, qty in quantities.items():
        per_product[skus[pk].product_id] += qty
    products = {s.product_id: s.product for s in skus.values()}
    for product_id, qty in per_product.items():
        limit = products[product_id].per_order_limit
        if limit and qty > limit:
            raise ValidationFailed(
                _("超过每单限购数量。"),
                code="per_order_limit",
                fields={"items": [_("“%(t)s”每单限购 %(n)d 件。") % {"t": products[product_id].title, "n": limit}]},
            )
    limited = [pid for pid, p in products.items() if p.per_buyer_limit]
    if not limited:
        return
    bought = dict(
        OrderItem.objects.filter(order__store=store, order__buyer_ref=buyer_ref, sku__product_id__in=limited)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list("sku__product_id")
        .annotate(n=Sum("quantity"))
    )
    for pid in limited:
        if bought.get(pid, 0) + per_product[pid] > products[pid].per_buyer_limit:
            raise ValidationFailed(
                _("超过每人限购数量。"),
                code="per_buyer_limit",
                fields={
                    "items": [
                        _("“%(t)s”每人限购 %(n)d 件。") % {"t": products[pid].title, "n": products[pid].per_buyer_limit}
                    ]
                },
            )


_STOCK_TAKE = f"UPDATE {Sku._meta.db_table} SET stock = stock - %s WHERE id = %s AND stock >= %s"


def _reserve_stock(quantities: dict[int, int]) -> None:
    """Conditional decrement per SKU in a stable order: no oversell and no deadlock under concurrency."""
    with connection.cursor() as cursor:
        for sku_id in sorted(quantities):
            cursor.execute(_STOCK_TAKE, [quantities[sku_id], sku_id, quantities[sku_id]])
            if not cursor.rowcount:
                raise Conflict(_("库存不足。"), code="out_of_stock", fields={"items": [_("库存不足。")]})


@transaction.atomic
def order_pay(*, order: Order, by) -> tuple[Payment, str]:
    """Open (or reuse) the order's payment; returns it with the checkout URL the buyer goes to."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise IllegalTransition(_("订单当前状态不能支付。"), code="not_payable")
    payment = Payment.objects.filter(
        purpose=PAYMENT_PURPOSE, reference=order.order_sn, status=PaymentStatus.PENDING
    ).first() or payment_create(
        purpose=PAYMENT_PURPOSE, reference=order.order_sn, amount=order.paid_amount, store_id=order.store_id
    )
    return payment, checkout_url(payment)


@on_payment_succeeded(PAYMENT_PURPOSE, payer="buyer")
def _order_payment_succeeded(payment: Payment, by: str) -> None:
    """Single buy → paid; group buy → grouping (the group forms when full). Late payments are refunded."""
    order = Order.objects.select_for_update().get(order_sn=payment.reference)
    if order.status != OrderStatus.PENDING_PAYMENT:
        refund_create(payment=payment, amount=payment.amount, reference=order.order_sn, reason=_("订单已关闭"), by=by)
        return
    if order.buy_mode == BuyMode.SINGLE:
        transition(order, "pay", by=by, ship_within=_ship_within(order))
        _emit_paid(order)
        return
    assert order.group_id is not None  # a group order names its group
    group = GroupBuy.objects.select_for_update().get(pk=order.group_id)
    if group.status != GroupStatus.OPEN or group.expires_at <= timezone.now():
        _cancel_locked(order, reason=_("拼团已结束，自动退款"), by=by)  # was unpaid: refund this payment here
        refund_create(payment=payment, amount=payment.amount, reference=order.order_sn, reason=_("拼团已结束"), by=by)
        return
    transition(order, "pay_into_group", by=by)
    if group.orders.filter(status=OrderStatus.GROUPING).count() >= group.size:
        _group_form(group, by=by)
