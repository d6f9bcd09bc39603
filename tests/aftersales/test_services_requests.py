"""After-sales services: opening rules, amount limits, every transition and its effects."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from aftersales import services, sweeps
from aftersales.models import AftersalesRequest, Decision
from aftersales.models import AftersalesStatus as S
from aftersales.models import PlatformStatus as P
from aftersales.selectors import (
    awaiting_answer,
    in_aftersales_q,
    open_request_order_ids,
    refund_status_code,
    return_tracking,
)
from portal.exceptions import DomainError, IllegalTransition, PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Event, Refund
from shop.models import Order
from tests.aftersales.conftest import courier_scan, make_order

pytestmark = pytest.mark.django_db


def png(name="p.png") -> SimpleUploadedFile:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def open_req(order, item=None, *, type="refund_only", reason="quality", amount=1000, **kw):
    item = item or order.items.first()
    return services.aftersales_open(
        order=order,
        item_id=item.pk,
        buyer_ref=order.buyer_ref,
        type=type,
        reason=reason,
        amount=amount,
        by="buyer",
        **kw,
    )


def audit_count(obj) -> int:
    return AuditEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name).count()


# ---------------------------------------------------------------- opening


def test_open_sets_response_deadline_stores_photos_and_notifies(store, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = open_req(order, photos=[png()], description="坏了")
    assert req.status == S.REQUESTED
    assert req.platform_status == P.AWAITING_MERCHANT_REFUND
    assert abs(req.deadline_at - (timezone.now() + timedelta(hours=48))) < timedelta(seconds=5)
    assert req.evidence.count() == 1
    assert Event.objects.filter(type="aftersales.opened", store=store).exists()
    assert list(open_request_order_ids(store)) == [order.pk]
    assert list(Order.objects.filter(in_aftersales_q())) == [order]
    assert Order.objects.aggregate(n=Count("pk", filter=in_aftersales_q()))["n"] == 1
    assert refund_status_code(order) == 2
    assert awaiting_answer(store) == (1, req.deadline_at)


@pytest.mark.parametrize("status", ["pending_payment", "grouping", "cancelled"])
def test_open_refused_for_orders_not_paid(store, status):
    order = make_order(store, status=status)
    with pytest.raises(DomainError) as exc:
        open_req(order)
    assert exc.value.code == "order_not_eligible"
    assert not AftersalesRequest.objects.exists()


@pytest.mark.parametrize("status", ["paid", "shipped"])
def test_before_receipt_only_refund_only(store, status):
    order = make_order(store, status=status)
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, type="return_refund", amount=1000)
    assert "type" in exc.value.fields


def test_amount_cannot_exceed_paid_minus_refunded_and_in_flight(store, order, item):
    open_req(order, amount=4000)
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, amount=1991)
    assert exc.value.code == "refund_exceeds_paid"
    assert "amount" in exc.value.fields
    open_req(order, amount=1990)  # exactly the rest
    with pytest.raises(ValidationFailed):
        open_req(order, amount=1)
    assert AftersalesRequest.objects.count() == 2


@pytest.mark.parametrize("amount", [0, -5])
def test_amount_must_be_positive(order, amount):
    with pytest.raises(ValidationFailed):
        open_req(order, amount=amount)


def test_exchange_and_resend_carry_no_money(order):
    req = open_req(order, type="resend", reason="missing_parts", amount=999)
    assert req.amount == 0
    assert req.platform_status == P.EXCHANGE_AWAITING_MERCHANT


def test_buyer_must_own_the_order(order, item):
    with pytest.raises(PermissionDenied):
        services.aftersales_open(
            order=order,
            item_id=item.pk,
            buyer_ref="someone-else",
            type="refund_only",
            reason="quality",
            amount=10,
            by="x",
        )


def test_item_of_another_order_is_refused(store, order):
    other = make_order(store)
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, other.items.get())
    assert "item_id" in exc.value.fields


def test_photos_are_checked(order):
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, photos=[fake])
    assert "photos" in exc.value.fields
    with pytest.raises(ValidationFailed):
        open_req(order, photos=[png() for _ in range(10)])
    assert not AftersalesRequest.objects.exists()


def test_seven_day_no_reason_return(store, time_machine):
    order = make_order(store)
    req = open_req(order, type="return_refund", reason="seven_day", amount=5990)
    assert req.reason == "seven_day"
    not_eligible = make_order(store, seven_day=False)
    with pytest.raises(ValidationFailed) as exc:
        open_req(not_eligible, type="return_refund", reason="seven_day", amount=5990)
    assert exc.value.code == "seven_day_not_allowed"
    late = make_order(store)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    with pytest.raises(ValidationFailed):
        open_req(late, type="return_refund", reason="seven_day", amount=5990)


# ---------------------------------------------------------------- refund only


def test_approve_refund_only_refunds_through_the_payment_adapter(
    store, order, item, merchant, django_capture_on_commit_callbacks
):
    req = open_req(order, amount=2000)
    with django_capture_on_commit_callbacks(execute=True):
        req = services.aftersales_approve(request=req, by=merchant)
    req.refresh_from_db()
    item.refresh_from_db()
    assert req.status == S.REFUNDED
    assert req.refund.status == "succeeded" and req.refund.amount == 2000
    assert req.refund.reference == req.request_sn
    assert item.refunded_amount == 2000
    assert req.platform_status == P.REFUNDED
    assert refund_status_code(order) == 4
    order.refresh_from_db()
    assert order.status == "delivered"  # delivered orders are not cancelled by a refund


def test_refund_pending_shows_refunding_code(order, merchant):
    req = services.aftersales_approve(request=open_req(order), by=merchant)  # on_commit not executed: refund pending
    req = AftersalesRequest.objects.select_related("refund").get(pk=req.pk)
    assert req.platform_status == P.MERCHANT_AGREED_REFUNDING
    assert refund_status_code(order) == 3


def test_refund_before_shipment_cancels_order_when_every_item_refunded(
    store, merchant, django_capture_on_commit_callbacks
):
    order = make_order(store, status="paid", prices=(1000, 2000))
    first, second = order.items.all()
    with pytest.raises(ValidationFailed):
        open_req(order, first, amount=500)  # before shipment the whole item comes back
    with django_capture_on_commit_callbacks(execute=True):
        services.aftersales_approve(request=open_req(order, first, amount=0), by=merchant)
    order.refresh_from_db()
    assert order.status == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        services.aftersales_approve(request=open_req(order, second, amount=0), by=merchant)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert AuditEntry.objects.filter(transition="cancel", object_id=order.pk, to_state="cancelled").exists()


def test_refund_without_order_payment_is_refused_and_rolls_back(store, order, merchant):
    req = open_req(order)
    from portal.models import Payment

    Payment.objects.filter(reference=order.order_sn).delete()
    with pytest.raises(DomainError) as exc:
        services.aftersales_approve(request=req, by=merchant)
    assert exc.value.code == "payment_not_found"
    req.refresh_from_db()
    assert req.status == S.REQUESTED  # the atomic service rolled back


# ---------------------------------------------------------------- return and refund


def test_return_and_refund_full_flow(store, order, item, merchant, django_capture_on_commit_callbacks):
    req = open_req(order, type="return_refund", amount=5990)
    assert req.platform_status == P.AWAITING_MERCHANT_RETURN
    with pytest.raises(ValidationFailed) as exc:
        services.aftersales_approve(request=req, by=merchant)
    assert "return_address" in exc.value.fields
    req = services.aftersales_approve(request=req, return_address="浙江省杭州市 退货仓 13800138000", by=merchant)
    assert req.status == S.AWAITING_RETURN and req.platform_status == P.AWAITING_BUYER_RETURN
    assert req.deadline_at > timezone.now() + timedelta(days=6)
    with pytest.raises(ValidationFailed) as exc:
        services.aftersales_submit_return(
            request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="123", by="b"
        )
    assert "waybill_no" in exc.value.fields
    with pytest.raises(IllegalTransition):
        services.aftersales_receive_return(request=req, by=merchant)  # nothing shipped yet
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="sf1234567890123", by="b"
    )
    assert req.return_waybill_no == "SF1234567890123"
    assert req.platform_status == P.BUYER_RETURNED
    assert req.deadline_at > timezone.now() + timedelta(days=9)
    with pytest.raises(IllegalTransition):
        services.aftersales_cancel(request=req, buyer_ref=order.buyer_ref, by="b")  # goods are on their way
    courier_scan("SF", "SF1234567890123", "GOT")
    courier_scan("SF", "SF9999999999999", "SIGN")  # another parcel
    assert sweeps.return_tracking() == 0
    assert [e.action for e in return_tracking(req)] == ["GOT"]
    courier_scan("SF", "SF1234567890123", "SIGN")
    assert sweeps.return_tracking() == 1
    assert sweeps.return_tracking() == 0
    req.refresh_from_db()
    assert req.return_delivered_at is not None
    services.aftersales_return_delivered(request=req, by="courier:SF")  # idempotent
    with django_capture_on_commit_callbacks(execute=True):
        req = services.aftersales_receive_return(request=req, note="完好", by=merchant)
    req.refresh_from_db()
    assert req.status == S.REFUNDED and req.refund.status == "succeeded" and req.refunded_amount == 5990
    transitions = list(
        AuditEntry.objects.filter(object_id=req.pk, content_type__model="aftersalesrequest").values_list(
            "transition", flat=True
        )
    )
    assert transitions == [
        "approve",
        "await_return",
        "submit_return",
        "track_return_delivered",
        "receive_return",
        "mark_refunded",
    ]


def test_auto_approved_return_waits_for_an_address(store, order, merchant, time_machine):
    req = open_req(order, type="return_refund", amount=100)
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    req = services.aftersales_auto_approve(request=req)
    assert req.status == S.APPROVED  # the store never gave a return address
    req = services.aftersales_request_return(request=req, return_address="退货地址 A", by=merchant)
    assert req.status == S.AWAITING_RETURN
    second = open_req(order, type="return_refund", amount=100)
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    second = services.aftersales_auto_approve(request=second)
    assert second.status == S.AWAITING_RETURN and second.return_address == "退货地址 A"


def test_inspection_failure_rejects_after_receipt(order, merchant):
    req = services.aftersales_approve(
        request=open_req(order, type="return_refund", amount=100), return_address="A", by=merchant
    )
    services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="YTO", waybill_no="YT1234567890123", by="b"
    )
    req = AftersalesRequest.objects.get(pk=req.pk)
    with pytest.raises(ValidationFailed):
        services.aftersales_receive_return(request=req, inspection_passed=False, by=merchant)
    req = services.aftersales_receive_return(request=req, inspection_passed=False, note="商品已损坏", by=merchant)
    assert req.status == S.REJECTED and req.refund is None and req.merchant_note == "商品已损坏"


# ---------------------------------------------------------------- exchange and resend


def test_exchange_flow(order, merchant):
    req = open_req(order, type="exchange", reason="wrong_item")
    req = services.aftersales_approve(request=req, return_address="A", by=merchant)
    assert req.platform_status == P.EXCHANGE_AWAITING_BUYER
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="ZTO", waybill_no="123456789012", by="b"
    )
    req = services.aftersales_receive_return(request=req, by=merchant)
    assert req.status == S.RETURN_RECEIVED and req.refund is None
    with pytest.raises(ValidationFailed):
        services.aftersales_ship_replacement(request=req, courier_code="ZTO", waybill_no="X", by=merchant)
    req = services.aftersales_ship_replacement(request=req, courier_code="ZTO", waybill_no="123456789013", by=merchant)
    assert req.status == S.EXCHANGED and req.platform_status == P.EXCHANGE_SUCCEEDED


def test_resend_flow(order, merchant):
    req = services.aftersales_approve(request=open_req(order, type="resend", reason="missing_parts"), by=merchant)
    assert req.status == S.APPROVED
    req = services.aftersales_ship_replacement(
        request=req, courier_code="JTSD", waybill_no="JT1234567890123", by=merchant
    )
    assert req.status == S.RESENT and req.ship_waybill_no == "JT1234567890123"


# ---------------------------------------------------------------- buyer changes


def test_update_revises_and_checks_amount(order, item):
    req = open_req(order, amount=1000)
    other = open_req(order, amount=4000)
    req = services.aftersales_update(request=req, buyer_ref=order.buyer_ref, amount=1990, description="新描述", by="b")
    assert req.amount == 1990 and req.description == "新描述"
    with pytest.raises(ValidationFailed):
        services.aftersales_update(request=req, buyer_ref=order.buyer_ref, amount=1991, by="b")
    assert AftersalesRequest.objects.get(pk=req.pk).amount == 1990
    assert other.amount == 4000


def test_update_refused_once_answered(order, merchant):
    req = services.aftersales_reject(request=open_req(order), reason="no", by=merchant)
    with pytest.raises(IllegalTransition):
        services.aftersales_update(request=req, buyer_ref=order.buyer_ref, amount=10, by="b")


def test_cancel_frees_the_amount(order):
    req = open_req(order, amount=5990)
    services.aftersales_cancel(request=req, buyer_ref=order.buyer_ref, by="b")
    req.refresh_from_db()
    assert req.status == S.CANCELLED and req.platform_status == P.BUYER_WITHDREW
    assert open_req(order, amount=5990).amount == 5990


def test_forbidden_transition_changes_nothing(order, merchant):
    req = services.aftersales_reject(request=open_req(order), reason="不同意", by=merchant)
    before = audit_count(req)
    with pytest.raises(IllegalTransition):
        services.aftersales_approve(request=req, by=merchant)
    req.refresh_from_db()
    assert req.status == S.REJECTED and audit_count(req) == before and req.refund is None
    assert not Refund.objects.exists()


def test_reject_requires_reason(order, merchant):
    with pytest.raises(ValidationFailed) as exc:
        services.aftersales_reject(request=open_req(order), reason=" ", by=merchant)
    assert "reason" in exc.value.fields


# ---------------------------------------------------------------- intervention


@pytest.fixture
def escalated(order, merchant, django_capture_on_commit_callbacks):
    req = services.aftersales_reject(request=open_req(order, amount=3000), reason="不同意", by=merchant)
    assert req.platform_status == P.MERCHANT_REJECTED
    with django_capture_on_commit_callbacks(execute=True):
        req = services.aftersales_escalate(
            request=req, buyer_ref=order.buyer_ref, reason="商家拒绝无理", photos=[png()], by="b"
        )
    assert req.status == S.IN_INTERVENTION and req.platform_status == P.PLATFORM_HANDLING
    assert Event.objects.filter(type="aftersales.escalated").exists()
    return req


@pytest.fixture
def deposit_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(services.intervention, "penalty_charge", lambda **kw: calls.append(kw))
    return calls


def test_decide_full_refund_with_deposit_deduction(
    escalated, staff_user, deposit_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = services.aftersales_decide(
            request=escalated, decision=Decision.FULL_REFUND, note="商家举证不足", deposit_deduction=500, by=staff_user
        )
    req.refresh_from_db()
    assert req.status == S.DECIDED and req.refunded_amount == 3000 and req.platform_status == P.REFUNDED
    assert req.decided_by == staff_user and req.deposit_deduction == 500
    assert deposit_calls == [
        {
            "store": req.store,
            "amount": 500,
            "reason": f"售后纠纷平台判定：{req.request_sn}",
            "by": staff_user,
            "ref_type": "aftersales",
            "ref_label": req.request_sn,
        }
    ]
    assert Event.objects.filter(type="aftersales.closed").exists()


def test_decide_partial_refund(escalated, staff_user, deposit_calls):
    with pytest.raises(ValidationFailed):
        services.aftersales_decide(request=escalated, decision=Decision.PARTIAL_REFUND, amount=3001, by=staff_user)
    req = services.aftersales_decide(request=escalated, decision=Decision.PARTIAL_REFUND, amount=1200, by=staff_user)
    assert req.refund.amount == 1200 and deposit_calls == []
    req = AftersalesRequest.objects.select_related("refund").get(pk=req.pk)
    assert req.platform_status == P.PLATFORM_AGREED_REFUNDING


def test_decide_reject_refunds_nothing_and_cannot_deduct(escalated, staff_user, deposit_calls):
    with pytest.raises(ValidationFailed):
        services.aftersales_decide(request=escalated, decision=Decision.REJECT, deposit_deduction=100, by=staff_user)
    req = services.aftersales_decide(request=escalated, decision=Decision.REJECT, note="买家证据不足", by=staff_user)
    assert req.status == S.DECIDED and req.refund is None and req.platform_status == P.PLATFORM_REFUSED
    assert deposit_calls == []
    with pytest.raises(IllegalTransition):
        services.aftersales_decide(request=req, decision=Decision.FULL_REFUND, by=staff_user)


def test_decision_deducts_from_the_deposit_ledger(escalated, staff_user):
    from shop.models import DepositEntry
    from shop.selectors.stores import deposit_balance

    before = deposit_balance(escalated.store)
    services.aftersales_decide(request=escalated, decision=Decision.FULL_REFUND, deposit_deduction=700, by=staff_user)
    entry = DepositEntry.objects.get(store=escalated.store, ref=f"aftersales:{escalated.request_sn}")
    assert entry.amount == 700
    assert deposit_balance(escalated.store) == before - 700


def test_escalation_window(order, merchant, time_machine):
    req = services.aftersales_reject(request=open_req(order), reason="no", by=merchant)
    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    with pytest.raises(IllegalTransition):
        services.aftersales_escalate(request=req, buyer_ref=order.buyer_ref, reason="x", by="b")
    assert AftersalesRequest.objects.get(pk=req.pk).status == S.REJECTED


# ---------------------------------------------------------------- complaints


def test_complaints_filed_and_resolved(store, order, staff_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_file(
            store=store, order=order, buyer_ref=order.buyer_ref, category="attitude", content="态度差", by="b"
        )
    assert Event.objects.filter(type="complaint.received").exists()
    complaint = services.complaint_resolve(complaint=complaint, upheld=True, resolution="已核实", by=staff_user)
    assert complaint.status == "upheld" and complaint.handled_by == staff_user
    with pytest.raises(IllegalTransition):
        services.complaint_resolve(complaint=complaint, upheld=False, resolution="", by=staff_user)
