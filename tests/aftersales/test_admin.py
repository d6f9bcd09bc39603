"""Staff screens: intervention decisions with deposit deduction, complaints, moderation, suspension."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.models import AftersalesStatus as S
from aftersales.models import Complaint, Review
from shop.models import DepositEntry, SuspensionProposal
from tests.aftersales.test_reviews import review
from tests.aftersales.test_services_requests import open_req, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated(order, merchant):
    req = services.aftersales_open(
        order=order, item_id=order.items.get().pk, buyer_ref=order.buyer_ref, type="refund_only", reason="damaged",
        amount=3000, photos=[png()], by="b",
    )  # fmt: skip
    req = services.aftersales_reject(request=req, reason="不同意", photos=[png()], by=merchant)
    return services.aftersales_escalate(request=req, buyer_ref=order.buyer_ref, reason="有破损", by="b")


def test_change_page_shows_evidence_of_both_sides_and_timeline(admin_client, escalated):
    html = admin_client.get(reverse("admin:aftersales_aftersalesrequest_change", args=[escalated.pk])).content.decode()
    assert html.count("<img") >= 2 and "买家申请平台介入" in html and "有破损" in html
    assert (
        admin_client.get(
            reverse("admin:aftersales_aftersalesrequest_changelist"), {"q": escalated.request_sn}
        ).status_code
        == 200
    )


def test_partial_refund_decision_with_deposit_deduction(admin_client, escalated, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:aftersales_aftersalesrequest_changelist"),
            {"action": "decide_partial_refund", "_selected_action": [escalated.pk], "note": "各担一半",
             "amount_yuan": "15.00", "deposit_yuan": "5"},
        )  # fmt: skip
    assert response.status_code == 302
    escalated.refresh_from_db()
    assert escalated.status == S.DECIDED and escalated.refund.amount == 1500 and escalated.refund.status == "succeeded"
    assert DepositEntry.objects.get(ref=f"aftersales:{escalated.request_sn}", kind="deduct").amount == 500


def test_bad_decision_input_changes_nothing(admin_client, escalated):
    response = admin_client.post(
        reverse("admin:aftersales_aftersalesrequest_changelist"),
        {"action": "decide_partial_refund", "_selected_action": [escalated.pk], "amount_yuan": "999", "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    escalated.refresh_from_db()
    assert escalated.status == S.IN_INTERVENTION and escalated.refund is None
    assert not DepositEntry.objects.filter(ref=escalated.request_sn).exists()


def test_review_hidden_with_reason(admin_client, order):
    r = review(order, text="辱骂")
    admin_client.post(
        reverse("admin:aftersales_review_changelist"),
        {"action": "hide", "_selected_action": [r.pk], "note": "辱骂商家"},
    )
    r.refresh_from_db()
    assert r.visibility == "hidden" and r.hidden_reason == "辱骂商家" and r.text == "辱骂"


def test_complaint_upheld(admin_client, store):
    c = services.complaint_file(store=store, buyer_ref="b", category="attitude", content="差", by="b")
    admin_client.post(
        reverse("admin:aftersales_complaint_changelist"),
        {"action": "uphold", "_selected_action": [c.pk], "note": "属实"},
    )
    c.refresh_from_db()
    assert c.status == "upheld" and c.resolution == "属实"


def test_suspension_confirmed_from_admin(admin_client, store):
    proposal = SuspensionProposal.objects.create(store=store, reasons=["描述相符评分"])
    admin_client.post(
        reverse("admin:shop_suspensionproposal_changelist"), {"action": "confirm", "_selected_action": [proposal.pk]}
    )
    store.refresh_from_db()
    proposal.refresh_from_db()
    assert proposal.status == "confirmed" and store.status == "suspended"


def test_admin_lists_render(admin_client, order):
    open_req(order)
    review(order)
    for name in ("aftersales_aftersalesrequest", "aftersales_review", "aftersales_complaint", "aftersales_dsrsnapshot",
                 "shop_evaluationrule", "shop_storeevaluation", "shop_suspensionproposal"):  # fmt: skip
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert Review.objects.count() == 1 and Complaint.objects.count() == 0
