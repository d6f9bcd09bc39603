"""Every write of the order state machine (DESIGN.md: Order)."""

from __future__ import annotations

from django.db import transaction

from portal.fsm import transition
from shop.models import Order


@transaction.atomic
def order_ship(*, order: Order, courier_code: str, waybill_no: str, by, via: str = "self") -> Order:
    """Mark a paid order shipped (self-ship waybill, or a booked shipment picked up). Audited."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.courier_code = courier_code
    order.waybill_no = waybill_no
    transition(order, "ship", by=by, reason=f"{via}: {courier_code} {waybill_no}", data={"via": via})
    return order


@transaction.atomic
def order_deliver(*, order: Order, by) -> Order:
    """The parcel was signed for."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    transition(order, "deliver", by=by)
    return order
