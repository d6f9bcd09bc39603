"""Negotiation (协商): the merchant offers a partial refund bounded by what is refundable; the buyer accepts
(refunded at once) or declines (back to the merchant) through the storefront API; all audited."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.models import AftersalesStatus as S
from aftersales.models import PlatformStatus as P
from portal.exceptions import IllegalTransition, PermissionDenied, ValidationFailed
from portal.models import AuditEntry
from tests.aftersales.test_services_requests import open_req

pytestmark = pytest.mark.django_db


def audit_verbs(req) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=req.pk, content_type__model="aftersalesrequest")
        .order_by("id")
        .values_list("transition", flat=True)
    )


def test_offer_is_bounded_by_the_requested_and_refundable_amount(order, merchant):
    req = open_req(order, amount=3000)
    with pytest.raises(ValidationFailed) as exc:
        services.aftersales_negotiate(request=req, amount=3001, note="部分退款", by=merchant)
    assert exc.value.code == "refund_exceeds_paid" and "amount" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.aftersales_negotiate(request=req, amount=0, note="部分退款", by=merchant)
    with pytest.raises(ValidationFailed):
        services.aftersales_negotiate(request=req, amount=1000, note=" ", by=merchant)
    req.refresh_from_db()
    assert req.status == S.REQUESTED and "propose_offer" not in audit_verbs(req)


def test_buyer_accepts_and_the_agreed_amount_is_refunded(order, merchant, django_capture_on_commit_callbacks):
    req = open_req(order, amount=3000)
    req = services.aftersales_negotiate(request=req, amount=1200, note="退 12 元，商品不用寄回", by=merchant)
    assert req.status == S.NEGOTIATING and req.platform_status == P.AWAITING_BUYER_CONFIRMATION
    assert req.deadline_at is not None
    with pytest.raises(PermissionDenied):
        services.aftersales_offer_accept(request=req, buyer_ref="stranger", by="buyer:stranger")
    with django_capture_on_commit_callbacks(execute=True):
        req = services.aftersales_offer_accept(request=req, buyer_ref=order.buyer_ref, by="buyer")
    req.refresh_from_db()
    item = req.item
    item.refresh_from_db()
    assert req.status == S.REFUNDED and req.refunded_amount == 1200 and req.amount == 1200
    assert item.refunded_amount == 1200
    assert audit_verbs(req)[-3:] == ["propose_offer", "accept_offer", "mark_refunded"]


def test_buyer_declines_and_the_merchant_answers_again(order, merchant):
    req = services.aftersales_negotiate(request=open_req(order, amount=3000), amount=1000, note="退 10 元", by=merchant)
    req = services.aftersales_offer_decline(request=req, buyer_ref=order.buyer_ref, reason="太少", by="buyer")
    assert req.status == S.REQUESTED and req.offer_amount == 0 and req.amount == 3000
    assert req.refunded_amount == 0
    with pytest.raises(IllegalTransition):
        services.aftersales_offer_accept(request=req, buyer_ref=order.buyer_ref, by="buyer")
    assert audit_verbs(req)[-2:] == ["propose_offer", "decline_offer"]
    services.aftersales_approve(request=req, by=merchant)  # the full refund is still possible


def test_exchange_requests_cannot_be_negotiated(order, merchant):
    req = open_req(order, type="exchange", amount=0)
    with pytest.raises(IllegalTransition):
        services.aftersales_negotiate(request=req, amount=100, note="x", by=merchant)


def test_storefront_api_accepts_or_declines(api, storefront, order, django_capture_on_commit_callbacks):
    req = open_req(order, amount=3000)
    url = lambda action: reverse(f"api-aftersales-{action}", args=[req.request_sn])  # noqa: E731
    r = api.post(url("negotiate"), {"amount": 5000, "note": "x"}, format="json")
    assert r.status_code == 400
    r = api.post(url("negotiate"), {"amount": 1500, "note": "退一半"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "negotiating" and r.json()["offer_amount"] == 1500
    assert r.json()["platform_status"] == P.AWAITING_BUYER_CONFIRMATION
    assert api.post(url("offer-accept"), {"buyer_ref": order.buyer_ref}, format="json").status_code in (403, 401)
    with django_capture_on_commit_callbacks(execute=True):
        r = storefront.post(url("offer-accept"), {"buyer_ref": order.buyer_ref}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "refunded" and r.json()["refunded_amount"] == 1500


def test_merchant_page_negotiates_with_a_distinct_message(merchant_client, order):
    req = open_req(order, amount=3000)
    url = reverse("aftersales:request_detail", args=[req.pk])
    page = merchant_client.get(url).content.decode()
    assert 'data-action="negotiate"' in page and "最多可退 30.00 元" in page
    too_much = merchant_client.post(url, {"action": "negotiate", "amount_yuan": "30.01", "note": "x"})
    assert too_much.status_code == 400 and 'data-field="amount_yuan"' in too_much.content.decode()
    response = merchant_client.post(url, {"action": "negotiate", "amount_yuan": "12.50", "note": "退部分"}, follow=True)
    html = response.content.decode()
    assert "协商方案已发给买家：退款 12.50 元" in html and 'data-testid="offer"' in html
    req.refresh_from_db()
    assert req.status == S.NEGOTIATING and req.offer_amount == 1250


def test_an_unanswered_offer_returns_to_the_merchant_when_its_window_passes(order, merchant, time_machine):
    from datetime import timedelta

    from aftersales import sweeps
    from portal.sweeps import SWEEPS

    assert "aftersales.offers_expire" in SWEEPS
    req = services.aftersales_negotiate(request=open_req(order, amount=3000), amount=1000, note="退 10 元", by=merchant)
    time_machine.move_to(req.deadline_at - timedelta(minutes=1), tick=False)
    assert sweeps.offers_expire() == 0
    time_machine.move_to(req.deadline_at + timedelta(minutes=1), tick=False)
    assert sweeps.offers_expire() == 1
    req.refresh_from_db()
    assert req.status == S.REQUESTED and req.refunded_amount == 0 and req.deadline_at > req.offered_at
    assert audit_verbs(req)[-1] == "decline_offer"
    assert sweeps.offers_expire() == 0
