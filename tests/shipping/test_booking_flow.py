"""Booking end to end through the sandbox courier: requested → confirmed → picked up → … → delivered."""

import pytest

from portal.models import AuditEntry, Event
from shipping.carriers import sandbox
from shipping.models import Shipment, TrackingEvent
from shipping.selectors import has_pickup_scan, unbooked_orders

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


def tick_until(status, shipments, max_ticks=10):
    for _ in range(max_ticks):
        sandbox.tick()
        if all(Shipment.objects.get(pk=s.pk).status == status for s in shipments):
            return
    raise AssertionError(f"never reached {status}")


def test_a_booking_moves_every_order_from_paid_to_delivered(
    store, sender, fast_sandbox, django_capture_on_commit_callbacks
):
    # given three paid orders
    orders = [paid_order(store) for _ in range(3)]
    # when they are booked (the courier is called after commit)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders)
    shipments = list(booking.shipments.order_by("id"))
    # then each has a waybill in the courier's format and a 6-digit parcel code, and they left 未下单
    assert all(s.status == "requested" and s.waybill_no.startswith("7") and len(s.parcel_code) == 6 for s in shipments)
    assert list(unbooked_orders(store)) == []
    # when the sandbox confirms
    with django_capture_on_commit_callbacks(execute=True):
        tick_until("confirmed", shipments)
    s = Shipment.objects.get(pk=shipments[0].pk)
    assert s.outlet and s.courier_staff_name and s.courier_staff_phone and s.confirmed_at
    assert Event.objects.filter(type="shipment.confirmed").count() == 1  # one per booking, not per parcel
    # when it collects: the order is shipped with the waybill
    with django_capture_on_commit_callbacks(execute=True):
        tick_until("picked_up", shipments)
    for order, shipment in zip(orders, shipments, strict=True):
        order.refresh_from_db()
        shipment.refresh_from_db()
        assert order.status == "shipped" and order.waybill_no == shipment.waybill_no
        assert shipment.real_weight_g and shipment.real_price
        assert has_pickup_scan("ZTO", shipment.waybill_no)
    for status in ("in_transit", "out_for_delivery", "delivered"):
        with django_capture_on_commit_callbacks(execute=True):
            tick_until(status, shipments)
    orders[0].refresh_from_db()
    assert orders[0].status == "delivered"
    assert list(TrackingEvent.objects.filter(shipment=shipments[0]).values_list("action", flat=True)) == [
        "GOT", "DEPARTURE", "ARRIVAL", "SEND", "SIGN",
    ]  # fmt: skip
    transitions = AuditEntry.objects.filter(object_id=shipments[0].pk, content_type__model="shipment")
    assert [a.transition for a in transitions] == ["confirm", "pick_up", "depart", "send_out", "sign"]
