"""Catalogue API: products and SKUs (list, retrieve, stock), coupons (list, claim), isolation, errors, queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.models import CouponClaim, ProductStatus
from shop.services.promotions import coupon_create
from tests.conftest import api_client_for, force_status
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def coupon(store, **kwargs):
    now = timezone.now()
    data = {
        "name": "满50减5",
        "kind": "threshold",
        "threshold": 5000,
        "amount": 500,
        "quantity": 2,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=3),
        **kwargs,
    }
    return coupon_create(store=store, by="t", **data)


def test_list_and_retrieve_products(api, store, other_store):
    sku = SkuFactory(product__store=store, product__is_fresh=True)
    SkuFactory(product__store=other_store)
    body = api.get(reverse("api-products")).json()
    assert [p["id"] for p in body["results"]] == [sku.product.pk]
    product = body["results"][0]
    assert product["skus"][0]["price"] == sku.price
    assert product["special_goods"] == ["fresh"]
    assert api.get(reverse("api-product", args=[sku.product.pk])).json()["title"] == sku.product.title


def test_products_filters(api, store):
    draft = SkuFactory(product__store=store).product
    sale = SkuFactory(product__store=store).product
    force_status(sale, "on_sale")
    assert [p["id"] for p in api.get(reverse("api-products"), {"status": "on_sale"}).json()["results"]] == [sale.pk]
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert api.get(reverse("api-products"), {"updated_since": future}).json()["results"] == []
    bad = api.get(reverse("api-products"), {"status": "nope", "updated_since": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"status", "updated_since"}
    assert draft.status == ProductStatus.DRAFT


@pytest.mark.parametrize("size", [2, 12])
def test_product_list_constant_queries(api, store, django_assert_max_num_queries, size):
    for _ in range(size):
        product = SkuFactory(product__store=store).product
        SkuFactory(product=product)
    with django_assert_max_num_queries(8):
        body = api.get(reverse("api-products")).json()
    assert len(body["results"]) == size


@pytest.mark.parametrize("size", [2, 12])
def test_sku_list_constant_queries(api, store, django_assert_max_num_queries, size):
    for _ in range(size):
        SkuFactory(product__store=store)
    with django_assert_max_num_queries(6):
        body = api.get(reverse("api-skus")).json()
    assert len(body["results"]) == size


def test_sku_list_by_code_and_retrieve(api, store):
    sku = SkuFactory(product__store=store, code="ERP-9")
    SkuFactory(product__store=store, code="ERP-10")
    assert [s["id"] for s in api.get(reverse("api-skus"), {"code": "ERP-9"}).json()["results"]] == [sku.pk]
    assert api.get(reverse("api-sku", args=[sku.pk])).json()["code"] == "ERP-9"


def test_update_stock_idempotent(api, store):
    sku = SkuFactory(product__store=store, stock=1)
    url = reverse("api-sku-stock", args=[sku.pk])
    first = api.post(url, {"stock": 40}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 200 and first.json()["stock"] == 40
    sku.refresh_from_db()
    sku.stock = 3
    sku.save()
    again = api.post(url, {"stock": 40}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again["Idempotent-Replayed"] == "true"
    sku.refresh_from_db()
    assert sku.stock == 3  # the replay did not apply twice


@pytest.mark.parametrize("body", [{}, {"stock": -1}, {"stock": "many"}])
def test_update_stock_bad_input(api, store, body):
    sku = SkuFactory(product__store=store, stock=1)
    response = api.post(reverse("api-sku-stock", args=[sku.pk]), body, format="json")
    assert response.status_code == 400
    assert "stock" in response.json()["error"]["fields"]
    sku.refresh_from_db()
    assert sku.stock == 1


def test_other_stores_objects_are_404(api, other_store, storefront):
    sku = SkuFactory(product__store=other_store, stock=1)
    batch = coupon(other_store)
    for url in (reverse("api-product", args=[sku.product.pk]), reverse("api-sku", args=[sku.pk])):
        response = api.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.post(reverse("api-sku-stock", args=[sku.pk]), {"stock": 5}, format="json").status_code == 404
    assert storefront.post(reverse("api-coupon-claim", args=[batch.pk]), {"buyer_ref": "b"}, format="json").status_code == 404
    sku.refresh_from_db()
    assert sku.stock == 1
    assert not CouponClaim.objects.exists()


def test_scope_and_auth_required(store, client):
    assert client.get(reverse("api-products")).status_code in (401, 403)
    orders_only = api_client_for(store, scopes=["orders:read"])
    response = orders_only.get(reverse("api-products"))
    assert response.status_code == 403 and "error" in response.json()


def test_coupon_list_and_claim(storefront, store):
    live = coupon(store)
    coupon(store, name="未开始", starts_at=timezone.now() + timedelta(days=1))
    listed = storefront.get(reverse("api-coupons")).json()["results"]
    assert [c["id"] for c in listed] == [live.pk]
    url = reverse("api-coupon-claim", args=[live.pk])
    first = storefront.post(url, {"buyer_ref": "b1"}, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == 201
    replay = storefront.post(url, {"buyer_ref": "b1"}, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert replay.json()["code"] == first.json()["code"]
    assert CouponClaim.objects.count() == 1
    limit = storefront.post(url, {"buyer_ref": "b1"}, format="json")
    assert limit.status_code == 409 and limit.json()["error"]["code"] == "coupon_limit_reached"
    storefront.post(url, {"buyer_ref": "b2"}, format="json")
    sold_out = storefront.post(url, {"buyer_ref": "b3"}, format="json")
    assert sold_out.json()["error"]["code"] == "coupon_sold_out"
    assert storefront.get(reverse("api-coupons")).json()["results"] == []


def test_claim_bad_input(store, storefront):
    batch = coupon(store)
    response = storefront.post(reverse("api-coupon-claim", args=[batch.pk]), {"buyer_ref": ""}, format="json")
    assert response.status_code == 400 and "buyer_ref" in response.json()["error"]["fields"]


def test_schema_generates(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/coupons/{id}/claim/" in response.content


def test_buyer_lists_own_claims(store, other_store, storefront, other_storefront):
    batch = coupon(store)
    storefront.post(reverse("api-coupon-claim", args=[batch.pk]), {"buyer_ref": "b1"}, format="json")
    storefront.post(reverse("api-coupon-claim", args=[batch.pk]), {"buyer_ref": "b2"}, format="json")
    mine = storefront.get(reverse("api-coupon-claims"), {"buyer_ref": "b1"}).json()["results"]
    assert [(c["buyer_ref"], c["status"]) for c in mine] == [("b1", "claimed")]
    assert other_storefront.get(reverse("api-coupon-claims"), {"buyer_ref": "b1"}).json()["results"] == []
    missing = storefront.get(reverse("api-coupon-claims"))
    assert missing.status_code == 400 and "buyer_ref" in missing.json()["error"]["fields"]
