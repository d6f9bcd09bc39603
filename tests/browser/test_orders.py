"""A storefront places and pays an order through the API; the merchant sees it under 待发货 with its
countdown, self-ships it and finds it under 已发货."""

import pytest

from tests.browser.conftest import login
from tests.conftest import api_client_for
from tests.shop.orders_support import ADDRESS, on_sale_sku

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_order_from_api_to_shipped(page, live_server, merchant, store, screenshot):
    # given a product on sale (catalogue pages are another area: made through the factory)
    sku = on_sale_sku(store, stock=20, price=5990, product__title="纯棉短袖T恤")
    api = api_client_for(store, scopes=["orders:read", "orders:write"], kind="storefront")
    # when a storefront places and pays an order for a buyer
    placed = api.post(
        "/api/v1/orders/",
        {
            "buyer_ref": "buyer-42",
            "items": [{"sku_id": sku.pk, "quantity": 2}],
            "recipient_name": "王小明",
            "recipient_phone": "13812345678",
            **ADDRESS,
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    sn = placed.json()["order_sn"]
    checkout = api.post(f"/api/v1/orders/{sn}/pay/").json()["checkout_url"]
    page.goto(f"{live_server.url}{checkout}")
    screenshot(page, "orders-1-sandbox-cashier")
    page.click("[data-testid=pay]")
    page.wait_for_load_state()

    # then the merchant sees it under 待发货 with a countdown
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shop/orders/?tab=paid")
    row = page.locator(f"tr[data-order='{sn}']")
    assert row.is_visible()
    assert "剩余" in row.locator(".countdown").inner_text()
    assert page.inner_text("[data-testid=count-paid]") == "1"
    screenshot(page, "orders-2-to-ship")

    # when the merchant self-ships it
    row.locator("a").first.click()
    page.wait_for_load_state()
    assert "13812345678" in page.inner_text("[data-testid=recipient-phone]")
    page.select_option("select[name=courier_code]", "SF")
    page.fill("input[name=waybill_no]", "123")
    page.click("[data-testid=ship-card] button")
    page.wait_for_load_state()
    assert page.locator("small.error[data-field=waybill_no]").is_visible()
    screenshot(page, "orders-3-bad-waybill")
    page.select_option("select[name=courier_code]", "SF")
    page.fill("input[name=waybill_no]", "SF1234567890123")
    page.click("[data-testid=ship-card] button")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=order-status]") == "已发货"
    assert page.inner_text("[data-testid=recipient-phone]") == "138****5678"
    screenshot(page, "orders-4-detail-shipped")

    # then it is listed under 已发货
    page.goto(f"{live_server.url}/shop/orders/?tab=shipped")
    assert page.locator(f"tr[data-order='{sn}']").is_visible()
    assert page.inner_text("[data-testid=count-paid]") == "0"
    assert page.inner_text("[data-testid=count-shipped]") == "1"
    screenshot(page, "orders-5-shipped-tab")
