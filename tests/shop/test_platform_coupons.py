"""平台补贴券 (DOMAIN.md Orders: amounts, the platform share): finance issues one in a store in the admin, buyers
claim and use it like the store's own coupons, the order keeps its discount as the platform's share, and the payout
pays it back to the merchant in proportion to what the buyer kept."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry
from shop.models import CouponBatch, PayoutEntry
from shop.services.funds import payouts_credit_completed
from shop.services.promotions import coupon_claim, coupon_create
from tests.conftest import force_status
from tests.factories import UserFactory
from tests.shop.orders_support import on_sale_sku, place

pytestmark = pytest.mark.django_db


def window():
    now = timezone.now()
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=7)}


def platform_coupon(store, amount=1500, threshold=5000):
    return coupon_create(
        store=store, name="百亿补贴", kind="threshold", amount=amount, threshold=threshold, quantity=100,
        source="platform", by="finance", **window(),
    )  # fmt: skip


def staff_client(client, role):
    user = UserFactory(username=f"{role}_1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def admin_form(store, **values):
    w = window()
    local = {k: timezone.localtime(v) for k, v in w.items()}
    return {
        "store": store.pk, "name": "百亿补贴", "kind": "threshold", "threshold": "5000", "amount": "1500",
        "quantity": "100", "per_user_limit": "1",
        "starts_at_0": local["starts_at"].strftime("%Y-%m-%d"), "starts_at_1": local["starts_at"].strftime("%H:%M:%S"),
        "ends_at_0": local["ends_at"].strftime("%Y-%m-%d"), "ends_at_1": local["ends_at"].strftime("%H:%M:%S"),
        **values,
    }  # fmt: skip


def test_finance_issues_one_in_the_admin_and_other_roles_cannot(client, store):
    add = reverse("admin:shop_platformcoupon_add")
    staff_client(client, "reviewer")
    assert client.get(add).status_code == 403
    staff_client(client, "finance")
    bad = client.post(add, admin_form(store, amount="6000"))  # the coupon service's rule: below the threshold
    assert bad.status_code == 200 and "amount" in bad.context["adminform"].form.errors
    assert not CouponBatch.objects.exists()
    assert client.post(add, admin_form(store)).status_code == 302
    coupon = CouponBatch.objects.get()
    assert (coupon.source, coupon.store, coupon.amount, coupon.threshold) == ("platform", store, 1500, 5000)
    assert AuditEntry.objects.filter(object_id=coupon.pk, transition="create", actor_kind="staff").exists()
    listed = client.get(reverse("admin:shop_platformcoupon_changelist")).content.decode()
    assert "百亿补贴" in listed


def test_finance_ends_it_but_the_merchant_cannot(client, merchant_client, store, api):
    coupon = platform_coupon(store)
    page = merchant_client.get(reverse("shop:promotion_list") + "?tab=coupons").content.decode()
    assert 'data-testid="platform-coupon"' in page and 'data-testid="end"' not in page
    end = reverse("shop:promotion_end", args=["coupons", coupon.pk])
    assert merchant_client.post(end, {"confirm": "1"}).status_code == 404
    assert api.post(f"/api/v1/promotions/coupons/{coupon.pk}/end/").status_code == 404
    assert api.get("/api/v1/promotions/coupons/").json()["results"] == []  # the merchant's own batches only
    staff_client(client, "finance")
    changelist = reverse("admin:shop_platformcoupon_changelist")
    client.post(changelist, {"action": "end", "_selected_action": [coupon.pk]})
    coupon.refresh_from_db()
    assert coupon.status == "ended"


def test_buyers_claim_and_use_it_and_the_order_keeps_the_platform_share(store, storefront):
    coupon = platform_coupon(store)
    listed = storefront.get(reverse("api-coupons")).json()["results"]
    assert [(c["id"], c["source"]) for c in listed] == [(coupon.pk, "platform")]
    claimed = storefront.post(reverse("api-coupon-claim", args=[coupon.pk]), {"buyer_ref": "b1"}, format="json")
    assert claimed.status_code == 201
    sku = on_sale_sku(store, price=6000, stock=5)
    order = place(store, sku, buyer="b1", coupon_code=claimed.json()["code"])
    assert (order.seller_discount, order.platform_discount, order.leader_free_discount) == (0, 1500, 0)
    assert order.paid_amount == 6000 - 1500 + order.postage
    assert order.discounts[0]["kind"] == "platform_coupon"


@pytest.mark.parametrize(("refunded", "subsidy"), [(0, 1500), (2250, 750), (4500, 0)])
def test_the_payout_pays_the_subsidy_back_for_what_the_buyer_kept(store, refunded, subsidy):
    coupon = platform_coupon(store)
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="b1")
    sku = on_sale_sku(store, price=6000, stock=5)
    order = place(store, sku, buyer="b1", coupon_code=claim.code)
    assert order.paid_amount == 4500
    order.items.update(refunded_amount=refunded)
    force_status(order, "completed")
    payouts_credit_completed()
    credit = PayoutEntry.objects.filter(kind="credit_pending", ref_label=order.order_sn).first()
    expected = 4500 - refunded + subsidy
    assert (credit.amount if credit else 0) == expected
    if credit and subsidy:
        assert credit.reason == "订单完成（含平台补贴）"


def test_a_store_coupon_stays_the_sellers(store):
    claim = coupon_claim(
        coupon=coupon_create(store=store, name="店铺券", kind="threshold", amount=500, quantity=5, by="t", **window()),
        buyer_ref="b1",
        by="b1",
    )
    order = place(store, on_sale_sku(store, price=6000, stock=5), buyer="b1", coupon_code=claim.code)
    assert (order.seller_discount, order.platform_discount) == (500, 0)
