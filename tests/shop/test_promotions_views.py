"""Promotion pages: list tabs, create each kind (field errors on bad input), end, add quantity, isolation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.models import CouponBatch, LimitedTimeDiscount, PromotionStatus, SpendAndSave
from shop.services.promotions import coupon_create, discount_create, spend_and_save_create
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def window():
    now = timezone.now()
    return {"starts_at": local(now), "ends_at": local(now + timedelta(days=3))}


@pytest.fixture
def sku(store):
    return SkuFactory(product__store=store, price=10000, group_price=8000)


def test_list_tabs(merchant_client, store, sku):
    now = timezone.now()
    discount_create(
        store=store, sku=sku, kind="price", price=5000, starts_at=now, ends_at=now + timedelta(days=1), by="t"
    )
    for tab in ("discounts", "spend_and_save", "coupons", "bogus"):
        response = merchant_client.get(reverse("shop:promotion_list"), {"tab": tab})
        assert response.status_code == 200
    assert "活动价" in merchant_client.get(reverse("shop:promotion_list")).content.decode()


@pytest.mark.parametrize("size", [2, 10])
def test_list_constant_queries(merchant_client, store, django_assert_max_num_queries, size):
    now = timezone.now()
    for i in range(size):
        coupon_create(
            store=store,
            name=f"c{i}",
            kind="threshold",
            amount=100,
            quantity=5,
            starts_at=now,
            ends_at=now + timedelta(days=1),
            by="t",
        )
        discount_create(
            store=store,
            sku=SkuFactory(product__store=store),
            kind="permille",
            permille=500,
            starts_at=now,
            ends_at=now + timedelta(days=1),
            by="t",
        )
    for tab in ("coupons", "discounts"):
        with django_assert_max_num_queries(10):
            merchant_client.get(reverse("shop:promotion_list"), {"tab": tab})


def discount_post(chosen, window, **data):
    return {"name": "双11限时折扣", "kind": "permille", "zhe": "8.5", "skus": [s.pk for s in chosen], **window, **data}


def test_create_discount(merchant_client, store, sku, window):
    assert merchant_client.get(reverse("shop:discount_create")).status_code == 200
    response = merchant_client.post(
        reverse("shop:discount_create"), discount_post([sku], window, kind="price", **{f"price_{sku.pk}": "79.90"})
    )
    assert response.status_code == 302
    assert LimitedTimeDiscount.objects.get().price == 7990


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "price"}, "price_{pk}"),
        ({"kind": "price", "price_{pk}": "100.00"}, "items"),  # service: not below the single price
        ({"zhe": "15"}, "zhe"),
        ({"zhe": ""}, "zhe"),
        ({"ends_at": "2020-01-01T00:00"}, "ends_at"),
        ({"skus": ["999999"]}, "skus"),
    ],
)
def test_create_discount_bad_input(merchant_client, sku, window, data, field):
    data = {k.format(pk=sku.pk): v for k, v in data.items()}
    response = merchant_client.post(reverse("shop:discount_create"), discount_post([sku], window, **data))
    assert response.status_code == 400
    page = response.content.decode()
    if field == "items":
        assert 'data-testid="form-errors"' in page and "低于单买价" in page
    else:
        assert f'data-field="{field.format(pk=sku.pk)}"' in page
    assert not LimitedTimeDiscount.objects.exists()


def test_create_overlapping_discount_names_the_activity(merchant_client, store, sku, window):
    merchant_client.post(reverse("shop:discount_create"), discount_post([sku], window, name="春季大促"))
    response = merchant_client.post(reverse("shop:discount_create"), discount_post([sku], window, name="另一个"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "重叠" in page and "春季大促" in page
    assert LimitedTimeDiscount.objects.count() == 1


def test_discount_for_other_stores_sku_is_not_offered(merchant_client, other_store, window):
    foreign = SkuFactory(product__store=other_store)
    response = merchant_client.post(reverse("shop:discount_create"), discount_post([foreign], window))
    assert response.status_code == 400
    assert not LimitedTimeDiscount.objects.exists()


def tier_rows(*pairs):
    data = {}
    for i, (threshold, discount) in enumerate(pairs):
        data[f"threshold_{i}"], data[f"discount_{i}"] = threshold, discount
    return data


def test_create_spend_and_save(merchant_client, window):
    response = merchant_client.post(
        reverse("shop:spend_and_save_create"), {"name": "满减", **tier_rows(("200", "25"), ("100", "10")), **window}
    )
    assert response.status_code == 302
    assert SpendAndSave.objects.get().tiers == [
        {"threshold": 10000, "discount": 1000},
        {"threshold": 20000, "discount": 2500},
    ]
    assert SpendAndSave.objects.get().product_ids == []


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((), "tiers"),
        ((("一百", "10"),), "threshold_0"),
        ((("100", ""),), "discount_0"),
        ((("100", "100"),), "tiers"),
        ((("100", "10"), ("200", "5")), "tiers"),
    ],
)
def test_create_spend_and_save_bad_tiers(merchant_client, window, tiers, field):
    response = merchant_client.post(
        reverse("shop:spend_and_save_create"), {"name": "满减", **tier_rows(*tiers), **window}
    )
    assert response.status_code == 400 and f'data-field="{field}"' in response.content.decode()
    assert not SpendAndSave.objects.exists()


def test_create_coupons(merchant_client, store, sku, window):
    merchant_client.post(
        reverse("shop:coupon_create"),
        {
            "name": "满50减5",
            "kind": "threshold",
            "threshold": "50",
            "amount": "5",
            "quantity": "100",
            "per_user_limit": "1",
            **window,
        },
    )
    merchant_client.post(
        reverse("shop:coupon_create"),
        {
            "name": "9折",
            "kind": "percentage",
            "percent_off": "10",
            "cap": "20",
            "quantity": "10",
            "per_user_limit": "2",
            "valid_days": "7",
            "products": [sku.product.pk],
            **window,
        },
    )
    threshold, percentage = CouponBatch.objects.order_by("id")
    assert (threshold.threshold, threshold.amount) == (5000, 500)
    assert (percentage.percent_off, percentage.cap, list(percentage.products.all())) == (10, 2000, [sku.product])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "threshold", "amount": ""}, "amount"),
        ({"kind": "threshold", "amount": "60", "threshold": "50"}, "amount"),
        ({"kind": "percentage", "percent_off": "0"}, "percent_off"),
        ({"kind": "threshold", "amount": "5", "quantity": "0"}, "quantity"),
        ({"kind": "threshold", "amount": "5", "name": ""}, "name"),
    ],
)
def test_create_coupon_bad_input(merchant_client, window, data, field):
    base = {"name": "券", "quantity": "10", "per_user_limit": "1", **window}
    response = merchant_client.post(reverse("shop:coupon_create"), {**base, **data})
    assert response.status_code == 400 and f'data-field="{field}"' in response.content.decode()
    assert not CouponBatch.objects.exists()


def test_end_and_add_quantity(merchant_client, store, sku):
    now = timezone.now()
    span = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    d = discount_create(store=store, sku=sku, kind="permille", permille=500, by="t", **span)
    s = spend_and_save_create(store=store, name="s", tiers=[{"threshold": 100, "discount": 10}], by="t", **span)
    c = coupon_create(store=store, name="c", kind="threshold", amount=10, quantity=5, by="t", **span)
    merchant_client.post(reverse("shop:coupon_add_quantity", args=[c.pk]), {"extra": "5"})
    merchant_client.post(reverse("shop:coupon_add_quantity", args=[c.pk]), {"extra": "-1"})
    c.refresh_from_db()
    assert c.quantity == 10
    for kind, obj in (("discounts", d), ("spend_and_save", s), ("coupons", c)):
        url = reverse("shop:promotion_end", args=[kind, obj.pk])
        assert merchant_client.post(url, {"confirm": "1"}).status_code == 302
        obj.refresh_from_db()
        assert obj.status == PromotionStatus.ENDED
    again = merchant_client.post(reverse("shop:promotion_end", args=["coupons", c.pk]), {"confirm": "1"}, follow=True)
    assert list(again.context["messages"])


def test_other_stores_promotions_are_404(merchant_client, other_store):
    now = timezone.now()
    span = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    foreign_sku = SkuFactory(product__store=other_store)
    d = discount_create(store=other_store, sku=foreign_sku, kind="permille", permille=500, by="t", **span)
    c = coupon_create(store=other_store, name="c", kind="threshold", amount=10, quantity=5, by="t", **span)
    assert (
        merchant_client.post(reverse("shop:promotion_end", args=["discounts", d.pk]), {"confirm": "1"}).status_code
        == 404
    )
    assert (
        merchant_client.post(reverse("shop:promotion_end", args=["coupons", c.pk]), {"confirm": "1"}).status_code == 404
    )
    assert merchant_client.get(reverse("shop:promotion_end", args=["coupons", c.pk])).status_code == 404
    assert merchant_client.post(reverse("shop:coupon_add_quantity", args=[c.pk]), {"extra": "5"}).status_code == 404
    d.refresh_from_db()
    c.refresh_from_db()
    assert (d.status, c.status, c.quantity) == (PromotionStatus.ACTIVE, PromotionStatus.ACTIVE, 5)
    assert "c" not in [
        row.name for row in merchant_client.get(reverse("shop:promotion_list"), {"tab": "coupons"}).context["rows"]
    ]
