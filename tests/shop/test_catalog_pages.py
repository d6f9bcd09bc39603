"""The catalogue as a merchant meets it (issue 16): pictures in the first save, no sale without a picture,
the product list with sales, stock, row actions and filters."""

import pytest
from django.urls import reverse

from portal.exceptions import Conflict
from portal.models import AuditEntry
from shop.models import Product, ProductStatus
from shop.services.catalog import product_put_on_sale
from tests.factories import CategoryFactory, SkuFactory
from tests.shop.catalog_support import pictured, png_upload
from tests.shop.test_catalog_views import product_post

pytestmark = pytest.mark.django_db


def test_a_product_without_a_picture_cannot_go_on_sale(store):
    # given a priced draft product without any picture
    product = SkuFactory(product__store=store).product
    # when it is put on sale, then it is refused with a message that says what to do
    with pytest.raises(Conflict) as refused:
        product_put_on_sale(product=product, by="t")
    assert refused.value.code == "product_without_image" and "图片" in refused.value.message
    # and nothing changed
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    assert not AuditEntry.objects.filter(object_id=str(product.pk), transition="put_on_sale").exists()
    # once it has a picture it goes on sale
    product_put_on_sale(product=pictured(product), by="t")
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE


def test_the_rule_is_a_setting(store, settings):
    settings.PORTAL_PRODUCT_IMAGE_REQUIRED = False
    product = SkuFactory(product__store=store).product
    product_put_on_sale(product=product, by="t")
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE


def test_pictures_are_added_in_the_first_save(merchant_client, store):
    # when the merchant creates a product with two pictures at once
    data = product_post(CategoryFactory())
    data["images"] = [png_upload("main.png"), png_upload("side.png")]
    response = merchant_client.post(reverse("shop:product_create"), data)
    # then the product has both, the first one the main picture, and it can go on sale at once
    assert response.status_code == 302
    product = Product.objects.get()
    assert [img.position for img in product.images.all()] == [0, 1]
    assert product.images.first().image.name.endswith("main.png")
    merchant_client.post(reverse("shop:product_transition", args=[product.pk, "on_sale"]))
    product.refresh_from_db()
    assert product.status == ProductStatus.ON_SALE


def test_a_bad_picture_in_the_first_save_is_a_field_error_and_saves_nothing(merchant_client, store):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = product_post(CategoryFactory())
    data["images"] = [SimpleUploadedFile("x.png", b"not an image", content_type="image/png")]
    response = merchant_client.post(reverse("shop:product_create"), data)
    assert response.status_code == 200
    assert "images" in response.context["form"].errors
    assert not Product.objects.exists()


def test_putting_on_sale_without_a_picture_says_why_on_the_page(merchant_client, store):
    product = SkuFactory(product__store=store, product__title="无图T恤").product
    detail = merchant_client.get(reverse("shop:product_detail", args=[product.pk])).content.decode()
    assert 'data-testid="needs-image"' in detail
    response = merchant_client.post(reverse("shop:product_transition", args=[product.pk, "on_sale"]), follow=True)
    assert any("无图T恤" in str(m) and "图片" in str(m) for m in response.context["messages"])
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    create = merchant_client.get(reverse("shop:product_create")).content.decode()
    assert 'name="images"' in create and "multiple" in create and 'enctype="multipart/form-data"' in create


def _sold(store, sku, quantity, status):
    from tests.conftest import force_status
    from tests.factories import OrderFactory, OrderItemFactory

    order = OrderFactory(store=store)
    OrderItemFactory(order=order, sku=sku, quantity=quantity)
    force_status(order, status)


def test_the_list_shows_units_sold_and_stock(merchant_client, store):
    # given a product with 3 + 2 units paid and 4 in a cancelled order, and one never sold
    sku = SkuFactory(product__store=store, product__title="热销T恤", stock=7)
    _sold(store, sku, 3, "paid")
    _sold(store, sku, 2, "completed")
    _sold(store, sku, 4, "cancelled")
    SkuFactory(product__store=store, product__title="新品", stock=0)
    response = merchant_client.get(reverse("shop:product_list"))
    rows = {p.title: p for p in response.context["page"]}
    # then the sales column counts only what was paid for, and stock is summed
    assert (rows["热销T恤"].sold, rows["热销T恤"].total_stock) == (5, 7)
    assert (rows["新品"].sold, rows["新品"].total_stock) == (0, 0)
    page = response.content.decode()
    assert "销量" in page and 'data-testid="sold">5<' in page
    # and sorting by sales puts the best seller first
    ranked = merchant_client.get(reverse("shop:product_list"), {"sort": "sales"}).context["page"]
    assert [p.title for p in ranked][0] == "热销T恤"


