"""What the order services share: the payment purpose, the time rules, the paid-order notice, stock release."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.events import emit
from portal.exceptions import ValidationFailed
from portal.models import Payment, PaymentStatus, mainland_mobile
from portal.regions import validate_address
from shop.models import Order, OrderItem, Sku

PAYMENT_PURPOSE = "order"
# The reference of the refund that makes a group leader's order free (团长免单): a promotion paid out, not an
# after-sales or cancellation refund, so the order's platform refund status leaves it out.
LEADER_FREE_REFUND_PREFIX = "leader-free:"


def _succeeded_payment(order: Order) -> Payment | None:
    """The buyer's succeeded payment of the order (what a cancellation or a 团长免单 refunds), if any."""
    return Payment.objects.filter(
        purpose=PAYMENT_PURPOSE, reference=order.order_sn, status=PaymentStatus.SUCCEEDED
    ).first()


def _rules() -> dict:
    return settings.PORTAL_TIME_RULES


def _order_url(order: Order) -> str:
    return reverse("shop:order_detail", args=[order.order_sn])


def _release_stock(order: Order) -> None:
    for sku_id, qty in sorted(order.items.values_list("sku_id", "quantity")):
        Sku.objects.filter(pk=sku_id).update(stock=F("stock") + qty)


def _release_stock_many(order_ids: list[int]) -> None:
    """Give back the stock of many cancelled orders: each SKU's summed quantity in one GROUP BY, the SKUs locked
    in id order (as placement locks them, so no deadlock), then one UPDATE adding each SKU's sum (a CASE over
    the batch's SKUs, not a correlated subquery per SKU)."""
    per_sku = dict(
        OrderItem.objects.filter(order_id__in=order_ids)
        .order_by()
        .values("sku_id")
        .annotate(n=Sum("quantity"))
        .values_list("sku_id", "n")
    )
    if not per_sku:
        return
    list(Sku.objects.select_for_update().filter(pk__in=per_sku).order_by("pk").values_list("pk", flat=True))
    Sku.objects.filter(pk__in=per_sku).update(
        stock=F("stock") + Case(*(When(pk=pk, then=Value(n)) for pk, n in per_sku.items()), default=Value(0))
    )


def _ship_within(order: Order) -> timedelta:
    """The order's ship-by window: cross-border direct mail's, else the strictest (earliest) of its products'."""
    if order.cross_border:
        return _rules()["cross_border_ship_by"]
    hours = order.items.values_list("sku__product__ship_within_hours", flat=True)
    return timedelta(hours=min(hours)) if hours else _rules()["ship_by"]


def _validate_recipient(phone: str, province: str, city: str, district: str) -> None:
    """The recipient of a placed order or of a changed address: a mainland mobile and a known region."""
    try:
        mainland_mobile(phone)
    except ValidationError as exc:
        raise ValidationFailed(_("收件人手机号无效。"), fields={"recipient_phone": exc.messages})
    validate_address(province, city, district)


def _order_event(order: Order, type: str, title: str, **data) -> dict:
    """One order event's `emit` arguments: the title a person reads, the order's link, `data` for webhooks."""
    return {
        "type": type,
        "store_id": order.store_id,
        "title": title,
        "url": _order_url(order),
        "data": {"order_sn": order.order_sn, **data},
    }


def _completed_event(order: Order) -> dict:
    return _order_event(order, "order.completed", _("订单 %(sn)s 交易成功") % {"sn": order.order_sn})


def _emit_paid(order: Order) -> None:
    emit(
        type="order.paid",
        store_id=order.store_id,
        title=_("新订单 %(sn)s 已支付") % {"sn": order.order_sn},
        body=_("实付 ¥%(amount).2f，请在承诺时间内发货。") % {"amount": order.paid_amount / 100},
        url=_order_url(order),
        data={"order_sn": order.order_sn, "paid_amount": order.paid_amount},
    )
