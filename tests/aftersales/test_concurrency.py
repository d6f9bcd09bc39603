"""Concurrent requests on one item cannot over-refund (row lock on the OrderItem), on PostgreSQL with threads."""

import threading

import pytest
from django.db import connections

from aftersales import services
from aftersales.models import AftersalesRequest
from portal.exceptions import DomainError
from portal.models import Refund
from tests.aftersales.conftest import make_order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def run_concurrently(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except DomainError as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_requests_cannot_exceed_what_was_paid(store):
    order = make_order(store, prices=(5990,))
    item = order.items.get()

    results = run_concurrently(
        6,
        lambda i: services.aftersales_open(
            order=order,
            item_id=item.pk,
            buyer_ref=order.buyer_ref,
            type="refund_only",
            reason="quality",
            amount=2000,
            by="b",
        ),
    )
    opened = [r for r in results if isinstance(r, AftersalesRequest)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(opened) == 2 and len(refused) == 4  # 2 × 2000 ≤ 5990 < 3 × 2000
    assert all(e.code == "refund_exceeds_paid" for e in refused)
    assert sum(AftersalesRequest.objects.values_list("amount", flat=True)) == 4000


def test_concurrent_approvals_refund_once(store, merchant):
    order = make_order(store)
    req = services.aftersales_open(
        order=order,
        item_id=order.items.get().pk,
        buyer_ref=order.buyer_ref,
        type="refund_only",
        reason="quality",
        amount=5990,
        by="b",
    )
    results = run_concurrently(4, lambda i: services.aftersales_approve(request=req, by=merchant))
    assert sum(isinstance(r, AftersalesRequest) for r in results) == 1
    assert Refund.objects.count() == 1
    item = order.items.get()
    assert item.refunded_amount == 5990
