"""Deadline sweeps on a controlled clock: each acts once past its deadline and is idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales import services, sweeps
from aftersales.models import AftersalesStatus as S
from aftersales.models import PlatformStatus as P
from aftersales.models import Review
from portal.exceptions import IllegalTransition
from portal.models import AuditEntry, Event
from portal.sweeps import SWEEPS
from tests.aftersales.conftest import make_order
from tests.aftersales.test_services_requests import open_req

pytestmark = pytest.mark.django_db


def later(time_machine, **delta):
    time_machine.move_to(timezone.now() + timedelta(**delta))


def test_sweeps_are_registered():
    for name in (
        "aftersales.auto_approve",
        "aftersales.auto_receive",
        "aftersales.expire",
        "aftersales.near_timeout",
        "reviews.default_positive",
        "evaluation.daily",
    ):
        assert name in SWEEPS


def test_unanswered_request_is_auto_approved_and_refunded(order, time_machine, django_capture_on_commit_callbacks):
    req = open_req(order, amount=1000)
    later(time_machine, hours=47)
    assert sweeps.auto_approve() == 0
    later(time_machine, hours=1, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.auto_approve() == 1
    req.refresh_from_db()
    assert req.status == S.REFUNDED and req.refund.status == "succeeded"
    assert AuditEntry.objects.filter(object_id=req.pk, transition="approve", actor_label="system").exists()
    assert sweeps.auto_approve() == 0  # idempotent


def test_near_timeout_warns_once(order, time_machine, django_capture_on_commit_callbacks):
    open_req(order)
    assert sweeps.near_timeout() == 0
    later(time_machine, hours=43)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.near_timeout() == 1
        assert sweeps.near_timeout() == 0
    assert Event.objects.filter(type="aftersales.near_timeout").count() == 1


def test_return_not_shipped_in_time_is_closed(order, merchant, time_machine):
    req = services.aftersales_approve(
        request=open_req(order, type="return_refund", amount=100), return_address="A", by=merchant
    )
    later(time_machine, days=7, seconds=1)
    with pytest.raises(IllegalTransition):
        services.aftersales_submit_return(
            request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="SF1234567890123", by="b"
        )
    assert sweeps.expire() == 1
    req.refresh_from_db()
    assert req.status == S.CLOSED and req.close_reason == "buyer_overdue" and req.platform_status == P.BUYER_OVERDUE
    assert sweeps.expire() == 0


def test_rejection_not_escalated_in_time_expires(order, merchant, time_machine):
    req = services.aftersales_reject(request=open_req(order), reason="no", by=merchant)
    later(time_machine, days=6)
    assert sweeps.expire() == 0
    later(time_machine, days=1, seconds=1)
    assert sweeps.expire() == 1
    req.refresh_from_db()
    assert req.status == S.CLOSED and req.platform_status == P.EXPIRED


def test_returned_goods_not_confirmed_are_received_and_refunded(
    order, merchant, time_machine, django_capture_on_commit_callbacks
):
    req = services.aftersales_approve(
        request=open_req(order, type="return_refund", amount=5990), return_address="A", by=merchant
    )
    services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="SF1234567890123", by="b"
    )
    later(time_machine, days=9)
    assert sweeps.auto_receive() == 0
    later(time_machine, days=1, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.auto_receive() == 1
    req.refresh_from_db()
    assert req.status == S.REFUNDED and req.refund.amount == 5990
    assert sweeps.auto_receive() == 0


def test_unreviewed_items_get_default_positive_rating(store, time_machine, settings):
    settings.REVIEWS_DEFAULT_POSITIVE = True
    order = make_order(store, prices=(100, 200))
    reviewed = order.items.first()
    services.review_create(
        order=order,
        item_id=reviewed.pk,
        buyer_ref=order.buyer_ref,
        score_description=2,
        score_logistics=2,
        score_service=2,
        by="b",
    )
    later(time_machine, days=89)
    assert sweeps.default_positive() == 0
    later(time_machine, days=1, seconds=1)
    assert sweeps.default_positive() == 1
    default = Review.objects.get(is_default=True)
    assert (default.score_description, default.score_logistics, default.score_service) == (5, 5, 5)
    assert default.item_id != reviewed.pk
    assert sweeps.default_positive() == 0


def test_no_default_positive_review_while_the_setting_is_off(store, time_machine, settings):
    # the default is off: REVIEWS_DEFAULT_POSITIVE is not a documented platform rule
    settings.REVIEWS_DEFAULT_POSITIVE = False
    make_order(store, prices=(100,))
    later(time_machine, days=91)
    assert sweeps.default_positive() == 0
    assert not Review.objects.exists()


def test_daily_evaluation_sweep_snapshots_once_a_day(store, time_machine):
    from aftersales.models import DsrSnapshot
    from shop.models import StoreEvaluation
    from tests.aftersales.test_reviews import review

    review(make_order(store), scores=(5, 5, 5))
    assert sweeps.evaluation_daily() >= 1
    assert sweeps.evaluation_daily() == 0
    assert DsrSnapshot.objects.filter(store=store).count() == 1
    later(time_machine, days=1)
    sweeps.evaluation_daily()
    assert DsrSnapshot.objects.filter(store=store).count() == 2
    assert StoreEvaluation.objects.filter(store=store).count() == 2


def test_a_request_the_service_refuses_does_not_block_the_sweep(store, time_machine, monkeypatch):
    # given two overdue requests, the first of which the service refuses
    refused = open_req(make_order(store))
    other = open_req(make_order(store))
    later(time_machine, hours=49)
    approve = services.aftersales_auto_approve

    def refuse_first(*, request, **kw):
        if request.pk == refused.pk:
            raise IllegalTransition("refused for the test")
        return approve(request=request, **kw)

    monkeypatch.setattr(services.deadlines, "aftersales_auto_approve", refuse_first)
    # when the sweep runs
    moved = sweeps.auto_approve()
    # then the other request moved and the refused one is untouched
    assert moved == 1
    refused.refresh_from_db()
    other.refresh_from_db()
    assert refused.status == S.REQUESTED
    assert other.status != S.REQUESTED
