"""The platform forces the refund (DOMAIN.md After-sales): a refused seven-day return, or a return parcel that
came back from the merchant's return address."""

import pytest

from aftersales import services, sweeps
from aftersales.models import AftersalesStatus as S
from aftersales.models import Decision
from aftersales.models import PlatformStatus as P
from portal.models import AuditEntry, Refund
from tests.aftersales.conftest import courier_scan
from tests.aftersales.test_services_requests import open_req

pytestmark = pytest.mark.django_db


def rejected(order, merchant, reason):
    req = open_req(order, type="return_refund", reason=reason, amount=5990)
    return services.aftersales_reject(request=req, reason="不支持退货", by=merchant)


def test_a_refused_seven_day_return_is_refunded_by_the_platform_on_escalation(order, merchant):
    req = services.aftersales_escalate(
        request=rejected(order, merchant, "seven_day"), buyer_ref=order.buyer_ref, reason="七天无理由", by="b"
    )
    assert (req.status, req.decision) == (S.DECIDED, Decision.FULL_REFUND)
    assert req.platform_status == P.PLATFORM_AGREED_REFUNDING  # the platform agreed; the money is on its way
    assert req.refunded_amount == 5990 and Refund.objects.get().amount == 5990
    entry = AuditEntry.objects.get(object_id=req.pk, transition="force_refund")
    assert "七天无理由" in entry.reason and entry.actor_kind == "system"


def test_other_refusals_still_wait_for_support(order, merchant):
    req = services.aftersales_escalate(
        request=rejected(order, merchant, "quality"), buyer_ref=order.buyer_ref, reason="有质量问题", by="b"
    )
    assert req.status == S.IN_INTERVENTION and not Refund.objects.exists()


def test_a_return_sent_back_from_the_return_address_is_refunded(order, merchant):
    req = open_req(order, type="return_refund", reason="quality", amount=5990)
    req = services.aftersales_approve(request=req, return_address="不存在的地址", by=merchant)
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="ZTO", waybill_no="123456789012", by="b"
    )
    assert sweeps.return_tracking() == 0  # on its way: nothing to do
    courier_scan("ZTO", "123456789012", "RETURN")
    assert sweeps.return_tracking() == 1
    req.refresh_from_db()
    assert (req.status, req.decision, req.refunded_amount) == (S.DECIDED, Decision.FULL_REFUND, 5990)
    assert "退货地址错误" in AuditEntry.objects.get(object_id=req.pk, transition="force_refund").reason
    assert sweeps.return_tracking() == 0  # once


def test_staff_cannot_use_the_forced_path_and_a_signed_return_is_not_forced(order, merchant, staff_user):
    from portal.exceptions import DomainError

    req = open_req(order, type="return_refund", reason="quality", amount=5990)
    req = services.aftersales_approve(request=req, return_address="杭州 退货仓", by=merchant)
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="ZTO", waybill_no="123456789012", by="b"
    )
    with pytest.raises(DomainError):
        services.aftersales_force_refund(request=req, cause="x", by=staff_user)
    courier_scan("ZTO", "123456789012", "SIGN")
    sweeps.return_tracking()
    req.refresh_from_db()
    assert req.status == S.AWAITING_RETURN and req.return_delivered_at is not None
