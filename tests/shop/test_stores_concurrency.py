"""Row locks of the store area, proved with real threads on PostgreSQL (SQLite serialises writes anyway)."""

import threading

import pytest
from django.db import connection

from portal.exceptions import IllegalTransition
from portal.models import AuditEntry
from shop.models import DepositEntry, Store
from shop.services import stores as services
from shop.services.deposit import deposit_record_transfer
from tests.shop.store_helpers import approved_store, staff, submitted_store

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls) -> list:
    """Run each call in its own thread and connection, released together; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_transfers_at_once_record_one_pay_and_one_transition():
    store = approved_store()
    finance = staff("finance")
    run_together(
        lambda: deposit_record_transfer(store=store, amount=100_000, ref="BANK-A", by=finance),
        lambda: deposit_record_transfer(store=store, amount=100_000, ref="BANK-B", by=finance),
    )
    store.refresh_from_db()
    assert store.status == "deposit_paid"
    assert sorted(DepositEntry.objects.filter(store=store).values_list("kind", flat=True)) == ["pay", "top_up"]
    assert AuditEntry.objects.filter(object_id=store.pk, transition="mark_deposit_paid").count() == 1


def test_two_reviewers_deciding_at_once_one_wins():
    store = submitted_store()
    reviewer = staff("reviewer")
    results = run_together(
        lambda: services.store_approve(store=store, by=reviewer),
        lambda: services.store_reject(store=store, reasons={"bank_permit": "模糊"}, by=reviewer),
    )
    assert sum(isinstance(r, Store) for r in results) == 1
    assert sum(isinstance(r, IllegalTransition) for r in results) == 1
    decisions = AuditEntry.objects.filter(
        object_id=store.pk, transition__in=["approve", "reject"], content_type__model="store"
    )
    assert decisions.count() == 1
