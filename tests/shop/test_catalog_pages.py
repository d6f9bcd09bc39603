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
