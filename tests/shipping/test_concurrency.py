"""Two concurrent bookings of one order: exactly one wins (row locks on the orders + unique active shipment)."""

import threading

import pytest
from django.db import connection

from portal.exceptions import DomainError
from shipping.models import Shipment

from .conftest import book, make_sender, paid_order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_two_concurrent_bookings_of_one_order_exactly_one_wins(store):
    orders = [paid_order(store) for _ in range(5)]
    make_sender(store)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(courier: str) -> None:
        try:
            barrier.wait()
            book(store, orders, courier=courier)
            outcomes.append("booked")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in ("ZTO", "YTO")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_booked", "booked"]
    assert Shipment.objects.count() == 5
    assert Shipment.objects.values("booking").distinct().count() == 1
