"""Promotions as a merchant meets them (issue 16): one 限时折扣 activity over many SKUs of many products entered
in 折 with only the relevant field and a live preview; 满减 for chosen products with tier rows; overlap errors
that name the other activity; 结束 asks first; the coupon 追加 box is labelled."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict
from shop.models import LimitedTimeDiscount, PromotionStatus, SpendAndSave
from shop.services.pricing import price_order
from shop.services.promotions import (
    coupon_create,
    discount_activity_create,
    discount_create,
    spend_and_save_create,
)
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def window():
    now = timezone.now()
    return {"starts_at": local(now - timedelta(minutes=5)), "ends_at": local(now + timedelta(days=3))}


@pytest.fixture
def span():
    now = timezone.now()
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=2)}


@pytest.fixture
def catalogue(store):
    """Two products: a T-shirt in two colours at ¥100, a mug at ¥40."""
    red = SkuFactory(product__store=store, product__title="T恤", spec={"颜色": "红"}, price=10000, group_price=9000)
    blue = SkuFactory(product=red.product, spec={"颜色": "蓝"}, price=10000, group_price=9000)
    mug = SkuFactory(product__store=store, product__title="马克杯", price=4000, group_price=3500)
    return red, blue, mug


def test_one_activity_covers_several_skus_of_several_products_in_zhe(merchant_client, store, catalogue, window):
    red, blue, mug = catalogue
    # when the merchant picks three SKUs of two products and types 8.5 (折)
    response = merchant_client.post(
        reverse("shop:discount_create"),
        {"name": "周末特惠", "kind": "permille", "zhe": "8.5", "skus": [red.pk, blue.pk, mug.pk], **window},
    )
    # then one activity holds a discount per SKU at 850‰
    assert response.status_code == 302
    discounts = list(LimitedTimeDiscount.objects.order_by("sku_id"))
    assert len(discounts) == 3 and {d.permille for d in discounts} == {850}
    assert len({d.activity for d in discounts}) == 1 and {d.name for d in discounts} == {"周末特惠"}
    # and buyers pay 8.5折
    quote = price_order(store=store, lines=[(red, 1), (mug, 1)])
    assert quote.paid_amount == 8500 + 3400
    # and the list shows the activity once, with its products
    page = merchant_client.get(reverse("shop:promotion_list")).content.decode()
    assert page.count('data-testid="promotion-row"') == 1
    assert "周末特惠" in page and "T恤" in page and "马克杯" in page and "3 个 SKU" in page
    assert "8.5折" in page


def test_price_kind_takes_a_price_per_sku(merchant_client, store, catalogue, window):
    red, _blue, mug = catalogue
    data = {
        "name": "一口价",
        "kind": "price",
        "skus": [red.pk, mug.pk],
        f"price_{red.pk}": "79",
        f"price_{mug.pk}": "29.9",
    }
    assert merchant_client.post(reverse("shop:discount_create"), {**data, **window}).status_code == 302
    assert dict(LimitedTimeDiscount.objects.values_list("sku_id", "price")) == {red.pk: 7900, mug.pk: 2990}


def test_only_the_relevant_price_field_shows_and_a_live_preview_is_wired(merchant_client, store, catalogue, window):
    red, _blue, _mug = catalogue
    page = merchant_client.get(reverse("shop:discount_create")).content.decode()
    # 打折 is the default: the 折 field shows, the per-SKU price column is hidden
    assert 'data-kind-field="permille">' in page and 'data-kind-field="price" hidden' in page
    assert "千分比" not in page and "8.5" in page
    # every SKU row carries its price for the preview script (static, no inline script)
    assert f'data-price="{red.price}"' in page and "data-preview" in page and "js/promotions.js" in page
    assert "<script>" not in page and "onclick" not in page and "style=" not in page
    # after choosing 活动价, the price column shows and the 折 field hides
    page = merchant_client.post(
        reverse("shop:discount_create"), {"name": "x", "kind": "price", "skus": [red.pk], **window}
    ).content.decode()
    assert 'data-kind-field="price">' in page and 'data-kind-field="permille" hidden' in page
    assert f'data-field="price_{red.pk}"' in page


def test_an_activity_is_all_or_nothing_and_the_overlap_names_the_other_activity(store, catalogue, span):
    red, blue, mug = catalogue
    discount_activity_create(
        store=store, name="春季大促", items=[{"sku": mug, "kind": "permille", "permille": 900}], by="t", **span
    )
    items = [{"sku": s, "kind": "permille", "permille": 800} for s in (red, blue, mug)]
    with pytest.raises(Conflict) as refused:
        discount_activity_create(store=store, name="夏季", items=items, by="t", **span)
    assert refused.value.code == "discount_overlap"
    assert any("马克杯" in e and "春季大促" in e for e in refused.value.fields["items"])
    assert LimitedTimeDiscount.objects.count() == 1  # nothing of 夏季 was kept


def test_a_single_discount_overlap_names_the_activity(store, catalogue, span):
    red, _blue, _mug = catalogue
    discount_create(store=store, sku=red, kind="permille", permille=800, name="清仓", by="t", **span)
    with pytest.raises(Conflict) as refused:
        discount_create(store=store, sku=red, kind="permille", permille=700, by="t", **span)
    assert "清仓" in refused.value.message


def test_spend_and_save_for_chosen_products_counts_only_them(store, catalogue, span):
    red, _blue, mug = catalogue
    spend_and_save_create(
        store=store,
        name="杯子满减",
        tiers=[{"threshold": 8000, "discount": 1000}],
        products=[mug.product],
        by="t",
        **span,
    )
    # a T-shirt and one mug: ¥140, but only ¥40 of mugs → no discount
    assert price_order(store=store, lines=[(red, 1), (mug, 1)]).discounts == []
    # two mugs: ¥80 of mugs → 满80减10, spread over the mugs only
    quote = price_order(store=store, lines=[(red, 1), (mug, 2)])
    assert [d["amount"] for d in quote.discounts] == [1000]
    assert {line.sku.pk: line.discount for line in quote.lines} == {red.pk: 0, mug.pk: 1000}


def test_spend_and_save_overlap_is_per_product_and_names_the_campaign(store, catalogue, span):
    red, _blue, mug = catalogue
    tiers = [{"threshold": 5000, "discount": 500}]
    spend_and_save_create(store=store, name="杯子满减", tiers=tiers, products=[mug.product], by="t", **span)
    # another campaign for other products may run at the same time
    spend_and_save_create(store=store, name="T恤满减", tiers=tiers, products=[red.product], by="t", **span)
    # a store-wide one overlaps both, and says with which
    with pytest.raises(Conflict) as refused:
        spend_and_save_create(store=store, name="全店满减", tiers=tiers, by="t", **span)
    assert "杯子满减" in refused.value.message
    assert SpendAndSave.objects.count() == 2


def test_spend_and_save_page_has_tier_rows_and_a_product_choice(merchant_client, store, catalogue, window):
    _red, _blue, mug = catalogue
    page = merchant_client.get(reverse("shop:spend_and_save_create")).content.decode()
    assert 'name="threshold_0"' in page and 'name="discount_0"' in page and "<textarea" not in page
    assert f'value="{mug.product.pk}"' in page
    response = merchant_client.post(
        reverse("shop:spend_and_save_create"),
        {"name": "杯子满减", "threshold_0": "80", "discount_0": "10", "products": [mug.product.pk], **window},
    )
    assert response.status_code == 302
    assert SpendAndSave.objects.get().product_ids == [mug.product.pk]
    listing = merchant_client.get(reverse("shop:promotion_list"), {"tab": "spend_and_save"}).content.decode()
    assert "指定 1 个商品" in listing


def test_the_spend_and_save_overlap_shows_the_other_campaign_on_the_page(merchant_client, store, window):
    data = {"threshold_0": "100", "discount_0": "10", **window}
    merchant_client.post(reverse("shop:spend_and_save_create"), {"name": "周年庆", **data})
    response = merchant_client.post(reverse("shop:spend_and_save_create"), {"name": "又一个", **data})
    assert response.status_code == 400 and "周年庆" in response.content.decode()


def test_ending_asks_for_confirmation_and_ends_the_whole_activity(merchant_client, store, catalogue, span):
    red, blue, _mug = catalogue
    made = discount_activity_create(
        store=store,
        name="周末特惠",
        items=[{"sku": s, "kind": "permille", "permille": 850} for s in (red, blue)],
        by="t",
        **span,
    ).made
    listing = merchant_client.get(reverse("shop:promotion_list")).content.decode()
    urls = [reverse("shop:promotion_end", args=["discounts", d.pk]) for d in made]
    offered = [url for url in urls if f'href="{url}"' in listing]
    assert len(offered) == 1  # 结束 leads to a confirmation, not a one-click POST
    url = offered[0]
    # a POST without the confirmation ends nothing
    assert merchant_client.post(url)["Location"] == url
    assert set(LimitedTimeDiscount.objects.values_list("status", flat=True)) == {PromotionStatus.ACTIVE}
    # the confirmation says what ends
    page = merchant_client.get(url).content.decode()
    assert 'data-testid="end-confirm"' in page and "周末特惠" in page and "2 个 SKU 将一起结束" in page
    # confirming ends every SKU of the activity
    merchant_client.post(url, {"confirm": "1"})
    assert set(LimitedTimeDiscount.objects.values_list("status", flat=True)) == {PromotionStatus.ENDED}


def test_the_coupon_add_box_is_labelled(merchant_client, store, span):
    coupon = coupon_create(
        store=store, name="满50减5", kind="threshold", threshold=5000, amount=500, quantity=10, by="t", **span
    )
    page = merchant_client.get(reverse("shop:promotion_list"), {"tab": "coupons"}).content.decode()
    assert f'<label for="extra-{coupon.pk}">追加发行</label><input id="extra-{coupon.pk}" name="extra"' in page
    assert "style=" not in page
