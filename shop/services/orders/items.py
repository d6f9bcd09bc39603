"""Order items as other apps may touch them: locked, refunded and closed through shop, never by their fields.

After-sales refunds items one by one: it locks the item here, books each refund here, and asks shop to
close an unshipped order once every item is refunded.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from portal.exceptions import Conflict
from shop.models import Order, OrderItem
from shop.models.orders import OrderStatus

from .lifecycle import order_cancel_transition


def order_item_lock(*, item_id: int, order_id: int | None = None) -> OrderItem | None:
    """Lock one item row (with its order, SKU and product loaded); None if it is not in that order.

    Lock order everywhere: after-sales request → item → order."""
    qs = OrderItem.objects.select_for_update(of=("self",)).select_related("order", "sku__product").filter(pk=item_id)
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    return qs.first()


def order_item_refundable(item: OrderItem) -> int:
    """What of the item was paid and is not refunded yet (fen)."""
    return max(item.paid_amount - item.refunded_amount, 0)


def order_item_refund_record(*, item: OrderItem, amount: int) -> int:
    """Book a refund of at most what is left on the (locked) item; returns the amount booked."""
    amount = min(amount, order_item_refundable(item))
    if amount <= 0:
        raise Conflict(_("该商品已无可退金额。"), code="nothing_to_refund")
    item.refunded_amount += amount
    item.save(update_fields=["refunded_amount"])
    return amount


@transaction.atomic
def order_close_if_fully_refunded(*, order_id: int, reason: str, by) -> bool:
    """Before shipment, an order whose every item is refunded is cancelled (returns whether it was).

    Not order_cancel: that refunds the whole payment, and these items were refunded one by one; so this
    runs only order_cancel_transition (the FSM cancel and the cancel hooks: a booked parcel is cancelled
    too, and a picked-up one refuses, rolling the refund back)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PAID:
        return False
    if all(i.refunded_amount >= i.paid_amount for i in order.items.all()):
        order_cancel_transition(order=order, reason=reason, by=by)
        return True
    return False
