"""Money of after-sales: what an item may still refund, issuing a refund, closing an unshipped order fully refunded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext as _

from portal.exceptions import Conflict, ValidationFailed
from portal.models import Payment, PaymentStatus
from portal.payments.services import refund_create
from shop.services.orders.items import (
    order_close_if_fully_refunded,
    order_item_lock,
    order_item_refund_record,
    order_item_refundable,
)

from ..models import (
    MONEY_TYPES,
    OPEN_STATUSES,
    AftersalesRequest,
)

if TYPE_CHECKING:
    from shop.models import OrderItem


def _in_flight(item: OrderItem, exclude_pk: int | None = None) -> int:
    qs = AftersalesRequest.objects.filter(item=item, type__in=MONEY_TYPES, status__in=OPEN_STATUSES)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(s=Sum("amount"))["s"] or 0


def refundable_amount(item: OrderItem, exclude_pk: int | None = None) -> int:
    """What may still be asked for on the item: paid − refunded − open money requests (call under the item's lock)."""
    return max(order_item_refundable(item) - _in_flight(item, exclude_pk), 0)


def _check_amount(*, item: OrderItem, type: str, amount: int, exclude_pk: int | None = None) -> int:
    if type not in MONEY_TYPES:
        return 0
    available = refundable_amount(item, exclude_pk)
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("退款金额必须大于 0。")]}, code="invalid_amount")
    if amount > available:
        raise ValidationFailed(
            _("退款金额超过可退金额。"),
            code="refund_exceeds_paid",
            fields={"amount": [_("最多可退 %(amount).2f 元。") % {"amount": available / 100}]},
        )
    return amount


def _issue_refund(*, req: AftersalesRequest, amount: int, by) -> None:
    """Refund through the payment adapter, book it on the item; cancel an unshipped order fully refunded."""
    item = order_item_lock(item_id=req.item_id)
    amount = min(amount, order_item_refundable(item))
    if amount <= 0:
        raise Conflict(_("该商品已无可退金额。"), code="nothing_to_refund")
    payment = Payment.objects.filter(
        purpose="order", reference=req.order.order_sn, status=PaymentStatus.SUCCEEDED
    ).first()
    if payment is None:
        raise Conflict(_("未找到该订单的支付记录，无法退款。"), code="payment_not_found")
    req.refund = refund_create(
        payment=payment, amount=amount, reference=req.request_sn, reason=str(req.get_reason_display()), by=by
    )
    req.refunded_amount = amount
    req.save(update_fields=["refund", "refunded_amount", "updated_at"])
    order_item_refund_record(item=item, amount=amount)
    _cancel_order_if_fully_refunded(order_id=req.order_id, by=by)


def _cancel_order_if_fully_refunded(*, order_id: int, by) -> None:
    """Before shipment a refund cancels the order once every item is refunded (shop decides and cancels)."""
    order_close_if_fully_refunded(order_id=order_id, reason=_("买家售后退款，订单关闭"), by=by)
