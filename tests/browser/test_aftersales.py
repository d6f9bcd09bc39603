"""A buyer's return (through the API) is approved, tracked in and refunded by the merchant in the browser;
then a review arrives and the merchant replies inline."""

import pytest
from django.urls import reverse

from aftersales import sweeps
from aftersales.models import AftersalesRequest
from tests.aftersales.conftest import buyer_opens_request, courier_scan, make_order
from tests.browser.conftest import login
from tests.conftest import api_client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_return_request_approved_tracked_refunded_and_review_replied(page, live_server, merchant, store, screenshot):
    order = make_order(store, prices=(8800,))
    item = order.items.get()
    buyer = api_client_for(store, kind="storefront")
    # Given a buyer's return-and-refund request arrives through the API
    sn = buyer_opens_request(order, type="return_refund", amount=8800, description="开线了")

    # When the merchant finds it in 售后管理 and approves it with a return address
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}{reverse('aftersales:request_list')}")
    row = page.locator(f"tr[data-sn='{sn}']")
    assert "待商家处理" in row.inner_text()
    assert row.locator(".countdown").is_visible()
    screenshot(page, "aftersales-list")
    row.get_by_role("link").click()
    approve = page.locator("form[data-action='approve']")
    approve.locator("textarea[name=return_address]").fill("浙江省杭州市西湖区 退货仓 张三 13800138000")
    approve.get_by_role("button").click()
    assert page.get_by_test_id("status").inner_text() == "待买家退货"

    # Then the buyer ships it back (API) and the return is tracked in
    r = buyer.post(
        reverse("api-aftersales-return-waybill", args=[sn]),
        {"buyer_ref": order.buyer_ref, "courier_code": "SF", "waybill_no": "SF1234567890123"},
        format="json",
    )
    assert r.status_code == 200, r.content
    courier_scan("SF", "SF1234567890123", "GOT")
    courier_scan("SF", "SF1234567890123", "SIGN")
    assert sweeps.return_tracking() == 1
    page.reload()
    assert page.get_by_test_id("return-tracking").locator("li").count() == 2  # the courier's scans of the return
    assert "SF1234567890123" in page.get_by_test_id("return-waybill").inner_text()
    assert page.get_by_test_id("return-delivered").is_visible()
    screenshot(page, "aftersales-return-delivered")

    # When the merchant confirms receipt, the refund is issued through the payment adapter
    receive = page.locator("form[data-action='receive']")
    receive.locator("input[name=confirm_refund]").check()  # a full refund is confirmed first
    receive.locator("button").click()
    assert page.get_by_test_id("status").inner_text() == "已退款"
    assert "已退款" in page.get_by_test_id("refund").inner_text()
    assert "退款完成" in page.get_by_test_id("timeline").inner_text()
    screenshot(page, "aftersales-refunded")
    req = AftersalesRequest.objects.select_related("refund").get(request_sn=sn)
    assert req.refund.status == "succeeded" and req.refund.amount == 8800

    # And a review arrives (API); the merchant replies inline
    r = buyer.post(
        reverse("api-reviews"),
        {"order_sn": order.order_sn, "item_id": item.pk, "buyer_ref": order.buyer_ref, "score_description": 4,
         "score_logistics": 5, "score_service": 5, "text": "退款很快，好评"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    page.goto(f"{live_server.url}{reverse('aftersales:review_list')}?unanswered=1")
    review = page.get_by_test_id("review").first
    assert "退款很快" in review.inner_text()
    review.locator("textarea[name=text]").fill("感谢您的理解与支持！")
    review.get_by_role("button", name="回复").click()
    page.get_by_test_id("reply").wait_for()
    assert "感谢您的理解与支持" in page.get_by_test_id("reply").inner_text()
    screenshot(page, "reviews-replied")
