"""The merchant's pages in the browser: an after-sales negotiation with a partial refund, the main pages at
390 px, and the portal in English without a Chinese system string."""

import pytest
from django.urls import reverse

from aftersales.models import AftersalesRequest
from shop.services.orders import order_ship
from tests.aftersales.conftest import buyer_opens_request, make_order
from tests.browser.conftest import login
from tests.conftest import api_client_for
from tests.portal.test_english_pages import chinese_system_strings, user_data
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_negotiation_with_a_partial_refund(page, live_server, merchant, store, screenshot):
    order = make_order(store, prices=(8800,))
    buyer = api_client_for(store, kind="storefront")
    # Given a buyer asks for a full refund of 88.00
    sn = buyer_opens_request(order, type="refund_only", amount=8800, description="有一点划痕")
    req = AftersalesRequest.objects.get(request_sn=sn)

    # When the merchant offers 30.00 instead (协商)
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}{reverse('aftersales:request_detail', args=[req.pk])}")
    offer = page.locator("form[data-action='negotiate']")
    assert "最多可退 88.00 元" in offer.inner_text()
    offer.locator("input[name=amount_yuan]").fill("30.00")
    offer.locator("textarea[name=note]").fill("轻微划痕，补偿 30 元，商品无需寄回")
    offer.get_by_role("button").click()
    assert "协商方案已发给买家：退款 30.00 元" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("status").inner_text() == "协商中，待买家确认"
    assert not page.locator("form[data-action='approve']").count()
    screenshot(page, "aftersales-negotiation-offered")

    # Then the buyer accepts through the storefront API and 30.00 is refunded
    r = buyer.post(reverse("api-aftersales-offer-accept", args=[sn]), {"buyer_ref": order.buyer_ref}, format="json")
    assert r.status_code == 200 and r.json()["refunded_amount"] == 3000, r.content
    page.reload()
    assert page.get_by_test_id("status").inner_text() == "已退款"
    assert "¥30.00" in page.get_by_test_id("refund").inner_text()
    assert "买家接受协商" in page.get_by_test_id("timeline").inner_text()
    screenshot(page, "aftersales-negotiation-refunded")


@pytest.fixture
def busy_store(store):
    sku = on_sale_sku(store, stock=50, product__title="超长名字的纯棉短袖T恤 夏季新款 男女同款 宽松版型")
    orders = [pay(place(store, sku, buyer=f"b{i}")) for i in range(4)]
    order_ship(order=orders[0], courier_code="SF", waybill_no="SF1234567890123", by="m")
    return orders


MAIN_PAGES = ["/", "/shop/orders/", "/aftersales/requests/?tab=all", "/aftersales/reviews/", "/shop/products/",
              "/shipping/booking/", "/inbox/"]  # fmt: skip


def test_main_pages_at_390_px(browser, live_server, merchant, busy_store, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, merchant.username)
    pages = [*MAIN_PAGES, f"/shop/orders/{busy_store[0].order_sn}/"]
    for url in pages:
        page.goto(f"{live_server.url}{url}")
        # the top bar stays one line, nothing clipped off the right edge
        bar = page.locator("header.topbar").bounding_box()
        assert bar["height"] <= 53, url
        right = page.evaluate(
            "Math.max(...[...document.querySelectorAll('header.topbar > *')].map(e => e.getBoundingClientRect().right))"
        )
        assert right <= 390, (url, right)
        # the page itself never scrolls sideways (wide tables scroll inside their own box or become cards)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        # and no cell is squeezed to a character a line
        narrow = page.evaluate(
            "[...document.querySelectorAll('main td')].filter(td => td.offsetParent && td.innerText.trim().length > 3"
            " && td.getBoundingClientRect().width < 40).length"
        )
        assert narrow == 0, url
        screenshot(page, f"390px{url.replace('/', '-').replace('?', '-').rstrip('-') or '-home'}")
    context.close()


def test_the_portal_in_english(browser, live_server, merchant, store, busy_store, screenshot):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    page = context.new_page()
    login(page, live_server, merchant.username)
    page.get_by_role("button", name="English").click()
    data = user_data()
    leftovers = {}
    for url in [*MAIN_PAGES, f"/shop/orders/{busy_store[0].order_sn}/", "/shop/funds/", "/shop/evaluation/", "/data/"]:
        page.goto(f"{live_server.url}{url}")
        assert page.evaluate("document.documentElement.lang") == "en", url
        found = chinese_system_strings(page.content(), data)
        if found:
            leftovers[url] = sorted(found)
        screenshot(page, f"english{url.replace('/', '-').replace('?', '-').rstrip('-') or '-home'}")
    context.close()
    assert leftovers == {}
