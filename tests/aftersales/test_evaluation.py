"""DSR arithmetic, daily snapshots, evaluation thresholds, warnings and suspension proposals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import services
from aftersales.models import DsrSnapshot
from aftersales.selectors import dsr
from aftersales.services.evaluation import dsr_snapshot_all
from portal.exceptions import IllegalTransition
from portal.models import Event
from shop.models import EvaluationRule, StoreEvaluation, SuspensionProposal
from shop.services.evaluation import (
    evaluation_run,
    store_metrics,
    suspension_confirm,
    suspension_dismiss,
)
from tests.aftersales.conftest import make_order
from tests.aftersales.test_reviews import review

pytestmark = pytest.mark.django_db


def test_rules_are_seeded_by_migration():
    assert EvaluationRule.objects.count() == 8
    assert EvaluationRule.objects.get(metric="dsr_description").threshold == Decimal("4.60")


def test_dsr_is_a_rolling_average_over_the_window(store, other_store, time_machine):
    review(make_order(store), scores=(5, 4, 3))
    time_machine.move_to(timezone.now() + timedelta(days=10))
    review(make_order(store), scores=(4, 4, 4))
    review(make_order(store), scores=(2, 5, 4))
    review(make_order(other_store), scores=(1, 1, 1))
    assert dsr(store) == {
        "description": Decimal("3.67"),
        "logistics": Decimal("4.33"),
        "service": Decimal("3.67"),
        "count": 3,
    }
    time_machine.move_to(timezone.now() + timedelta(days=81))  # the first review left the 90-day window
    assert dsr(store) == {
        "description": Decimal("3.00"),
        "logistics": Decimal("4.50"),
        "service": Decimal("4.00"),
        "count": 2,
    }


def test_dsr_without_reviews(store):
    assert dsr(store) == {"description": None, "logistics": None, "service": None, "count": 0}


def test_daily_snapshots_are_set_based_and_idempotent(store, other_store, django_assert_max_num_queries):
    review(make_order(store), scores=(5, 5, 5))
    review(make_order(other_store), scores=(3, 3, 3))
    with django_assert_max_num_queries(2):
        assert dsr_snapshot_all() == 2
    dsr_snapshot_all()
    assert DsrSnapshot.objects.count() == 2
    assert DsrSnapshot.objects.get(store=other_store).description == Decimal("3.00")


def test_metrics(store, merchant, staff_user):
    now = timezone.now()
    on_time = make_order(store, status="shipped")
    late = make_order(store, status="shipped")
    for order, shipped in ((on_time, now - timedelta(hours=1)), (late, now + timedelta(hours=1))):
        type(order).objects.filter(pk=order.pk).update(ship_by=now, shipped_at=shipped, paid_at=now - timedelta(days=1))
    req = services.aftersales_open(
        order=on_time,
        item_id=on_time.items.get().pk,
        buyer_ref=on_time.buyer_ref,
        type="refund_only",
        reason="quality",
        amount=100,
        by="b",
    )
    req = services.aftersales_reject(request=req, reason="no", by=merchant)
    req = services.aftersales_escalate(request=req, buyer_ref=on_time.buyer_ref, reason="x", by="b")
    services.aftersales_decide(request=req, decision="full_refund", by=staff_user)
    complaint = services.complaint_file(store=store, buyer_ref="b", category="attitude", content="x", by="b")
    services.complaint_resolve(complaint=complaint, upheld=True, resolution="ok", by=staff_user)
    m = store_metrics(store_ids=[store.pk], now=timezone.now() + timedelta(hours=2))[store.pk]
    assert m["late_shipping_rate"] == Decimal("50.00")
    assert m["aftersales_rate"] == Decimal("50.00")
    assert m["disputes_lost"] == 1 and m["complaints"] == 1 and m["pickup_sla_breaches"] == 0
    assert m["dsr_description"] is None


def test_evaluation_warns_below_threshold_once_a_day(store, other_store, django_capture_on_commit_callbacks):
    review(make_order(store), scores=(3, 5, 5))
    review(make_order(other_store), scores=(5, 5, 5))
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluation_run() == 2
        assert evaluation_run() == 0  # idempotent for the day
    failing = StoreEvaluation.objects.get(store=store)
    assert failing.failing == ["dsr_description"] and not failing.passed
    assert StoreEvaluation.objects.get(store=other_store).passed
    assert Event.objects.filter(type="evaluation.warning", store=store).count() == 1
    assert not Event.objects.filter(type="evaluation.warning", store=other_store).exists()


def test_threshold_is_configuration(store):
    review(make_order(store), scores=(3, 5, 5))
    EvaluationRule.objects.filter(metric="dsr_description").update(threshold=Decimal("3.00"))
    evaluation_run()
    assert StoreEvaluation.objects.get(store=store).passed


def test_persistently_failing_store_is_proposed_and_staff_confirm(
    store, staff_user, time_machine, django_capture_on_commit_callbacks
):
    review(make_order(store), scores=(1, 5, 5))
    for _day in range(6):
        evaluation_run()
        time_machine.move_to(timezone.now() + timedelta(days=1))
    assert not SuspensionProposal.objects.exists()
    evaluation_run()  # seventh failing day in a row
    proposal = SuspensionProposal.objects.get(store=store)
    assert proposal.reasons == ["描述相符评分"]
    time_machine.move_to(timezone.now() + timedelta(days=1))
    evaluation_run()
    assert SuspensionProposal.objects.count() == 1  # one open proposal per store
    with django_capture_on_commit_callbacks(execute=True):
        suspension_confirm(proposal=proposal, by=staff_user)
    store.refresh_from_db()
    assert store.status == "suspended" and "描述相符评分" in store.status_reason
    event = Event.objects.get(type="store.status_changed", store=store)
    assert "描述相符评分" in event.payload["body"]
    with pytest.raises(IllegalTransition):
        suspension_dismiss(proposal=proposal, by=staff_user)


@pytest.mark.parametrize("stores", [1, 6])
def test_evaluation_query_count_is_constant(stores, django_assert_max_num_queries):
    from tests.conftest import force_status
    from tests.factories import StoreFactory

    for _ in range(stores):
        store = StoreFactory()
        force_status(store, "open")
        review(make_order(store), scores=(3, 5, 5))
    # 15: trust's outbox writes the warnings' events in the transaction, one bulk insert whatever their number
    with django_assert_max_num_queries(15):
        assert evaluation_run() == stores


def test_evaluation_idle_tick_is_one_query(store, other_store, django_assert_num_queries):
    evaluation_run()
    with django_assert_num_queries(1):  # who is due: every open store is evaluated today, nothing else runs
        assert evaluation_run() == 0


def test_pickup_sla_breaches_come_from_shipping(store):
    from shipping.models import Shipment
    from tests.shipping.conftest import book, paid_order

    book(store, [paid_order(store), paid_order(store)])
    Shipment.objects.filter(store=store).update(pickup_overdue=True)  # given: shipping's SLA watch flagged them
    assert store_metrics(store_ids=[store.pk], now=timezone.now())[store.pk]["pickup_sla_breaches"] == 2


def test_default_return_address_comes_from_the_address_book(store):
    from tests.shipping.conftest import make_sender

    assert services.default_return_address(store) == ""
    make_sender(store)
    assert services.default_return_address(store) == "王五 13700001111 浙江省杭州市余杭区仓前街道 1 号"
