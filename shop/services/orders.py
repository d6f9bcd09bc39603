"""Every write of the order state machine (DESIGN.md: Order): place, pay, group buys, cancel, ship,
re-ship, deliver, confirm receipt, compensations, risk hold, and the deadline rules the sweeps enforce."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit
from portal.exceptions import Conflict, DomainError, IllegalTransition, ValidationFailed
from portal.fsm import transition
from portal.models import Payment, PaymentStatus, mainland_mobile
from portal.payments import on_payment_succeeded
from portal.payments.services import checkout_url, payment_create, refund_create
from portal.regions import validate_address
from shipping.waybills import WAYBILL_FORMATS, validate_waybill
from shop.models import Compensation, GroupBuy, Order, OrderItem, Sku, Store
from shop.models.catalog import ProductStatus
from shop.models.orders import BuyMode, CompensationKind, GroupStatus, OrderStatus, new_order_sn
from shop.services.deposit import deposit_deduct
from shop.services.pricing import price_order
from shop.services.promotions import (
    coupon_grant,
    coupon_mark_used,
    coupon_release,
    discount_redeem,
    discount_release,
)

logger = logging.getLogger(__name__)
PAYMENT_PURPOSE = "order"

# The shipping app answers "which of these self-shipped orders has a pickup scan?" (tracking events):
# set it to a function taking orders and returning the ids of those with a pickup (GOT) scan.
# Until it is set, the fake-shipping rule cannot judge and flags nothing.
PICKUP_SCAN_LOOKUP: Callable[[list[Order]], set[int]] | None = None

# Run, keyword-only as hook(order=..., by=...), inside the transaction of every order cancellation,
# right after the order's cancel transition (the order is locked). The shipping app registers the
# cancellation of the order's booked parcel; a hook refuses by raising a DomainError, which rolls
# the whole cancellation back.
ORDER_CANCELLED_HOOKS: list[Callable[..., object]] = []


@dataclass(frozen=True)
class LineIn:
    sku_id: int
    quantity: int


def _rules() -> dict:
    return settings.PORTAL_TIME_RULES


def _order_url(order: Order) -> str:
    return reverse("shop:order_detail", args=[order.order_sn])


# --- place and pay ---------------------------------------------------------------------------------


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
    try:
        mainland_mobile(recipient_phone)
    except ValidationError as exc:
        raise ValidationFailed(_("收件人手机号无效。"), fields={"recipient_phone": exc.messages})
    validate_address(province, city, district)
    if not lines or any(line.quantity < 1 for line in lines):
        raise ValidationFailed(_("请至少购买一件商品。"), fields={"items": [_("数量至少为 1。")]})
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        quantities[line.sku_id] += line.quantity
    skus = {s.pk: s for s in Sku.objects.select_related("product").filter(pk__in=quantities, product__store=store)}
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
    order = Order.objects.create(
        order_sn=_unique_sn(),
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
        postage=quote.postage,
        paid_amount=quote.paid_amount,
        discounts=quote.discounts,
    )
    OrderItem.objects.bulk_create(
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
    discount_redeem(quote=quote, order=order, by=by)
    if quote.coupon_claim_id:
        coupon_mark_used(claim_id=quote.coupon_claim_id, order=order, by=by)
    return order


def _unique_sn() -> str:
    while True:
        sn = new_order_sn()
        if not Order.objects.filter(order_sn=sn).exists():
            return sn


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


def _group_for(*, store: Store, buyer_ref: str, skus: list[Sku], group_id: int | None) -> GroupBuy:
    """The group to join (locked and checked), or a new one the buyer leads."""
    if len({s.product_id for s in skus}) != 1:
        raise ValidationFailed(_("拼团订单只能包含一种商品。"), fields={"items": [_("拼团只能购买一种商品。")]})
    product = skus[0].product
    if group_id is None:
        return GroupBuy.objects.create(
            store=store,
            product=product,
            leader_ref=buyer_ref,
            size=product.group_size,
            expires_at=timezone.now() + _rules()["group_window"],
        )
    group = GroupBuy.objects.select_for_update().filter(pk=group_id, store=store).first()
    if group is None or group.product_id != product.pk:
        raise ValidationFailed(_("拼团不存在。"), code="unknown_group", fields={"group_id": [_("拼团不存在。")]})
    members = list(group.orders.exclude(status=OrderStatus.CANCELLED).values_list("buyer_ref", "status"))
    paid = [ref for ref, status in members if status == OrderStatus.GROUPING]
    if group.status != GroupStatus.OPEN or group.expires_at <= timezone.now() or len(paid) >= group.size:
        raise Conflict(_("该拼团已结束。"), code="group_closed", fields={"group_id": [_("该拼团已结束。")]})
    if group.leader_ref not in paid:
        raise Conflict(
            _("团长尚未支付，暂不能参团。"), code="group_not_open", fields={"group_id": [_("团长尚未支付。")]}
        )
    if buyer_ref in {ref for ref, _status in members}:
        raise Conflict(_("您已在该拼团中。"), code="already_in_group", fields={"group_id": [_("您已在该拼团中。")]})
    return group


def _reserve_stock(quantities: dict[int, int]) -> None:
    """Conditional decrement per SKU in a stable order: no oversell and no deadlock under concurrency."""
    for sku_id in sorted(quantities):
        if not Sku.objects.filter(pk=sku_id, stock__gte=quantities[sku_id]).update(
            stock=F("stock") - quantities[sku_id]
        ):
            raise Conflict(_("库存不足。"), code="out_of_stock", fields={"items": [_("库存不足。")]})


def _release_stock(order: Order) -> None:
    for sku_id, qty in sorted(order.items.values_list("sku_id", "quantity")):
        Sku.objects.filter(pk=sku_id).update(stock=F("stock") + qty)


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


@on_payment_succeeded(PAYMENT_PURPOSE)
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
    group = GroupBuy.objects.select_for_update().get(pk=order.group_id)
    if group.status != GroupStatus.OPEN or group.expires_at <= timezone.now():
        _cancel_locked(order, reason=_("拼团已结束，自动退款"), by=by)  # was unpaid: refund this payment here
        refund_create(payment=payment, amount=payment.amount, reference=order.order_sn, reason=_("拼团已结束"), by=by)
        return
    transition(order, "pay_into_group", by=by)
    if group.orders.filter(status=OrderStatus.GROUPING).count() >= group.size:
        _group_form(group, by=by)


def _ship_within(order: Order) -> timedelta:
    """The order's ship-by window: the strictest (earliest) of its products'."""
    hours = order.items.values_list("sku__product__ship_within_hours", flat=True)
    return timedelta(hours=min(hours)) if hours else _rules()["ship_by"]


def _emit_paid(order: Order) -> None:
    emit(
        type="order.paid",
        store_id=order.store_id,
        title=_("新订单 %(sn)s 已支付") % {"sn": order.order_sn},
        body=_("实付 ¥%(amount).2f，请在承诺时间内发货。") % {"amount": order.paid_amount / 100},
        url=_order_url(order),
        data={"order_sn": order.order_sn, "paid_amount": order.paid_amount},
    )


# --- group buys ------------------------------------------------------------------------------------


def _group_form(group: GroupBuy, *, by) -> None:
    """Group full: it forms and every paid order in it becomes to-ship (caller holds the group lock)."""
    transition(group, "form", by=by)
    for order in Order.objects.select_for_update().filter(group=group, status=OrderStatus.GROUPING).order_by("pk"):
        transition(order, "form_group", by=by, ship_within=_ship_within(order))
        _emit_paid(order)
    emit(
        type="group.formed",
        store_id=group.store_id,
        title=_("拼团成功"),
        body=_("拼团 G%(id)s 已成团。") % {"id": group.pk},
        data={"group_id": group.pk},
    )


@transaction.atomic
def group_fail(*, group: GroupBuy, by) -> GroupBuy:
    """The window closed before the group filled: cancel (and refund) every live order in it."""
    group = GroupBuy.objects.select_for_update().get(pk=group.pk)
    transition(group, "fail", by=by, reason=_("拼团超时未成团"))
    live = Order.objects.select_for_update().filter(
        group=group, status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING]
    )
    refunded = 0
    for order in live.order_by("pk"):
        refunded += order.status == OrderStatus.GROUPING
        _cancel_locked(order, reason=_("拼团失败"), by=by)
    if not refunded:
        return group  # nobody had paid (the leader never did): nothing to tell the merchant
    emit(
        type="group.failed",
        store_id=group.store_id,
        title=_("拼团失败"),
        body=_("拼团 G%(id)s 未在时限内成团，已全部退款。") % {"id": group.pk},
        data={"group_id": group.pk},
    )
    return group


# --- cancel ----------------------------------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order: Order, reason: str, by) -> Order:
    """Cancel before shipment: release stock, refund what was paid. Grouping orders end with their group."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.GROUPING:
        raise IllegalTransition(_("拼团中的订单不能取消，拼团结束后自动处理。"), code="grouping")
    if not reason.strip():
        raise ValidationFailed(_("请填写取消原因。"), fields={"reason": [_("请填写取消原因。")]})
    _cancel_locked(order, reason=reason, by=by)
    return order


