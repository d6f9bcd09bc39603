"""Cancelling an order cancels its booked parcel (after commit with the courier); a picked-up parcel refuses it."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from aftersales.services.refunds import _cancel_order_if_fully_refunded
from portal.exceptions import Conflict, IllegalTransition
from portal.models import AuditEntry
from shipping import services
from shipping.carriers.base import CourierUpdate
from shipping.models import SandboxParcel, Shipment
from shop.models import Order
from shop.services.orders import cancel_unshipped_past_hard_limit, order_cancel
from tests.conftest import force_status

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


def booked(store, *, status="requested", **kwargs):
    """A paid order booked online (the courier answered with a waybill), its shipment in `status`."""
    order = paid_order(store, **kwargs)
    shipment = book(store, [order]).shipments.get()
    services.booking_dispatch(booking_id=shipment.booking_id)
    shipment.refresh_from_db()
    if status != "requested":
        force_status(shipment, status)
    return order, shipment


def picked_up(shipment):
    services.shipment_apply_update(
        courier=shipment.courier,
        update=CourierUpdate(
            message_id=f"got-{shipment.pk}", kind="track", waybill_no=shipment.waybill_no,
            occurred_at=timezone.now(), action="GOT", description="已揽收", real_weight_g=900,
        ),
    )  # fmt: skip
    shipment.refresh_from_db()
    return shipment


def past_hard_limit():
    return timezone.now() + settings.PORTAL_TIME_RULES["late_shipping_hard_limit"] + timedelta(hours=1)


def audit(obj, to_state):
    return AuditEntry.objects.filter(object_id=obj.pk, object_repr=str(obj), to_state=to_state)


def snapshot(order, shipment):
    order.refresh_from_db()
    shipment.refresh_from_db()
    return order.status, shipment.status, AuditEntry.objects.count(), SandboxParcel.objects.get().stage


@pytest.mark.parametrize("status", ["requested", "confirmed"])
def test_cancelling_a_booked_order_cancels_its_parcel_and_tells_the_courier_after_commit(
    store, sender, status, django_capture_on_commit_callbacks
):
    # given a paid order booked online, its parcel awaiting the courier
    order, shipment = booked(store, status=status)
    parcel = SandboxParcel.objects.get(waybill_no=shipment.waybill_no)
    assert parcel.stage == "booked"
    # when the merchant cancels the order
    with django_capture_on_commit_callbacks() as callbacks:
        order_cancel(order=order, reason="缺货", by="merchant")
    # then the courier is not told inside the transaction, only after commit
    parcel.refresh_from_db()
    assert parcel.stage == "booked"
    for callback in callbacks:
        callback()
    parcel.refresh_from_db()
    assert parcel.stage == "cancelled"
    # and the order and its shipment are cancelled, each with its audit row
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == "cancelled" and shipment.status == "cancelled"
    assert audit(order, "cancelled").get().actor_label == "merchant"
    assert audit(shipment, "cancelled").get().reason == "订单已取消"


def test_cancelling_twice_is_refused_and_changes_nothing(store, sender, django_capture_on_commit_callbacks):
    # given a booked order the buyer cancelled
    order, shipment = booked(store)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, reason="不想要了", by="buyer:b1")
    before = snapshot(order, shipment)
    # when it is cancelled again
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(IllegalTransition):
        order_cancel(order=order, reason="不想要了", by="buyer:b1")
    # then nothing changes and the courier is not called again
    assert snapshot(order, shipment) == before and not callbacks


def test_the_hard_limit_sweep_cancels_the_booked_parcel(store, sender, django_capture_on_commit_callbacks):
    # given a booked order paid longer ago than the hard limit, still not picked up
    order, shipment = booked(store, status="confirmed")
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now())
    # when the sweep runs past the hard limit
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_unshipped_past_hard_limit(now=past_hard_limit()) == 1
    # then the order and its parcel are cancelled, and the courier was told
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == "cancelled" and shipment.status == "cancelled"
    assert SandboxParcel.objects.get().stage == "cancelled"
    assert audit(shipment, "cancelled").get().actor_label == "system"


def test_a_full_aftersales_refund_before_shipment_cancels_the_booked_parcel(
    store, sender, django_capture_on_commit_callbacks
):
    # given a booked order whose every item was refunded
    order, shipment = booked(store)
    order.items.update(refunded_amount=order.items.get().paid_amount)
    # when after-sales closes the order
    with django_capture_on_commit_callbacks(execute=True):
        _cancel_order_if_fully_refunded(order_id=order.pk, by="merchant")
    # then its parcel is cancelled too
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.status == "cancelled" and shipment.status == "cancelled"
    assert SandboxParcel.objects.get().stage == "cancelled"


def test_an_order_whose_parcel_was_picked_up_is_shipped_and_cannot_be_cancelled(
    store, sender, django_capture_on_commit_callbacks
):
    # given a booked order whose parcel the courier picked up (the order is then shipped)
    order, shipment = booked(store, status="confirmed")
    picked_up(shipment)
    before = snapshot(order, shipment)
    assert before[:2] == ("shipped", "picked_up")
    # when it is cancelled: the order state machine refuses, nothing changes
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IllegalTransition):
        order_cancel(order=order, reason="缺货", by="merchant")
    assert snapshot(order, shipment) == before


def test_a_picked_up_parcel_refuses_the_cancellation_of_an_order_still_paid(
    store, sender, django_capture_on_commit_callbacks
):
    # given a parcel picked up while the order was under a risk hold (the order stays paid)
    order, shipment = booked(store, status="confirmed")
    Order.objects.filter(pk=order.pk).update(risk_hold=True, paid_at=timezone.now())
    picked_up(shipment)
    before = snapshot(order, shipment)
    assert before[:2] == ("paid", "picked_up")
    # when the merchant cancels it: refused with a clear message, nothing changes
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Conflict) as exc:
        order_cancel(order=order, reason="缺货", by="merchant")
    assert exc.value.code == "parcel_picked_up" and "揽收" in exc.value.message
    assert snapshot(order, shipment) == before and not callbacks
    # and the hard-limit sweep skips it without stopping
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_unshipped_past_hard_limit(now=past_hard_limit()) == 0
    assert snapshot(order, shipment) == before


def test_a_weighed_parcel_not_yet_picked_up_refuses_the_cancellation(store, sender):
    # given a booked parcel the courier weighed before its pickup scan
    order, shipment = booked(store, status="confirmed")
    Shipment.objects.filter(pk=shipment.pk).update(real_weight_g=900)
    before = snapshot(order, shipment)
    # when the order is cancelled: refused, nothing changes
    with pytest.raises(Conflict):
        order_cancel(order=order, reason="缺货", by="merchant")
    assert snapshot(order, shipment) == before
