"""Promotion services: discounts (overlap refused), spend-and-save tiers, coupons (claim, use, release, expiry)."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from shop.models import ClaimStatus, CouponBatch, CouponClaim, LimitedTimeDiscount, PromotionStatus, SpendAndSave
from shop.services.pricing import price_order
from shop.services.promotions import (
    coupon_add_quantity,
    coupon_claim,
    coupon_claims_expire,
    coupon_create,
    coupon_end,
    coupon_mark_used,
    coupon_release,
    discount_create,
    discount_end,
    discount_redeem,
    spend_and_save_create,
    spend_and_save_end,
)
from tests.conftest import force_status
from tests.factories import OrderFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def days(now, start, end):
    return {"starts_at": now + timedelta(days=start), "ends_at": now + timedelta(days=end)}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def sku(store):
    return SkuFactory(product__store=store, price=10000, group_price=8000)


def test_overlapping_discount_refused_with_clear_error(store, sku, now):
    discount_create(store=store, sku=sku, kind="price", price=7000, by="t", **days(now, 1, 5))
    with pytest.raises(Conflict) as exc:
        discount_create(store=store, sku=sku, kind="permille", permille=500, by="t", **days(now, 4, 8))
    assert exc.value.code == "discount_overlap"
    assert "starts_at" in exc.value.fields
    assert LimitedTimeDiscount.objects.count() == 1
    # back to back is fine, and so is another SKU at the same time
    discount_create(store=store, sku=sku, kind="permille", permille=500, by="t", **days(now, 5, 8))
    discount_create(
        store=store, sku=SkuFactory(product__store=store), kind="permille", permille=500, by="t", **days(now, 1, 5)
    )


def test_ended_discount_frees_the_window(store, sku, now):
    first = discount_create(store=store, sku=sku, kind="price", price=7000, by="t", **days(now, -1, 5))
    discount_end(discount=first, by="t")
    first.refresh_from_db()
    assert first.status == PromotionStatus.ENDED and first.ends_at <= timezone.now()
    discount_create(store=store, sku=sku, kind="price", price=6000, by="t", **days(now, 0.1, 5))
    with pytest.raises(IllegalTransition):
        discount_end(discount=first, by="t")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "price", "price": 10000}, "price"),  # not below the single price
        ({"kind": "price", "price": 0}, "price"),
        ({"kind": "price"}, "price"),
        ({"kind": "permille", "permille": 1000}, "permille"),
        ({"kind": "bogus"}, "kind"),
    ],
)
def test_discount_bad_values(store, sku, now, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        discount_create(store=store, sku=sku, by="t", **days(now, 0, 1), **kwargs)
    assert field in exc.value.fields
    assert not LimitedTimeDiscount.objects.exists()


def test_discount_bad_window_and_foreign_sku(store, other_store, sku, now):
    with pytest.raises(ValidationFailed) as exc:
        discount_create(store=store, sku=sku, kind="price", price=1, by="t", **days(now, 2, 1))
    assert "ends_at" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        discount_create(store=store, sku=sku, kind="price", price=1, by="t", **days(now, -3, -1))
    with pytest.raises(ValidationFailed) as exc:
        discount_create(
            store=store, sku=SkuFactory(product__store=other_store), kind="price", price=1, by="t", **days(now, 0, 1)
        )
    assert "sku" in exc.value.fields


def test_store_not_open_cannot_create_promotions(store, sku, now):
    force_status(store, "suspended")
    with pytest.raises(Conflict):
        discount_create(store=store, sku=sku, kind="price", price=1, by="t", **days(now, 0, 1))


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        [{"threshold": 10000, "discount": 10000}],
        [{"threshold": 10000, "discount": 1000}, {"threshold": 10000, "discount": 2000}],
        [{"threshold": 10000, "discount": 2000}, {"threshold": 20000, "discount": 1000}],
    ],
)
def test_spend_and_save_bad_tiers(store, now, tiers):
    with pytest.raises(ValidationFailed) as exc:
        spend_and_save_create(store=store, name="x", tiers=tiers, by="t", **days(now, 0, 1))
    assert "tiers" in exc.value.fields


def test_spend_and_save_overlap_and_end(store, now):
    tiers = [{"threshold": 20000, "discount": 2500}, {"threshold": 10000, "discount": 1000}]
    campaign = spend_and_save_create(store=store, name="a", tiers=tiers, by="t", **days(now, -1, 3))
    assert campaign.tiers[0]["threshold"] == 10000  # kept sorted
    with pytest.raises(Conflict):
        spend_and_save_create(store=store, name="b", tiers=tiers, by="t", **days(now, 1, 2))
    spend_and_save_end(campaign=campaign, by="t")
    assert SpendAndSave.objects.get().status == PromotionStatus.ENDED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "threshold", "amount": None}, "amount"),
        ({"kind": "threshold", "amount": 5000, "threshold": 5000}, "amount"),
        ({"kind": "percentage", "percent_off": 100}, "percent_off"),
        ({"kind": "percentage", "percent_off": 10, "quantity": 0}, "quantity"),
        ({"kind": "percentage", "percent_off": 10, "per_user_limit": 0}, "per_user_limit"),
        ({"kind": "nope"}, "kind"),
    ],
)
def test_coupon_bad_values(store, now, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        coupon_create(store=store, name="c", **{"quantity": 5, **kwargs}, by="t", **days(now, 0, 1))
    assert field in exc.value.fields
    assert not CouponBatch.objects.exists()


def test_coupon_for_other_stores_product_refused(store, other_store, now):
    with pytest.raises(ValidationFailed) as exc:
        coupon_create(
            store=store,
            name="c",
            kind="threshold",
            amount=100,
            quantity=1,
            products=[ProductFactory(store=other_store)],
            by="t",
            **days(now, 0, 1),
        )
    assert "products" in exc.value.fields


def test_claim_rules(store, now, time_machine):
    batch = coupon_create(
        store=store, name="c", kind="threshold", amount=100, quantity=3, per_user_limit=2, by="t", **days(now, 1, 3)
    )
    with pytest.raises(Conflict) as exc:
        coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    assert exc.value.code == "coupon_not_claimable"  # not started
    time_machine.move_to(now + timedelta(days=1, hours=1))
    first = coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    assert first.expires_at == batch.ends_at
    coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    with pytest.raises(Conflict) as exc:
        coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    assert exc.value.code == "coupon_limit_reached"
    coupon_claim(coupon=batch, buyer_ref="b2", by="t")
    with pytest.raises(Conflict) as exc:
        coupon_claim(coupon=batch, buyer_ref="b3", by="t")
    assert exc.value.code == "coupon_sold_out"
    coupon_add_quantity(coupon=batch, extra=1, by="t")
    coupon_claim(coupon=batch, buyer_ref="b3", by="t")
    coupon_end(coupon=batch, by="t")
    with pytest.raises(Conflict):
        coupon_claim(coupon=batch, buyer_ref="b4", by="t")
    with pytest.raises(Conflict):
        coupon_add_quantity(coupon=batch, extra=1, by="t")
    batch.refresh_from_db()
    assert (batch.claimed_count, batch.quantity) == (4, 4)


def test_valid_days_sets_expiry(store, now):
    batch = coupon_create(
        store=store, name="c", kind="threshold", amount=100, quantity=3, valid_days=2, by="t", **days(now, -1, 30)
    )
    claim = coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    assert timedelta(days=1, hours=23) < claim.expires_at - now < timedelta(days=2, minutes=1)


def test_mark_used_release_and_idempotency(store, sku, now):
    batch = coupon_create(store=store, name="c", kind="threshold", amount=100, quantity=3, by="t", **days(now, -1, 3))
    claim = coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    order = OrderFactory(store=store, buyer_ref="b1")
    with pytest.raises(ValidationFailed):
        coupon_mark_used(claim_id=claim.pk, order=OrderFactory(store=store, buyer_ref="b2"), by="t")
    coupon_mark_used(claim_id=claim.pk, order=order, by="t")
    coupon_mark_used(claim_id=claim.pk, order=order, by="t")  # same order again: no change
    claim.refresh_from_db()
    assert (claim.status, claim.order_id) == (ClaimStatus.USED, order.pk)
    with pytest.raises(Conflict):
        coupon_mark_used(claim_id=claim.pk, order=OrderFactory(store=store, buyer_ref="b1"), by="t")
    assert [c.pk for c in coupon_release(order=order, by="t")] == [claim.pk]
    assert coupon_release(order=order, by="t") == []
    claim.refresh_from_db()
    assert (claim.status, claim.order_id) == (ClaimStatus.CLAIMED, None)
    # usable again in pricing
    assert price_order(store=store, lines=[(sku, 1)], buyer_ref="b1", coupon_code=claim.code).discount_amount == 100


def test_expiry_sweep_is_idempotent(store, now, time_machine):
    batch = coupon_create(
        store=store, name="c", kind="threshold", amount=100, quantity=3, valid_days=1, by="t", **days(now, -1, 30)
    )
    claim = coupon_claim(coupon=batch, buyer_ref="b1", by="t")
    assert coupon_claims_expire() == 0
    time_machine.move_to(now + timedelta(days=2))
    assert coupon_claims_expire() == 1
    assert coupon_claims_expire() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED
    with pytest.raises(Conflict):
        coupon_mark_used(claim_id=claim.pk, order=OrderFactory(store=store, buyer_ref="b1"), by="t")


def test_redeem_refuses_when_activity_stock_ran_out(store, sku, now):
    discount_create(store=store, sku=sku, kind="price", price=5000, activity_stock=2, by="t", **days(now, -1, 2))
    first = price_order(store=store, lines=[(sku, 2)], buyer_ref="b1")
    second = price_order(store=store, lines=[(sku, 2)], buyer_ref="b2")  # priced before the first was placed
    discount_redeem(quote=first, order=OrderFactory(store=store, buyer_ref="b1"), by="t")
    with pytest.raises(Conflict) as exc:
        discount_redeem(quote=second, order=OrderFactory(store=store, buyer_ref="b2"), by="t")
    assert exc.value.code == "discount_sold_out"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_discounts_only_one_wins(store, sku):
    now = timezone.now()
    results = []
    barrier = threading.Barrier(4)

    def create(i):
        from django.db import connection as conn

        try:
            barrier.wait()
            discount_create(store=store, sku=sku, kind="permille", permille=500 + i, by="t", **days(now, 0, 2))
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            conn.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert LimitedTimeDiscount.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_exceed_quantity(store):
    now = timezone.now()
    batch = coupon_create(store=store, name="c", kind="threshold", amount=100, quantity=3, by="t", **days(now, -1, 2))
    barrier = threading.Barrier(8)

    def claim(i):
        from django.db import connection as conn

        try:
            barrier.wait()
            coupon_claim(coupon=batch, buyer_ref=f"b{i}", by="t")
        except Conflict:
            pass
        finally:
            conn.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert CouponClaim.objects.count() == 3
    batch.refresh_from_db()
    assert batch.claimed_count == 3


def test_expiry_sweep_is_registered():
    from portal.sweeps import SWEEPS

    assert "coupon_claims_expire" in SWEEPS


def test_redeem_rechecks_buyer_limit_and_is_idempotent(store, sku, now):
    discount = discount_create(
        store=store, sku=sku, kind="price", price=5000, per_buyer_limit=2, by="t", **days(now, -1, 2)
    )
    first = price_order(store=store, lines=[(sku, 2)], buyer_ref="b1")
    second = price_order(store=store, lines=[(sku, 1)], buyer_ref="b1")
    order = OrderFactory(store=store, buyer_ref="b1")
    discount_redeem(quote=first, order=order, by="t")
    discount_redeem(quote=first, order=order, by="t")
    assert discount.redemptions.get().units == 2
    with pytest.raises(Conflict) as exc:
        discount_redeem(quote=second, order=OrderFactory(store=store, buyer_ref="b1"), by="t")
    assert exc.value.code == "discount_limit_reached"
