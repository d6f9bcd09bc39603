"""满2件折扣 (second-item discount, DOMAIN.md Promotions): every second unit of a product in one order at the
promotion's 折, the cheaper units first; created and ended on the merchant's page and through the API, windows of
one product never overlapping, itemised in the order's discounts and funded by the seller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict, ValidationFailed
from portal.models import AuditEntry
from shop.models import SecondItemDiscount
from shop.services.pricing import price_order
from shop.services.promotions import discount_create, second_item_create, second_item_end
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def window(days: int = 3) -> dict:
    now = timezone.now()
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=days)}


@pytest.fixture
def product_skus(store):
    cheap = SkuFactory(product__store=store, price=6000, group_price=5000, stock=50)
    dear = SkuFactory(product=cheap.product, price=10000, group_price=9000, stock=50)
    return cheap, dear


def test_every_second_unit_of_the_product_costs_its_zhe_the_cheaper_first(store, product_skus):
    cheap, dear = product_skus
    other = SkuFactory(product__store=store, price=2000, group_price=1500, stock=50)
    second_item_create(store=store, product=cheap.product, permille=850, by="t", **window())
    one = price_order(store=store, lines=[(dear, 1)])
    assert one.discounts == []  # one unit: nothing to pair
    quote = price_order(store=store, lines=[(dear, 2), (cheap, 1), (other, 3)])
    # 3 units of the product: one pair; the cheaper unit (60.00) takes 8.5折, 9.00 off; the other product none
    assert [d["kind"] for d in quote.discounts] == ["second_item"]
    assert quote.discounts[0]["amount"] == 900 and quote.discounts[0]["product_id"] == cheap.product_id
    lines = {line.sku.pk: line.discount for line in quote.lines}
    assert lines == {dear.pk: 0, cheap.pk: 900, other.pk: 0}
    assert quote.discount_shares() == {"seller": 900, "platform": 0, "leader_free": 0}
    four = price_order(store=store, lines=[(dear, 4)])
    assert four.discounts[0]["amount"] == 2 * 1500  # two of four units at 8.5折 of 100.00


def test_it_applies_after_the_limited_time_discount(store, product_skus):
    cheap, _dear = product_skus
    discount_create(store=store, sku=cheap, kind="price", price=5000, by="t", **window())
    second_item_create(store=store, product=cheap.product, permille=500, by="t", **window())
    quote = price_order(store=store, lines=[(cheap, 2)])
    assert [d["kind"] for d in quote.discounts] == ["limited_time", "second_item"]
    assert quote.discounts[1]["amount"] == 2500  # half of the 50.00 the unit costs after the limited-time price
    assert quote.paid_amount == 2 * 5000 - 2500


def test_windows_of_one_product_do_not_overlap_and_the_refusal_names_the_other(store, product_skus, other_store):
    cheap, _dear = product_skus
    second_item_create(store=store, product=cheap.product, permille=850, by="t", **window())
    with pytest.raises(Conflict) as overlap:
        second_item_create(store=store, product=cheap.product, permille=700, by="t", **window(5))
    assert overlap.value.code == "second_item_overlap" and "8.5折" in overlap.value.message
    foreign = SkuFactory(product__store=other_store).product
    with pytest.raises(ValidationFailed):
        second_item_create(store=store, product=foreign, permille=850, by="t", **window())
    with pytest.raises(ValidationFailed):
        second_item_create(store=store, product=cheap.product, permille=1000, by="t", **window(9))
    assert SecondItemDiscount.objects.count() == 1


def test_ending_it_stops_the_discount_at_once(store, merchant, product_skus):
    cheap, _dear = product_skus
    promotion = second_item_create(store=store, product=cheap.product, permille=850, by=merchant, **window())
    assert price_order(store=store, lines=[(cheap, 2)]).discounts  # cached for pricing
    second_item_end(promotion=promotion, by=merchant)
    assert price_order(store=store, lines=[(cheap, 2)]).discounts == []  # the cache was dropped
    assert set(AuditEntry.objects.filter(object_id=promotion.pk).values_list("transition", flat=True)) == {
        "create",
        "end",
    }


def test_the_merchant_creates_it_in_zhe_and_ends_it_on_the_page(merchant_client, store, product_skus):
    cheap, _dear = product_skus
    now = timezone.localtime()
    form = {
        "product": cheap.product_id,
        "zhe": "8.5",
        "starts_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    bad = merchant_client.post(reverse("shop:second_item_create"), {**form, "zhe": "10"})
    assert bad.status_code == 400 and "zhe" in bad.context["form"].errors
    created = merchant_client.post(reverse("shop:second_item_create"), form)
    assert created.status_code == 302
    promotion = SecondItemDiscount.objects.get(store=store)
    assert promotion.permille == 850
    listing = merchant_client.get(reverse("shop:promotion_list") + "?tab=second_item").content.decode()
    assert cheap.product.title in listing and "第二件 8.5折" in listing
    confirm = reverse("shop:promotion_end", args=["second_item", promotion.pk])
    assert merchant_client.get(confirm).status_code == 200  # 结束 asks first
    merchant_client.post(confirm, {"confirm": "1"})
    promotion.refresh_from_db()
    assert promotion.status == "ended"


def test_an_erp_lists_creates_and_ends_it(api, other_api, store, other_store, product_skus):
    cheap, _dear = product_skus
    now = timezone.now()
    body = {"product_id": cheap.product_id, "permille": 850, "starts_at": now, "ends_at": now + timedelta(days=2)}
    created = api.post(reverse("api-promotion-second-item"), body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    again = api.post(reverse("api-promotion-second-item"), body, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "second_item_overlap"
    assert [p["id"] for p in api.get(reverse("api-promotion-second-item")).json()["results"]] == [pk]
    assert other_api.get(reverse("api-promotion-second-item")).json()["results"] == []
    assert other_api.post(reverse("api-promotion-second-item-end", args=[pk])).status_code == 404
    ended = api.post(reverse("api-promotion-second-item-end", args=[pk]))
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
