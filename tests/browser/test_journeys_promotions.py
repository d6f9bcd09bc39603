"""Promotions journey (issue 16): a merchant creates one 限时折扣 over SKUs of two products in 8.5折, watching the
live price preview, then ends it after confirming. Screenshots: test-output/screenshots/journey-promotions-*.png."""

import pytest

from shop.models import LimitedTimeDiscount, PromotionStatus
from tests.browser.conftest import login
from tests.factories import SkuFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_multi_product_limited_time_discount(page, live_server, merchant, store, screenshot):
    red = SkuFactory(product__store=store, product__title="纯棉T恤", spec={"颜色": "红"}, price=10000, group_price=9000)
    blue = SkuFactory(product=red.product, spec={"颜色": "蓝"}, price=10000, group_price=9000)
    mug = SkuFactory(product__store=store, product__title="陶瓷马克杯", price=3990, group_price=3500)
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shop/promotions/discounts/new/")

    # 打折 is chosen: only the 折 field shows, no per-SKU price column
    assert page.locator("input[name=zhe]").is_visible()
    assert not page.locator(f"input[name=price_{red.pk}]").is_visible()
    page.fill("input[name=name]", "周末特惠")
    page.fill("input[name=zhe]", "8.5")
    for sku in (red, blue, mug):
        page.check(f"#sku-{sku.pk}")
    # the preview follows what is typed
    assert page.inner_text(f"[data-testid=sku-{red.pk}] [data-preview]") == "¥85.00（8.5折）"
    assert page.inner_text(f"[data-testid=sku-{mug.pk}] [data-preview]") == "¥33.92（8.5折）"
    page.fill("input[name=zhe]", "7")
    assert page.inner_text(f"[data-testid=sku-{red.pk}] [data-preview]") == "¥70.00（7折）"
    # switching to 活动价 shows the price column and hides the 折 field
    page.check("input[name=kind][value=price]")
    assert page.locator(f"input[name=price_{red.pk}]").is_visible()
    assert not page.locator("input[name=zhe]").is_visible()
    page.fill(f"input[name=price_{red.pk}]", "79")
    assert page.inner_text(f"[data-testid=sku-{red.pk}] [data-preview]") == "¥79.00（7.9折）"
    page.check("input[name=kind][value=permille]")
    page.fill("input[name=zhe]", "8.5")
    # filtering the picker by title
    page.fill("[data-sku-filter]", "马克杯")
    assert not page.locator(f"[data-testid=sku-{red.pk}]").is_visible()
    page.fill("[data-sku-filter]", "")
    screenshot(page, "journey-promotions-1-discount-form")
    page.click("[data-testid=create-discount]")
    page.wait_for_url("**/shop/promotions/?tab=discounts")

    discounts = LimitedTimeDiscount.objects.all()
    assert discounts.count() == 3 and {d.permille for d in discounts} == {850}
    row = page.locator("[data-testid=promotion-row]")
    assert row.count() == 1
    assert "纯棉T恤" in row.inner_text() and "陶瓷马克杯" in row.inner_text()
    screenshot(page, "journey-promotions-2-list")

    # 结束 asks first, then ends the whole activity
    row.locator("[data-testid=end]").click()
    page.wait_for_selector("[data-testid=end-confirm]")
    assert "3 个 SKU 将一起结束" in page.inner_text("[data-testid=end-confirm]")
    screenshot(page, "journey-promotions-3-end-confirm")
    page.click("[data-testid=confirm-end]")
    page.wait_for_url("**/shop/promotions/?tab=discounts")
    assert set(LimitedTimeDiscount.objects.values_list("status", flat=True)) == {PromotionStatus.ENDED}