def order_cancel_transition(*, order: Order, reason: str, by) -> Order:
    """The one place an order is cancelled: its FSM cancel, then ORDER_CANCELLED_HOOKS (a booked parcel
    is cancelled with it, or the cancellation is refused once the parcel was picked up).

    The caller holds the order's row lock inside its transaction and settles stock, promotions and money.
    """
    transition(order, "cancel", by=by, reason=reason, cancel_reason=reason)
    for hook in ORDER_CANCELLED_HOOKS:
        hook(order=order, by=by)
    return order


def _cancel_locked(order: Order, *, reason: str, by) -> None:
    """Cancel a locked order: stock, discounted units and coupon go back; what was paid is refunded."""
    order_cancel_transition(order=order, reason=reason, by=by)
    _release_stock(order)
    discount_release(order=order, by=by)
    coupon_release(order=order, by=by)
    if not order.paid_at:
        return  # nothing was paid: no refund, and nothing the merchant must act on
    payment = Payment.objects.filter(
        purpose=PAYMENT_PURPOSE, reference=order.order_sn, status=PaymentStatus.SUCCEEDED
    ).first()
    if payment is not None:
        refund_create(payment=payment, amount=payment.amount, reference=order.order_sn, reason=reason, by=by)
    emit(
        type="order.cancelled",
        store_id=order.store_id,
        title=_("订单 %(sn)s 已取消") % {"sn": order.order_sn},
        body=reason,
        url=_order_url(order),
        data={"order_sn": order.order_sn, "reason": reason},
    )


