"""Admin: catalogue and promotion screens load, search, and run transitions through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.models import ProductStatus, PromotionStatus
from shop.services.promotions import coupon_claim, coupon_create, coupon_end, discount_create
from tests.conftest import force_status
from tests.factories import ProductFactory, SkuFactory
from tests.shop.catalog_support import pictured

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
    good = pictured(SkuFactory(product__store=store).product)
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


# Values are read-only; changes go through actions that call the services ------------------------------------


def test_prices_stock_windows_and_coupon_values_are_read_only(admin_client, store):
    # given a SKU, a discount on it and a coupon batch
    sku = SkuFactory(product__store=store, price=1000, group_price=900, stock=5)
    now = timezone.now()
    discount = discount_create(
        store=store, sku=sku, kind="price", price=800, starts_at=now, ends_at=now + timedelta(days=1), by="t"
    )
    batch = coupon_create(
        store=store, name="c", kind="threshold", amount=10, quantity=5, starts_at=now,
        ends_at=now + timedelta(days=1), by="t",
    )  # fmt: skip
    # when staff post changed values to the change forms
    admin_client.post(reverse("admin:shop_sku_change", args=[sku.pk]), {"price": 1, "group_price": 1, "stock": 999})
    admin_client.post(
        reverse("admin:shop_limitedtimediscount_change", args=[discount.pk]),
        {"price": 1, "starts_at_0": "2000-01-01", "starts_at_1": "00:00", "ends_at_0": "2100-01-01"},
    )
    admin_client.post(reverse("admin:shop_couponbatch_change", args=[batch.pk]), {"amount": 9999, "quantity": 1})
    # then nothing changed: the forms have no editable value fields, and nothing can be added
    sku.refresh_from_db()
    discount.refresh_from_db()
    batch.refresh_from_db()
    assert (sku.price, sku.group_price, sku.stock) == (1000, 900, 5)
    assert discount.price == 800 and discount.starts_at == now
    assert (batch.amount, batch.quantity) == (10, 5)
    for model in ("product", "sku", "limitedtimediscount", "spendandsave", "couponbatch", "couponclaim"):
        assert admin_client.get(reverse(f"admin:shop_{model}_add")).status_code == 403, model


def test_stock_is_set_through_the_service(admin_client, store):
    sku = SkuFactory(product__store=store, stock=5)
    url = reverse("admin:shop_sku_changelist")
    admin_client.post(url, {"action": "set_stock", "_selected_action": [sku.pk], "stock": "12"})
    sku.refresh_from_db()
    assert sku.stock == 12
    # out of the column's range or negative: refused, nothing changed
    for bad in ("-1", "99999999999", ""):
        admin_client.post(url, {"action": "set_stock", "_selected_action": [sku.pk], "stock": bad})
        sku.refresh_from_db()
        assert sku.stock == 12, bad


def test_prices_change_through_the_service_with_its_checks(admin_client, store, other_store):
    sku = SkuFactory(product__store=store, price=1000, group_price=900)
    url = reverse("admin:shop_sku_changelist")

    def set_price(target, price, group):
        return admin_client.post(
            url,
            {"action": "set_price", "_selected_action": [target.pk], "price_yuan": price, "group_price_yuan": group},
            follow=True,
        )

    # a group price above the price is refused with the service's message
    response = set_price(sku, "10.00", "12.00")
    assert "拼团价不能高于单买价" in response.content.decode()
    sku.refresh_from_db()
    assert (sku.price, sku.group_price) == (1000, 900)
    # a price at or below a live discount's price is refused
    now = timezone.now()
    discount_create(
        store=store, sku=sku, kind="price", price=700, starts_at=now, ends_at=now + timedelta(days=1), by="t"
    )
    set_price(sku, "7.00", "6.00")
    sku.refresh_from_db()
    assert sku.price == 1000
    # a store that is not open: refused
    closed = SkuFactory(product__store=other_store, price=1000, group_price=900)
    force_status(other_store, "suspended")
    set_price(closed, "20.00", "18.00")
    closed.refresh_from_db()
    assert closed.price == 1000
    # valid prices are applied
    set_price(sku, "12.50", "11.00")
    sku.refresh_from_db()
    assert (sku.price, sku.group_price) == (1250, 1100)


def test_coupon_quantity_is_added_through_the_service(admin_client, store):
    now = timezone.now()
    batch = coupon_create(
        store=store, name="c", kind="threshold", amount=10, quantity=5, starts_at=now,
        ends_at=now + timedelta(days=1), by="t",
    )  # fmt: skip
    url = reverse("admin:shop_couponbatch_changelist")
    admin_client.post(url, {"action": "add_quantity", "_selected_action": [batch.pk], "extra": "3"})
    batch.refresh_from_db()
    assert batch.quantity == 8
    coupon_end(coupon=batch, by="t")
    admin_client.post(url, {"action": "add_quantity", "_selected_action": [batch.pk], "extra": "3"})
    batch.refresh_from_db()
    assert batch.quantity == 8  # an ended batch is refused by the service
