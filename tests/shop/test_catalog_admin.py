"""Admin: catalogue and promotion screens load, search, and run transitions through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.models import ProductStatus, PromotionStatus
from shop.services.promotions import coupon_claim, coupon_create
from tests.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["product", "sku", "limitedtimediscount", "spendandsave", "couponbatch", "couponclaim"]
)
def test_changelists_load_and_search(admin_client, store, model):
    SkuFactory(product__store=store)
    now = timezone.now()
    batch = coupon_create(
        store=store,
        name="c",
        kind="threshold",
        amount=10,
        quantity=5,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        by="t",
    )
    coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    url = reverse(f"admin:shop_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_shelf_actions(admin_client, store):
    good = SkuFactory(product__store=store).product
    empty = ProductFactory(store=store)
    url = reverse("admin:shop_product_changelist")
    admin_client.post(url, {"action": "put_on_sale", "_selected_action": [good.pk, empty.pk]})
    good.refresh_from_db()
    empty.refresh_from_db()
    assert (good.status, empty.status) == (ProductStatus.ON_SALE, ProductStatus.DRAFT)
    admin_client.post(url, {"action": "take_off_shelf", "_selected_action": [good.pk]})
    good.refresh_from_db()
    assert good.status == ProductStatus.OFF_SHELF
    assert admin_client.get(reverse("admin:shop_product_change", args=[good.pk])).status_code == 200


def test_end_promotion_action(admin_client, store):
    now = timezone.now()
    batch = coupon_create(
        store=store,
        name="c",
        kind="threshold",
        amount=10,
        quantity=5,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        by="t",
    )
    admin_client.post(reverse("admin:shop_couponbatch_changelist"), {"action": "end", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == PromotionStatus.ENDED
