"""An ERP writes the catalogue and promotions through the API (issue 15): products with SKUs and special-goods
flags, prices, on-sale/off-shelf, image upload (multipart only), promotions read and create."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from shop.models import Product
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def product_body(**overrides) -> dict:
    return {
        "title": "青花瓷马克杯", "category": "home", "is_fragile": True,
        "spec_attributes": [{"name": "容量", "values": ["350ml", "500ml"]}],
        "skus": [
            {"spec": {"容量": "350ml"}, "code": "MUG-350", "price": 3990, "group_price": 2990, "stock": 10},
            {"spec": {"容量": "500ml"}, "code": "MUG-500", "price": 4990, "group_price": 3990, "stock": 5},
        ],
    } | overrides  # fmt: skip


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("cup.png", buffer.getvalue(), content_type="image/png")


def test_an_erp_lists_a_product_changes_it_and_takes_it_off_shelf(api, store):
    created = api.post(reverse("api-products"), product_body(), format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert created.status_code == 201, created.json()
    product = created.json()
    assert product["status"] == "draft" and product["special_goods"] == ["fragile"] and len(product["skus"]) == 2
    pk = product["id"]
    # a product needs a picture to go on sale (pagesa's rule): refused without one, accepted after the upload
    bare = api.post(reverse("api-product-put-on-sale", args=[pk]), {}, format="json")
    assert bare.status_code == 409 and bare.json()["error"]["code"] == "product_without_image"
    assert api.post(reverse("api-product-images", args=[pk]), {"image": png()}, format="multipart").status_code == 201
    on_sale = api.post(reverse("api-product-put-on-sale", args=[pk]), {}, format="json")
    assert on_sale.status_code == 200 and on_sale.json()["status"] == "on_sale"
    patched = api.patch(reverse("api-product", args=[pk]), {"title": "新标题", "is_frozen": True}, format="json")
    assert patched.status_code == 200 and patched.json()["title"] == "新标题"
    assert set(patched.json()["special_goods"]) == {"fragile", "frozen"}
    sku_id = product["skus"][0]["id"]
    priced = api.patch(reverse("api-sku", args=[sku_id]), {"price": 3590, "group_price": 2590}, format="json")
    assert priced.status_code == 200 and (priced.json()["price"], priced.json()["group_price"]) == (3590, 2590)
    half = api.patch(reverse("api-sku", args=[sku_id]), {"price": 3000}, format="json")
    assert half.status_code == 400 and "group_price" in half.json()["error"]["fields"]
    off = api.post(reverse("api-product-take-off-shelf", args=[pk]), {"reason": "换季"}, format="json")
    assert off.status_code == 200 and off.json()["status"] == "off_shelf"
    again = api.post(reverse("api-product-take-off-shelf", args=[pk]), {}, format="json")
    assert again.status_code == 409
    assert Product.objects.get(pk=pk).status == "off_shelf"


def test_product_input_errors_name_their_paths(api):
    body = product_body(skus=[{"spec": {"容量": "350ml"}, "price": 0, "group_price": 1}])
    response = api.post(reverse("api-products"), body, format="json")
    assert response.status_code == 400 and "skus[0].price" in response.json()["error"]["fields"]
    unknown = api.post(reverse("api-products"), product_body(category="nope"), format="json")
    assert unknown.status_code == 400 and "category" in unknown.json()["error"]["fields"]
    assert not Product.objects.exists()


def test_images_upload_as_multipart_only(api, store):
    sku = SkuFactory(product__store=store)
    url = reverse("api-product-images", args=[sku.product.pk])
    uploaded = api.post(url, {"image": png()}, format="multipart")
    assert uploaded.status_code == 201 and len(uploaded.json()["images"]) == 1
    as_json = api.post(url, {"image": "x"}, format="json")
    assert as_json.status_code == 415 and as_json.json()["error"]["code"] == "unsupported_media_type"


def test_a_storefront_key_cannot_write_the_catalogue(storefront):
    response = storefront.post(reverse("api-products"), product_body(), format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_side"


def test_promotions_read_and_create(api, store):
    sku = SkuFactory(product__store=store, price=5000, group_price=4000)
    start, end = timezone.now() + timedelta(hours=1), timezone.now() + timedelta(days=3)
    discount = api.post(
        reverse("api-promotion-discounts"),
        {"sku_id": sku.pk, "kind": "price", "price": 3500, "starts_at": start, "ends_at": end},
        format="json",
    )
    assert discount.status_code == 201, discount.json()
    campaign = api.post(
        reverse("api-promotion-spend-and-save"),
        {"name": "满减", "tiers": [{"threshold": 10000, "discount": 1000}], "starts_at": start, "ends_at": end},
        format="json",
    )
    assert campaign.status_code == 201, campaign.json()
    batch = api.post(
        reverse("api-promotion-coupons"),
        {"name": "新客券", "kind": "threshold", "quantity": 100, "threshold": 5000, "amount": 500,
         "starts_at": start, "ends_at": end},
        format="json",
    )  # fmt: skip
    assert batch.status_code == 201, batch.json()
    for name, created in (("discounts", discount), ("spend-and-save", campaign), ("coupons", batch)):
        listed = api.get(reverse(f"api-promotion-{name}")).json()["results"]
        assert [p["id"] for p in listed] == [created.json()["id"]], name
    bad = api.post(reverse("api-promotion-spend-and-save"), {"name": "x", "tiers": [], "starts_at": start,
                                                              "ends_at": end}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "tiers" in bad.json()["error"]["fields"]
