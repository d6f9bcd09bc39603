"""维修 (repair): the buyer sends the item back, the merchant repairs it and ships it back; its own platform codes."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.models import AftersalesRequest
from aftersales.models import AftersalesStatus as S
from aftersales.models import PlatformStatus as P
from portal.exceptions import IllegalTransition, ValidationFailed
from portal.models import AuditEntry
from tests.aftersales.test_services_requests import open_req

pytestmark = pytest.mark.django_db


def test_repair_runs_from_request_to_the_repaired_item_shipped_back(order, merchant):
    req = open_req(order, type="repair", reason="quality", amount=0)
    assert (req.amount, req.platform_status) == (0, P.REPAIR_AWAITING_MERCHANT)
    with pytest.raises(ValidationFailed):  # the item comes back to be repaired: a return address is needed
        services.aftersales_approve(request=req, by=merchant)
    req = services.aftersales_approve(request=req, return_address="杭州 维修中心", by=merchant)
    assert (req.status, req.platform_status) == (S.AWAITING_RETURN, P.REPAIR_AWAITING_BUYER)
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="ZTO", waybill_no="123456789012", by="b"
    )
    assert req.platform_status == P.BUYER_RETURNED
    req = services.aftersales_receive_return(request=req, by=merchant)
    assert (req.status, req.refund, req.platform_status) == (S.RETURN_RECEIVED, None, P.REPAIR_AWAITING_MERCHANT)
    req = services.aftersales_ship_replacement(request=req, courier_code="ZTO", waybill_no="123456789013", by=merchant)
    assert (req.status, req.platform_status, req.ship_waybill_no) == (S.REPAIRED, P.REPAIR_SUCCEEDED, "123456789013")
    assert AuditEntry.objects.filter(object_id=req.pk, transition="ship_repaired").count() == 1
    with pytest.raises(IllegalTransition):
        services.aftersales_ship_replacement(request=req, courier_code="ZTO", waybill_no="123456789014", by=merchant)


def test_an_unsigned_order_cannot_ask_for_a_repair(store):
    from tests.aftersales.conftest import make_order

    with pytest.raises(ValidationFailed) as exc:
        open_req(make_order(store, status="shipped"), type="repair", amount=0)
    assert exc.value.code == "type_not_allowed"
    assert not AftersalesRequest.objects.exists()


def test_the_merchant_page_ships_the_repaired_item_back(merchant_client, order, merchant):
    req = services.aftersales_approve(
        request=open_req(order, type="repair", amount=0), return_address="杭州 维修中心", by=merchant
    )
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="ZTO", waybill_no="123456789012", by="b"
    )
    services.aftersales_receive_return(request=req, by=merchant)
    url = reverse("aftersales:request_detail", args=[req.pk])
    page = merchant_client.get(url).content.decode()
    assert "寄回维修后的商品" in page and 'data-action="ship"' in page
    response = merchant_client.post(url, {"action": "ship", "courier_code": "ZTO", "waybill_no": "123456789013"})
    assert response.status_code == 302
    assert AftersalesRequest.objects.get(pk=req.pk).status == S.REPAIRED
    page = merchant_client.get(url).content.decode()
    assert "维修寄回运单" in page and "已维修寄回" in page


def test_the_api_opens_a_repair_and_reports_its_code(order, storefront):
    body = {
        "order_sn": order.order_sn, "item_id": order.items.get().pk, "buyer_ref": order.buyer_ref, "type": "repair",
        "reason": "quality", "amount": 0, "description": "屏幕不亮",
    }  # fmt: skip
    response = storefront.post(reverse("api-aftersales-requests"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["platform_status"] == P.REPAIR_AWAITING_MERCHANT
