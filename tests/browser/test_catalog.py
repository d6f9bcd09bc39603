"""A merchant creates a product: types specs, regenerates the SKU matrix with htmx, fills prices, puts it on sale."""

import pytest

from shop.models import Product, ProductStatus
from tests.browser.conftest import login
from tests.factories import CategoryFactory
from tests.shop.store_helpers import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_product_with_sku_matrix(page, live_server, merchant, screenshot):
    category = CategoryFactory(name="服饰箱包测试")
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shop/products/")
    page.click("[data-testid=product-create]")
    page.fill("input[name=title]", "纯棉T恤")
    page.select_option("select[name=category]", str(category.pk))
    page.fill("textarea[name=specs]", "颜色: 红, 蓝\n尺码: M, L")
    page.click("[data-testid=regenerate]")
    page.wait_for_selector("input[name=form-3-price]")
    assert page.locator("[data-testid=sku-matrix] tbody tr").count() == 4
    for i in range(4):
        page.fill(f"input[name=form-{i}-price]", "59.90")
        page.fill(f"input[name=form-{i}-group_price]", "49.90")
        page.fill(f"input[name=form-{i}-stock]", "10")
    page.set_input_files("input[name=images]", [{"name": "main.png", "mimeType": "image/png", "buffer": png_bytes()}])
    screenshot(page, "catalog-product-form")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=on-sale]")
    page.click("[data-testid=on-sale]")
    page.wait_for_selector("[data-testid=off-shelf]")
    product = Product.objects.get()
    assert product.status == ProductStatus.ON_SALE
    assert product.skus.count() == 4
    page.goto(f"{live_server.url}/shop/products/?status=on_sale")
    assert "纯棉T恤" in page.inner_text("[data-testid=product-row]")
    screenshot(page, "catalog-product-list")
