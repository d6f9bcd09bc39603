"""price_order: every combination of buy mode, limited-time discount, spend-and-save and coupon."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.exceptions import ValidationFailed
from shop.services.pricing import price_order, split_amount
from shop.services.promotions import (
    coupon_claim,
    coupon_create,
    coupon_mark_used,
    discount_create,
    discount_end,
    discount_redeem,
    discount_release,
    spend_and_save_create,
)
from tests.factories import OrderFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def sku(store):
    return SkuFactory(product__store=store, price=10000, group_price=8000, stock=50)


@pytest.fixture
def sku2(store):
    return SkuFactory(product__store=store, price=3333, group_price=3000, stock=50)


def window(now, days=3):
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=days)}


def assert_balanced(quote):
    assert sum(line.paid_amount for line in quote.lines) == quote.paid_amount - quote.postage
    assert sum(d["amount"] for d in quote.discounts) == quote.discount_amount
    assert all(line.paid_amount >= 0 for line in quote.lines)


def test_no_promotions_single_and_group(store, sku):
    single = price_order(store=store, lines=[(sku, 2)])
    group = price_order(store=store, lines=[(sku, 2)], buy_mode="group")
    assert (single.paid_amount, single.discounts) == (20000, [])
    assert (group.paid_amount, group.discounts) == (16000, [])


def test_discount_price_single(store, sku, now):
    discount_create(store=store, sku=sku, kind="price", price=7000, by="t", **window(now))
    quote = price_order(store=store, lines=[(sku, 2)])
    assert quote.paid_amount == 14000
    assert quote.discounts[0]["kind"] == "limited_time"
    assert quote.discounts[0]["amount"] == 6000
    assert_balanced(quote)


def test_discount_permille_rounds_half_up(store, now):
    sku = SkuFactory(product__store=store, price=999, group_price=999)
    discount_create(store=store, sku=sku, kind="permille", permille=850, by="t", **window(now))  # 8.5折
    quote = price_order(store=store, lines=[(sku, 3)])
    # 999 * 0.85 = 849.15 → 849 fen a unit
    assert quote.lines[0].paid_amount == 849 * 3


def test_group_pays_lower_of_group_price_and_discount(store, sku, now):
    # given a 9折 discount: 9000 single, above the 8000 group price
    discount_create(store=store, sku=sku, kind="permille", permille=900, by="t", **window(now))
    # then a group buyer pays the group price, no discount stacked on it
    group = price_order(store=store, lines=[(sku, 1)], buy_mode="group")
    assert (group.paid_amount, group.discounts) == (8000, [])
    assert price_order(store=store, lines=[(sku, 1)]).paid_amount == 9000


def test_group_gets_discount_price_when_lower(store, sku, now):
    discount_create(store=store, sku=sku, kind="price", price=6000, by="t", **window(now))
    group = price_order(store=store, lines=[(sku, 1)], buy_mode="group")
    assert group.paid_amount == 6000
    assert group.discounts[0]["amount"] == 2000  # from the group price, not stacked


def test_discount_outside_window_or_ended_does_not_apply(store, sku, now):
    d = discount_create(
        store=store,
        sku=sku,
        kind="price",
        price=7000,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        by="t",
    )
    assert price_order(store=store, lines=[(sku, 1)]).paid_amount == 10000
    assert price_order(store=store, lines=[(sku, 1)], at=now + timedelta(days=1, hours=1)).paid_amount == 7000
    discount_end(discount=d, by="t")
    assert price_order(store=store, lines=[(sku, 1)], at=now + timedelta(days=1, hours=1)).paid_amount == 10000


def test_discount_activity_stock_and_buyer_limit(store, sku, now):
    d = discount_create(
        store=store, sku=sku, kind="price", price=7000, activity_stock=5, per_buyer_limit=2, by="t", **window(now)
    )
    quote = price_order(store=store, lines=[(sku, 3)], buyer_ref="b1")
    assert quote.discounts[0]["units"] == 2  # per-buyer limit
    assert quote.paid_amount == 7000 * 2 + 10000
    order = OrderFactory(store=store, buyer_ref="b1")
    discount_redeem(quote=quote, order=order, by="t")
    assert price_order(store=store, lines=[(sku, 1)], buyer_ref="b1").discounts == []
    # other buyers share the remaining activity stock (5 - 2 = 3)
    other = price_order(store=store, lines=[(sku, 4)], buyer_ref="b2")
    assert other.discounts[0]["units"] == 2
    discount_release(order=order, by="t")
    assert price_order(store=store, lines=[(sku, 1)], buyer_ref="b1").discounts[0]["units"] == 1
    assert d.redemptions.count() == 1


def test_spend_and_save_chooses_best_tier(store, sku2, now):
    tiers = [{"threshold": 10000, "discount": 1000}, {"threshold": 20000, "discount": 2500}]
    spend_and_save_create(store=store, name="满减", tiers=tiers, by="t", **window(now))
    assert price_order(store=store, lines=[(sku2, 2)]).discounts == []  # 66.66 < 100
    three = price_order(store=store, lines=[(sku2, 3)])  # 99.99
    assert three.discounts == []
    four = price_order(store=store, lines=[(sku2, 4)])  # 133.32 → 满100减10
    assert four.discounts[0]["amount"] == 1000
    seven = price_order(store=store, lines=[(sku2, 7)])  # 233.31 → 满200减25
    assert seven.discounts[0]["amount"] == 2500
    assert seven.paid_amount == 23331 - 2500


def test_spend_and_save_counts_subtotal_after_limited_time_discount(store, sku, sku2, now):
    spend_and_save_create(
        store=store, name="满减", tiers=[{"threshold": 10000, "discount": 1000}], by="t", **window(now)
    )
    discount_create(store=store, sku=sku, kind="price", price=9000, by="t", **window(now))
    assert price_order(store=store, lines=[(sku, 1)]).paid_amount == 9000  # 90 < 100 after the discount


def test_threshold_coupon(store, sku, now):
    coupon = coupon_create(
        store=store, name="店铺券", kind="threshold", threshold=15000, amount=2000, quantity=10, by="t", **window(now)
    )
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="t")
    with pytest.raises(ValidationFailed) as exc:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=claim.code)
    assert exc.value.code == "coupon_threshold_not_met"
    quote = price_order(store=store, lines=[(sku, 2)], buyer_ref="b1", coupon_code=claim.code)
    assert quote.paid_amount == 18000
    assert quote.discounts == [
        {
            "kind": "coupon",
            "label": quote.discounts[0]["label"],
            "amount": 2000,
            "coupon_id": coupon.pk,
            "claim_id": claim.pk,
        }
    ]
    assert quote.coupon_claim_id == claim.pk


def test_percentage_coupon_with_cap(store, sku, now):
    coupon = coupon_create(
        store=store, name="9折", kind="percentage", percent_off=10, cap=1500, quantity=10, by="t", **window(now)
    )
    code = coupon_claim(coupon=coupon, buyer_ref="b1", by="t").code
    assert price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=code).discount_amount == 1000
    assert price_order(store=store, lines=[(sku, 3)], buyer_ref="b1", coupon_code=code).discount_amount == 1500


def test_coupon_expired_used_other_buyer_unknown(store, sku, now, time_machine):
    coupon = coupon_create(
        store=store, name="券", kind="threshold", amount=500, quantity=10, valid_days=1, by="t", **window(now)
    )
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="t")
    codes = []
    for kwargs in (
        {"buyer_ref": "b2", "coupon_code": claim.code},
        {"buyer_ref": "b1", "coupon_code": "NOPE"},
        {"buyer_ref": "b1", "coupon_code": claim.code, "at": now + timedelta(days=2)},
    ):
        with pytest.raises(ValidationFailed) as exc:
            price_order(store=store, lines=[(sku, 1)], **kwargs)
        codes.append(exc.value.code)
    assert codes == ["coupon_not_yours", "coupon_not_found", "coupon_expired"]
    coupon_mark_used(claim_id=claim.pk, order=OrderFactory(store=store, buyer_ref="b1"), by="t")
    with pytest.raises(ValidationFailed) as exc:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=claim.code)
    assert exc.value.code == "coupon_used"


def test_another_stores_coupon_is_not_found(store, other_store, sku, now):
    from tests.conftest import force_status

    force_status(other_store, "open")
    coupon = coupon_create(
        store=other_store, name="券", kind="threshold", amount=500, quantity=10, by="t", **window(now)
    )
    code = coupon_claim(coupon=coupon, buyer_ref="b1", by="t").code
    with pytest.raises(ValidationFailed) as exc:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=code)
    assert exc.value.code == "coupon_not_found"


def test_product_coupon_applies_to_its_lines_only(store, sku, sku2, now):
    coupon = coupon_create(
        store=store,
        name="单品券",
        kind="percentage",
        percent_off=50,
        quantity=5,
        products=[sku2.product],
        by="t",
        **window(now),
    )
    code = coupon_claim(coupon=coupon, buyer_ref="b1", by="t").code
    quote = price_order(store=store, lines=[(sku, 1), (sku2, 1)], buyer_ref="b1", coupon_code=code)
    assert [line.discount for line in quote.lines] == [0, 1667]
    with pytest.raises(ValidationFailed) as exc:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=code)
    assert exc.value.code == "coupon_not_applicable"


def test_all_combined_and_split_sums_exactly(store, sku, sku2, now):
    # given every kind of promotion at once
    discount_create(store=store, sku=sku, kind="permille", permille=777, by="t", **window(now))  # 7770 a unit
    spend_and_save_create(
        store=store,
        name="满减",
        tiers=[{"threshold": 10000, "discount": 1001}, {"threshold": 20000, "discount": 2003}],
        by="t",
        **window(now),
    )
    coupon = coupon_create(
        store=store, name="券", kind="percentage", percent_off=7, cap=10000, quantity=5, by="t", **window(now)
    )
    code = coupon_claim(coupon=coupon, buyer_ref="b1", by="t").code
    # when pricing two SKUs
    quote = price_order(store=store, lines=[(sku, 2), (sku2, 3)], buyer_ref="b1", coupon_code=code)
    # then each discount is itemised in order and the lines add up exactly
    assert [d["kind"] for d in quote.discounts] == ["limited_time", "spend_and_save", "coupon"]
    after_ltd = 7770 * 2 + 3333 * 3  # 25539 → 满200减20.03
    assert quote.discounts[0]["amount"] == (10000 - 7770) * 2
    assert quote.discounts[1]["amount"] == 2003
    assert quote.discounts[2]["amount"] == ((after_ltd - 2003) * 7 + 50) // 100
    assert quote.paid_amount == after_ltd - 2003 - quote.discounts[2]["amount"]
    assert_balanced(quote)


def test_group_mode_with_all_promotions(store, sku, sku2, now):
    discount_create(store=store, sku=sku2, kind="price", price=2000, by="t", **window(now))
    spend_and_save_create(
        store=store, name="满减", tiers=[{"threshold": 10000, "discount": 999}], by="t", **window(now)
    )
    quote = price_order(store=store, lines=[(sku, 1), (sku2, 1)], buy_mode="group")
    assert quote.goods_amount == 8000 + 3000
    assert quote.discounts[0]["amount"] == 1000  # 3000 group price → 2000 activity price
    assert quote.paid_amount == 10000 - 999
    assert_balanced(quote)


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(1, [1, 1, 1]), (100, [333, 333, 334]), (999, [1, 2, 3, 4]), (7, [10, 0, 5]), (50, [10, 10]), (0, [5])],
)
def test_split_amount_is_exact_and_bounded(amount, weights):
    shares = split_amount(amount, weights)
    assert sum(shares) == min(amount, sum(weights))
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


def test_bad_lines_refused(store, other_store, sku):
    foreign = SkuFactory(product=ProductFactory(store=other_store))
    for lines in ([], [(sku, 0)], [(foreign, 1)]):
        with pytest.raises(ValidationFailed):
            price_order(store=store, lines=lines)
