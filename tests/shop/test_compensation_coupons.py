"""Compensations reach the buyer as a platform-funded, no-threshold, single-use coupon of the store (DOMAIN.md)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import hooks
from portal.exceptions import Conflict, ValidationFailed
from portal.models import Event
from shop.models import ClaimStatus, Compensation, CouponBatch, CouponClaim
from shop.services import orders as services
from shop.services.orders import order_complain_not_shipped
from shop.services.pricing import price_order
from shop.services.promotions import coupon_claim, coupon_claims_expire, coupon_grant
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db

START = "2026-03-01 10:00 +08:00"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def later(clock, **delta):
    clock.move_to(timezone.now() + timedelta(**delta), tick=False)


def late_order(store, clock, buyer="buyer-1"):
    """A paid ¥59.90 order left unshipped past its ship-by time."""
    sku = on_sale_sku(store, price=5990, group_price=4990, stock=20)
    order = pay(place(store, sku, buyer=buyer))
    later(clock, hours=49)
    return sku, order


def test_late_shipping_grants_a_3_yuan_coupon_that_takes_3_yuan_off_the_next_order(store, clock, django_capture_on_commit_callbacks):
    # given a late order
    sku, order = late_order(store, clock)
    # when the sweep compensates it
    with django_capture_on_commit_callbacks(execute=True):
        assert services.compensate_late_shipping() == 1
    # then the buyer holds a ¥3 no-threshold coupon in that store, expiring after 30 days
    compensation = Compensation.objects.select_related("coupon__coupon").get(order=order)
    claim = compensation.coupon
    assert (claim.store_id, claim.buyer_ref, claim.status) == (store.pk, "buyer-1", ClaimStatus.CLAIMED)
    assert (claim.coupon.amount, claim.coupon.threshold, claim.coupon.source) == (300, 0, "compensation")
    assert claim.expires_at == timezone.now() + timedelta(days=30)
    assert compensation.status == "settled"
    assert Event.objects.filter(type="order.late_shipping", store=store).count() == 1
    # when the buyer orders again with the code
    quote = price_order(store=store, lines=[(sku, 1)], buyer_ref="buyer-1", coupon_code=claim.code)
    assert quote.discount_amount == 300 and quote.paid_amount == 5990 - 300
    again = place(store, sku, buyer="buyer-1", coupon_code=claim.code)
    # then the order costs ¥3 less and the coupon is used up
    assert again.paid_amount == order.paid_amount - 300
    claim.refresh_from_db()
    assert (claim.status, claim.order_id) == (ClaimStatus.USED, again.pk)
    with pytest.raises(ValidationFailed) as used:
        place(store, sku, buyer="buyer-1", coupon_code=claim.code)
    assert used.value.code == "coupon_used"


def test_the_sweep_running_twice_grants_one_coupon(store, clock):
    # given a late order compensated once
    _sku, order = late_order(store, clock)
    assert services.compensate_late_shipping() == 1
    # when the sweep runs again, and later again
    assert services.compensate_late_shipping() == 0
    later(clock, hours=1)
    assert services.compensate_late_shipping() == 0
    # then one compensation and one coupon exist
    assert Compensation.objects.filter(order=order).count() == 1
    assert CouponClaim.objects.filter(buyer_ref="buyer-1").count() == 1
    assert CouponBatch.objects.count() == 1


def test_another_buyer_or_another_store_cannot_use_it(store, other_store, clock):
    # given buyer-1's compensation coupon
    sku, _order = late_order(store, clock)
    services.compensate_late_shipping()
    code = CouponClaim.objects.get(buyer_ref="buyer-1").code
    # when another buyer tries it
    with pytest.raises(ValidationFailed) as theirs:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="buyer-2", coupon_code=code)
    # then it is refused and stays unused
    assert theirs.value.code == "coupon_not_yours"
    with pytest.raises(ValidationFailed):
        place(store, sku, buyer="buyer-2", coupon_code=code)
    # and in another store it does not exist
    other_sku = on_sale_sku(other_store)
    with pytest.raises(ValidationFailed) as elsewhere:
        price_order(store=other_store, lines=[(other_sku, 1)], buyer_ref="buyer-1", coupon_code=code)
    assert elsewhere.value.code == "coupon_not_found"
    assert CouponClaim.objects.get(code=code).status == ClaimStatus.CLAIMED


def test_the_coupon_expires(store, clock):
    # given a compensation coupon
    sku, _order = late_order(store, clock)
    services.compensate_late_shipping()
    claim = CouponClaim.objects.get()
    # when 30 days pass
    later(clock, days=30)
    # then pricing refuses it and the expiry sweep expires it once
    with pytest.raises(ValidationFailed) as expired:
        price_order(store=store, lines=[(sku, 1)], buyer_ref="buyer-1", coupon_code=claim.code)
    assert expired.value.code == "coupon_expired"
    assert coupon_claims_expire() == 1
    assert coupon_claims_expire() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED


def test_validity_follows_the_time_rule(store, clock, settings):
    settings.PORTAL_TIME_RULES = {**settings.PORTAL_TIME_RULES, "compensation_coupon_validity": timedelta(days=7)}
    claim = coupon_grant(store=store, buyer_ref="b", amount=500, reason="x", by="t")
    assert claim.expires_at == timezone.now() + timedelta(days=7)


def test_not_shipped_complaint_also_grants_its_coupon(store, clock):
    order = pay(place(store, on_sale_sku(store, price=12000, group_price=9000)))
    later(clock, hours=73)
    compensation = order_complain_not_shipped(order=order, by="buyer")
    assert (compensation.coupon.coupon.amount, compensation.coupon.buyer_ref) == (1200, order.buyer_ref)


def test_fake_shipping_also_grants_its_coupon(store, clock, monkeypatch):
    from shop.services.orders import order_ship

    monkeypatch.setattr(hooks.pickup_scanned_orders, "_impls", [lambda orders: set()])
    order = pay(place(store, on_sale_sku(store)))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")
    later(clock, hours=25)
    assert services.fake_shipping_check() == 1
    assert Compensation.objects.get(order=order, kind="fake_shipping").coupon.coupon.amount == 2000


def test_grant_refuses_bad_input_and_changes_nothing(store):
    with pytest.raises(ValidationFailed) as no_buyer:
        coupon_grant(store=store, buyer_ref="", amount=300, reason="x", by="t")
    assert "buyer_ref" in no_buyer.value.fields
    with pytest.raises(ValidationFailed) as no_amount:
        coupon_grant(store=store, buyer_ref="b", amount=0, reason="x", by="t")
    assert "amount" in no_amount.value.fields
    assert not CouponBatch.objects.exists() and not CouponClaim.objects.exists()


def test_compensation_batches_are_not_listed_nor_claimable(api, store, merchant_client, storefront):
    # given a granted coupon
    claim = coupon_grant(store=store, buyer_ref="b", amount=300, reason="赔付", by="t")
    # then buyers do not see its batch, nor can they claim it (service or API)
    assert api.get(reverse("api-coupons")).json()["results"] == []
    with pytest.raises(Conflict):
        coupon_claim(coupon=claim.coupon, buyer_ref="someone", by="t")
    response = storefront.post(reverse("api-coupon-claim", args=[claim.coupon.pk]), {"buyer_ref": "x"}, format="json")
    assert response.status_code == 404
    # and the merchant's coupon list does not show it, nor can it be topped up
    page = merchant_client.get(reverse("shop:promotion_list") + "?tab=coupons")
    assert page.status_code == 200 and "赔付" not in page.content.decode()
    topped = merchant_client.post(reverse("shop:coupon_add_quantity", args=[claim.coupon.pk]), {"extra": 5})
    assert topped.status_code == 404
    # while the buyer's own coupons include it
    codes = [c["code"] for c in storefront.get(reverse("api-coupon-claims"), {"buyer_ref": "b"}).json()["results"]]
    assert codes == [claim.code]


def test_order_detail_shows_the_compensation_coupon(merchant_client, store, clock):
    _sku, order = late_order(store, clock)
    services.compensate_late_shipping()
    claim = CouponClaim.objects.get()
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert "赔付券" in html and claim.code in html and "未使用" in html


def test_the_merchant_is_not_charged_twice_for_a_compensation_coupon(store, clock):
    # given a late order compensated from the deposit with a ¥3 coupon, used on the buyer's next order
    from shop.models import PayoutEntry
    from shop.services.funds import payouts_credit_completed
    from shop.services.orders import order_confirm_receipt, order_ship

    sku, _order = late_order(store, clock)
    services.compensate_late_shipping()
    claim = Compensation.objects.get().coupon
    again = pay(place(store, sku, buyer="buyer-1", coupon_code=claim.code))
    order_ship(order=again, courier_code="SF", waybill_no="SF1234567890123", by="m")
    order_confirm_receipt(order=again, by="buyer-1")
    # when completed orders are credited to the payouts
    payouts_credit_completed()
    # then the credit is what the buyer paid plus the platform-funded coupon (already paid from the deposit)
    credit = PayoutEntry.objects.get(ref_id=str(again.pk), kind="credit_pending")
    assert credit.amount == again.paid_amount + 300 == 5990