def test_the_list_filters_by_category_stock_and_price(merchant_client, store):
    fruit, clothes = CategoryFactory(name="水果"), CategoryFactory(name="服饰")
    SkuFactory(
        product__store=store, product__title="苹果", product__category=fruit, stock=0, price=990, group_price=890
    )
    SkuFactory(
        product__store=store, product__title="梨", product__category=fruit, stock=5, price=1990, group_price=1890
    )
    SkuFactory(product__store=store, product__title="T恤", product__category=clothes, stock=50, price=5990)

    def titles(**params):
        return sorted(p.title for p in merchant_client.get(reverse("shop:product_list"), params).context["page"])

    assert titles(category=fruit.pk) == ["梨", "苹果"]
    assert titles(stock="out") == ["苹果"]
    assert titles(stock="low") == ["梨"]
    assert titles(price_min="10", price_max="30") == ["梨"]
    assert titles(category=fruit.pk, stock="in") == ["梨"]
    page = merchant_client.get(reverse("shop:product_list")).content.decode()
    assert 'name="category"' in page and 'name="stock"' in page and 'name="price_min"' in page
    assert "onclick" not in page  # select-all lives in static/js (strict CSP)


def test_each_row_offers_edit_take_off_and_copy(merchant_client, store):
    product = pictured(SkuFactory(product__store=store, product__title="连衣裙").product)
    from tests.conftest import force_status

    force_status(product, "on_sale")
    page = merchant_client.get(reverse("shop:product_list")).content.decode()
    assert f'href="{reverse("shop:product_edit", args=[product.pk])}" data-testid="row-edit"' in page
    assert f'formaction="{reverse("shop:product_transition", args=[product.pk, "off_shelf"])}"' in page
    assert f'formaction="{reverse("shop:product_copy", args=[product.pk])}"' in page
    assert "row-on-sale" not in page
    # 下架 from the row returns to the list
    response = merchant_client.post(
        reverse("shop:product_transition", args=[product.pk, "off_shelf"]), {"next": "/shop/products/?stock=in"}
    )
    assert response["Location"] == "/shop/products/?stock=in"
    product.refresh_from_db()
    assert product.status == ProductStatus.OFF_SHELF


def test_copy_makes_a_draft_with_the_skus_and_pictures(merchant_client, store):
    product = SkuFactory(product__store=store, product__title="连衣裙", stock=9, code="DRESS-1").product
    SkuFactory(product=product, spec={"颜色": "蓝"}, stock=3)
    from shop.services.catalog import product_image_add

    product_image_add(product=product, upload=png_upload("dress.png"), by="t")
    response = merchant_client.post(reverse("shop:product_copy", args=[product.pk]))
    copy = Product.objects.exclude(pk=product.pk).get()
    assert response["Location"] == reverse("shop:product_edit", args=[copy.pk])
    assert copy.title == "连衣裙（副本）" and copy.status == ProductStatus.DRAFT
    assert sorted(s.price for s in copy.skus.all()) == sorted(s.price for s in product.skus.all())
    assert {s.stock for s in copy.skus.all()} == {0} and {s.code for s in copy.skus.all()} == {""}
    assert copy.images.count() == 1 and copy.images.get().image.name != product.images.get().image.name
    assert copy.images.get().image.read()  # its own file
    assert AuditEntry.objects.filter(object_id=str(copy.pk), transition="copy").exists()
    # and the original is unchanged
    assert product.skus.count() == 2 and product.images.count() == 1


def test_another_stores_product_cannot_be_copied(merchant_client, other_store):
    foreign = SkuFactory(product__store=other_store).product
    assert merchant_client.post(reverse("shop:product_copy", args=[foreign.pk])).status_code == 404
    assert Product.objects.count() == 1
