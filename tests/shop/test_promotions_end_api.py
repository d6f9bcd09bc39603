"""An ERP ends what it started: `POST …/{id}/end/` on each kind of promotion, and 追加 on a coupon batch, as the
merchant's pages do (audited, 409 once ended, another store's promotion not found)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry
from shop.models import CouponBatch
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def create_all(api, store) -> dict[str, int]:
    sku = SkuFactory(product__store=store, price=5000, group_price=4000)
    start, end = timezone.now() - timedelta(minutes=1), timezone.now() + timedelta(days=3)
    bodies = {
        "discount": ("api-promotion-discounts", {"sku_id": sku.pk, "kind": "permille", "permille": 850}),
        "spend-and-save": ("api-promotion-spend-and-save", {"name": "满100减10", "tiers": [{"threshold": 10000, "discount": 1000}]}),
        "coupon": ("api-promotion-coupons", {"name": "新客券", "kind": "threshold", "quantity": 100, "threshold": 5000, "amount": 500}),
    }  # fmt: skip
    made = {}
    for kind, (route, body) in bodies.items():
        response = api.post(reverse(route), {**body, "starts_at": start, "ends_at": end}, format="json")
        assert response.status_code == 201, response.json()
        made[kind] = response.json()["id"]
    return made


def test_each_promotion_ends_once_through_the_api(api, store):
    made = create_all(api, store)
    for kind, pk in made.items():
        ended = api.post(reverse(f"api-promotion-{kind}-end", args=[pk]), format="json")
        assert ended.status_code == 200 and ended.json()["status"] == "ended", (kind, ended.json())
        again = api.post(reverse(f"api-promotion-{kind}-end", args=[pk]), format="json")
        assert again.status_code == 409 and again.json()["error"]["code"], kind
    assert AuditEntry.objects.filter(transition="end").count() == 3


def test_another_stores_promotion_is_not_found(api, other_api, store, other_store):
    made = create_all(other_api, other_store)
    for kind, pk in made.items():
        assert api.post(reverse(f"api-promotion-{kind}-end", args=[pk]), format="json").status_code == 404, kind


def test_a_coupon_batch_gets_more_coupons_audited(api, store):
    pk = create_all(api, store)["coupon"]
    url = reverse("api-promotion-coupon-add-quantity", args=[pk])
    added = api.post(url, {"extra": 50}, format="json")
    assert added.status_code == 200 and added.json()["quantity"] == 150
    entry = AuditEntry.objects.get(transition="add_quantity", object_id=pk)
    assert entry.data == {"extra": 50, "quantity": 150}
    assert api.post(url, {"extra": 0}, format="json").status_code == 400
    api.post(reverse("api-promotion-coupon-end", args=[pk]), format="json")
    ended = api.post(url, {"extra": 5}, format="json")
    assert ended.status_code == 409 and ended.json()["error"]["code"] == "coupon_ended"
    assert CouponBatch.objects.get(pk=pk).quantity == 150
