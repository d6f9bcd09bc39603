"""Removing a product's picture: through the API (DELETE on the image) and the page, never the last picture of an
on-sale product while pictures are required, audited on the product, files removed once committed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEntry
from shop.models import ProductImage
from tests.factories import SkuFactory
from tests.shop.test_catalog_write_api import png

pytestmark = pytest.mark.django_db


def upload(api, product) -> dict:
    response = api.post(reverse("api-product-images", args=[product.pk]), {"image": png()}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_an_erp_removes_a_picture_but_not_the_last_one_of_an_on_sale_product(
    api, store, django_capture_on_commit_callbacks
):
    product = SkuFactory(product__store=store).product
    first = upload(api, product)["images"][0]
    second = upload(api, product)["images"][1]
    assert api.post(reverse("api-product-put-on-sale", args=[product.pk]), {}, format="json").status_code == 200
    stored = ProductImage.objects.get(pk=second["id"])
    with django_capture_on_commit_callbacks(execute=True):
        removed = api.delete(reverse("api-product-image", args=[product.pk, second["id"]]))
    assert removed.status_code == 200 and [i["id"] for i in removed.json()["images"]] == [first["id"]]
    assert not stored.image.storage.exists(stored.image.name)  # the files went with the row, after commit
    last = api.delete(reverse("api-product-image", args=[product.pk, first["id"]]))
    assert last.status_code == 400 and last.json()["error"]["code"] == "bad_image"
    assert ProductImage.objects.filter(product=product).count() == 1
    assert AuditEntry.objects.filter(object_id=product.pk, transition="image_delete").count() == 1


def test_another_stores_picture_is_not_found(api, store):
    other = SkuFactory().product
    image = ProductImage.objects.create(product=other, position=0)
    mine = SkuFactory(product__store=store).product
    assert api.delete(reverse("api-product-image", args=[other.pk, image.pk])).status_code == 404
    assert api.delete(reverse("api-product-image", args=[mine.pk, image.pk])).status_code == 404
    assert ProductImage.objects.filter(pk=image.pk).exists()


def test_the_page_says_why_the_last_picture_stays(api, merchant_client, store):
    product = SkuFactory(product__store=store).product
    image = upload(api, product)["images"][0]
    api.post(reverse("api-product-put-on-sale", args=[product.pk]), {}, format="json")
    page = merchant_client.post(reverse("shop:product_image_delete", args=[product.pk, image["id"]]), follow=True)
    assert "至少保留一张图片" in page.content.decode()
    assert ProductImage.objects.filter(pk=image["id"]).exists()