# --- ship, re-ship, deliver, receipt ----------------------------------------------------------------


def courier_choices() -> list[str]:
    """Courier codes a merchant may self-ship with (the shipping app's Courier model will replace this)."""
    return list(WAYBILL_FORMATS)


def _checked_waybill(courier_code: str, waybill_no: str) -> str:
    if courier_code not in WAYBILL_FORMATS:
        raise ValidationFailed(_("请选择快递公司。"), fields={"courier_code": [_("不支持的快递公司。")]})
    return validate_waybill(courier_code, waybill_no)


@transaction.atomic
def order_ship(*, order: Order, courier_code: str, waybill_no: str, by, via: str = "self") -> Order:
    """Mark a paid order shipped (self-ship waybill, or a booked shipment picked up). Audited.

    Self-ship validates the waybill against the courier's format; orders under a risk hold cannot ship.
    Reporting the same courier and waybill again is a no-op (idempotent for webhooks and retries).
    """
    if via == "self":
        waybill_no = _checked_waybill(courier_code, waybill_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.shipped_at and (order.courier_code, order.waybill_no) == (courier_code, waybill_no):
        return order  # the same shipment reported again (webhook or client retry): nothing changes
    if order.risk_hold:
        raise Conflict(_("订单风控审核中，暂不能发货。"), code="risk_hold")
    transition(
        order,
        "ship",
        by=by,
        reason=f"{via}: {courier_code} {waybill_no}",
        data={"via": via},
        courier_code=courier_code,
        waybill_no=waybill_no,
        via=via,
    )
    return order


@transaction.atomic
def order_reship(*, order: Order, courier_code: str, waybill_no: str, by) -> Order:
    """Change the courier or waybill of a shipped order (a separate, audited action)."""
    waybill_no = _checked_waybill(courier_code, waybill_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if (order.courier_code, order.waybill_no) == (courier_code, waybill_no):
        raise ValidationFailed(_("快递公司和运单号均未改变。"), fields={"waybill_no": [_("运单号未改变。")]})
    before = f"{order.courier_code} {order.waybill_no}"
    transition(
        order,
        "reship",
        by=by,
        reason=f"{before} → {courier_code} {waybill_no}",
        data={"from": before, "to": f"{courier_code} {waybill_no}"},
        courier_code=courier_code,
        waybill_no=waybill_no,
    )
    return order


@transaction.atomic
def order_deliver(*, order: Order, by) -> Order:
    """The parcel was signed for (a repeated report of it changes nothing)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.delivered_at or order.status == OrderStatus.COMPLETED:
        return order  # already signed for, or the buyer confirmed receipt first
    transition(order, "deliver", by=by)
    return order


@transaction.atomic
def order_confirm_receipt(*, order: Order, by, reason: str = "") -> Order:
    """The buyer confirms receipt (or the window ran out): the order completes."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    transition(order, "complete", by=by, reason=reason)
    return order


@transaction.atomic
def order_extend_receipt(*, order: Order, by) -> Order:
    """The buyer extends the auto-confirm window once."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.receipt_extended:
        raise IllegalTransition(_("只能延长收货一次。"), code="already_extended")
    transition(order, "extend_receipt", by=by)
    return order


@transaction.atomic
def order_set_risk_hold(*, order: Order, hold: bool, reason: str = "", by) -> Order:
    """Platform staff put an order under risk review (it cannot ship) or release it."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.risk_hold == hold:
        return order
    transition(order, "set_risk_hold", by=by, reason=reason, data={"risk_hold": hold}, hold=hold)
    return order


# --- compensations ---------------------------------------------------------------------------------


def compensation_amount(kind: str, paid_amount: int) -> int:
    """DOMAIN.md: late ¥3 (1% capped at ¥30 above ¥300); complaint 10% within ¥5–¥100; fake ¥20."""
    rules = settings.PORTAL_COMPENSATION_RULES
    if kind == CompensationKind.LATE_SHIPPING:
        if paid_amount > rules["late_shipping_rate_above"]:
            return min(paid_amount * rules["late_shipping_permille"] // 1000, rules["late_shipping_cap"])
        return rules["late_shipping_flat"]
    if kind == CompensationKind.NOT_SHIPPED:
        share = paid_amount * rules["not_shipped_permille"] // 1000
        return max(rules["not_shipped_min"], min(share, rules["not_shipped_max"]))
    return rules["fake_shipping"]


def _compensate(order: Order, kind: str, *, by) -> Compensation | None:
    """Record the compensation once per order and kind, give the buyer its no-threshold coupon, then try to settle
    it from the deposit."""
    try:
        with transaction.atomic():
            compensation = Compensation.objects.create(
                store_id=order.store_id,
                order=order,
                buyer_ref=order.buyer_ref,
                kind=kind,
                amount=compensation_amount(kind, order.paid_amount),
            )
    except IntegrityError:
        return None  # already compensated for this
    compensation.coupon = coupon_grant(
        store=order.store,
        buyer_ref=order.buyer_ref,
        amount=compensation.amount,
        reason=_("订单 %(sn)s %(kind)s赔付") % {"sn": order.order_sn, "kind": compensation.get_kind_display()},
        by=by,
    )
    compensation.save(update_fields=["coupon"])
    _settle(compensation, by=by)
    emit(
        type="order.late_shipping" if kind == CompensationKind.LATE_SHIPPING else "order.compensated",
        store_id=order.store_id,
        title=_("订单 %(sn)s 产生赔付：%(kind)s") % {"sn": order.order_sn, "kind": compensation.get_kind_display()},
        body=_("赔付 ¥%(amount).2f 给买家，从保证金扣除。") % {"amount": compensation.amount / 100},
        url=_order_url(order),
        data={"order_sn": order.order_sn, "kind": kind, "amount": compensation.amount},
    )
    return compensation


def _settle(compensation: Compensation, *, by) -> bool:
    """Deduct the compensation from the store's deposit; if the ledger refuses, it stays pending for staff."""
    try:
        with transaction.atomic():
            deposit_deduct(
                store=compensation.store,
                amount=compensation.amount,
                reason=_("订单 %(sn)s %(kind)s赔付")
                % {"sn": compensation.order.order_sn, "kind": compensation.get_kind_display()},
                by=by,
                ref=f"compensation:{compensation.pk}",
            )
            transition(compensation, "settle", by=by)
    except DomainError:
        return False
    return True


@transaction.atomic
def compensation_settle(*, compensation: Compensation, by) -> Compensation:
    compensation = Compensation.objects.select_for_update().select_related("store", "order").get(pk=compensation.pk)
    if not _settle(compensation, by=by):
        raise Conflict(_("保证金暂不能扣除。"), code="deposit_unavailable")
    return compensation


@transaction.atomic
def compensation_waive(*, compensation: Compensation, reason: str, by) -> Compensation:
    compensation = Compensation.objects.select_for_update().get(pk=compensation.pk)
    transition(compensation, "waive", by=by, reason=reason)
    return compensation


@transaction.atomic
def order_complain_not_shipped(*, order: Order, by) -> Compensation:
    """The buyer complains that a paid order is still unshipped past the complaint window."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PAID or timezone.now() < order.ship_clock_at + _rules()["not_shipped_complaint"]:
        raise IllegalTransition(_("订单尚未超过可投诉的未发货时限。"), code="complaint_too_early")
    compensation = _compensate(order, CompensationKind.NOT_SHIPPED, by=by)
    if compensation is None:
        raise Conflict(_("该订单已投诉过。"), code="already_complained")
    return compensation


# --- deadline rules (run by shop.sweeps; each one set-based and idempotent) ---------------------------


def _each_locked(ids: Iterable[int], still: dict, action: Callable[[Order], None]) -> int:
    """Run `action` on each order (locked) that still matches `still`; returns how many changed.

    An order the action refuses (a DomainError, e.g. its parcel was picked up) is rolled back, logged
    and skipped: one order never stops the sweep.
    """
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                order = Order.objects.select_for_update().filter(pk=pk, **still).first()
                if order is not None:
                    action(order)
                    done += 1
        except DomainError as exc:
            logger.warning("sweep skipped order %s: %s", pk, exc.message)
    return done


def cancel_unpaid(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    still = {"status": OrderStatus.PENDING_PAYMENT, "created_at__lte": now - _rules()["unpaid_auto_cancel"]}
    ids = list(Order.objects.filter(**still).values_list("pk", flat=True))
    return _each_locked(ids, still, lambda o: _cancel_locked(o, reason=_("超时未支付，自动取消"), by="system"))


def fail_expired_groups(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    groups = GroupBuy.objects.filter(status=GroupStatus.OPEN, expires_at__lte=now)
    done = 0
    for group in groups:
        with transaction.atomic():
            if GroupBuy.objects.select_for_update().filter(pk=group.pk, status=GroupStatus.OPEN).exists():
                group_fail(group=group, by="system")
                done += 1
    return done


@transaction.atomic
def warn_ship_by_near(*, now: datetime | None = None) -> int:
    """Remind each store once per order when to-ship orders near their ship-by time (one message per store)."""
    now = now or timezone.now()
    due = list(
        Order.objects.select_for_update()
        .filter(
            status=OrderStatus.PAID,
            ship_by_warned_at__isnull=True,
            ship_by__gt=now,
            ship_by__lte=now + _rules()["ship_by_near"],
        )
        .values_list("pk", "store_id", "order_sn")
    )
    Order.objects.filter(pk__in=[pk for pk, _store, _sn in due]).update(ship_by_warned_at=now)
    by_store: dict[int, list[str]] = defaultdict(list)
    for _pk, store_id, sn in due:
        by_store[store_id].append(sn)
    for store_id, numbers in by_store.items():
        emit(
            type="order.ship_by_near",
            store_id=store_id,
            title=_("%(n)d 个订单即将超过发货时限") % {"n": len(numbers)},
            body=", ".join(numbers[:10]),
            url=reverse("shop:order_list") + "?tab=paid",
            data={"order_sns": numbers},
        )
    return len(due)


def compensate_late_shipping(*, now: datetime | None = None) -> int:
    """Paid orders past ship-by, and orders shipped after it, each compensated once."""
    now = now or timezone.now()
    late = Order.objects.filter(Q(status=OrderStatus.PAID, ship_by__lt=now) | Q(shipped_at__gt=F("ship_by"))).exclude(
        compensations__kind=CompensationKind.LATE_SHIPPING
    )
    count = 0
    for order in late:
        with transaction.atomic():
            count += _compensate(order, CompensationKind.LATE_SHIPPING, by="system") is not None
    return count


def cancel_unshipped_past_hard_limit(*, now: datetime | None = None) -> int:
    """Paid orders still unshipped past the hard limit (from payment or group formation): cancel and refund."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.PAID)
        .annotate(clock=Coalesce("grouped_at", "paid_at"))
        .filter(clock__lte=now - _rules()["late_shipping_hard_limit"])
        .values_list("pk", flat=True)
    )
    reason = _("超过发货最终时限未发货，自动取消并退款")
    return _each_locked(ids, {"status": OrderStatus.PAID}, lambda o: _cancel_locked(o, reason=reason, by="system"))


def auto_confirm_receipt(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    still = {"status__in": [OrderStatus.SHIPPED, OrderStatus.DELIVERED], "receipt_deadline__lte": now}
    ids = list(Order.objects.filter(**still).values_list("pk", flat=True))
    return _each_locked(ids, still, lambda o: order_confirm_receipt(order=o, by="system", reason=_("超时自动确认收货")))


def fake_shipping_check(*, now: datetime | None = None, lookup: Callable[[list[Order]], set[int]] | None = None) -> int:
    """Self-shipped waybills with no pickup scan within the window are fake shipping: flag and compensate."""
    lookup = lookup or PICKUP_SCAN_LOOKUP
    if lookup is None:
        return 0
    now = now or timezone.now()
    still = {
        "status__in": [OrderStatus.SHIPPED, OrderStatus.DELIVERED],
        "shipped_via": "self",
        "fake_shipping_at__isnull": True,
        "waybill_at__lte": now - _rules()["fake_shipping_no_scan"],
    }
    candidates = list(Order.objects.filter(**still).exclude(compensations__kind=CompensationKind.FAKE_SHIPPING))
    scanned = lookup(candidates) if candidates else set()

    def flag(order: Order) -> None:
        transition(order, "flag_fake_shipping", by="system", reason=_("运单号 24 小时内无揽收记录"))
        _compensate(order, CompensationKind.FAKE_SHIPPING, by="system")

    return _each_locked([o.pk for o in candidates if o.pk not in scanned], still, flag)
