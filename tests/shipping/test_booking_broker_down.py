"""Issue 13 · a booking submitted while the broker is down loses nothing: the page answers, the failed enqueue
is counted, and the dispatch_pending sweep sends the booking to the courier later."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.metrics import ENQUEUE_FAILURES
from shipping import services
from shipping.models import Booking, Shipment
from tests.portal.test_trust_outbox import broker_down  # noqa: F401 - the fixture

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


def failures() -> float:
    return ENQUEUE_FAILURES.labels("shipping.tasks.booking_dispatch_task")._value.get()


@pytest.mark.usefixtures("broker_down")
def test_booking_with_the_broker_down_is_kept_and_dispatched_by_the_sweep(store, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(3)]
    before = failures()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders)
    assert failures() == before + 1
    booking.refresh_from_db()
    assert booking.dispatched_at is None and not Shipment.objects.exclude(waybill_no="").exists()
    Booking.objects.filter(pk=booking.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert services.bookings_dispatch_pending() == 1
    assert Shipment.objects.filter(booking=booking).exclude(waybill_no="").count() == 3
    assert services.bookings_dispatch_pending() == 0
