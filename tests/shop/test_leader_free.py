"""团长免单 (DOMAIN.md Orders: amounts, the group-leader-free share): a group opened on a product with the promotion
holds a place; when it forms, the leader's payment is refunded and kept as the order's leader-free share, so the
payout credits nothing for it; a failed group gives its place back."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict
from portal.models import AuditEntry, Refund
from shop.models import LeaderFree, PayoutEntry
from shop.selectors.orders import platform_status
from shop.services import orders as services
from shop.services.funds import payouts_credit_completed
from shop.services.promotions import leader_free_create, promotion_end
from tests.conftest import force_status
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db


def window(**delta):
    now = timezone.now()
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(**(delta or {"days": 1}))}


def formed_group(store, sku, capture, leader="leader", friend="friend"):
    first = pay(place(store, sku, buyer=leader, buy_mode="group"))
    with capture(execute=True):
        second = pay(place(store, sku, buyer=friend, buy_mode="group", group_id=first.group_id))
    first.refresh_from_db()
    return first, second


def test_the_leader_of_a_formed_group_gets_the_payment_back(store, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, price=10000, group_price=8000, stock=10, product__group_size=2)
    promotion = leader_free_create(store=store, product=sku.product, quantity=1, by="t", **window())
    leader, friend = formed_group(store, sku, django_capture_on_commit_callbacks)
    assert leader.group.leader_free == promotion
    assert (leader.status, friend.status) == ("paid", "paid")
    # the leader's order: free, its 80 yuan kept as the leader-free share; the friend pays as usual
    assert (leader.paid_amount, leader.leader_free_discount, leader.discount_amount) == (0, 8000, 8000)
    assert leader.goods_amount - leader.discount_amount + leader.postage == leader.paid_amount
    assert [item.paid_amount for item in leader.items.all()] == [0]
    assert leader.discounts[-1]["kind"] == "leader_free"
    assert (friend.paid_amount, friend.leader_free_discount) == (8000, 0)
    refund = Refund.objects.get(payment__reference=leader.order_sn)
    assert (refund.amount, refund.status, refund.reason) == (8000, "succeeded", "团长免单")
    assert not Refund.objects.filter(payment__reference=friend.order_sn).exists()
    # a promotion paid out, not a refund of the order: the merchant still ships it, refund status 1
    assert platform_status(leader)["refund_status"] == 1
    assert AuditEntry.objects.filter(object_id=leader.pk, transition="leader_free").count() == 1
    promotion.refresh_from_db()
    assert promotion.used_count == 1
    # the storefront and the merchant see which order is the free leader's
    assert (leader.is_free_leader, friend.is_free_leader) == (True, False)
    # completed, the leader's order credits nothing to the payouts; the friend's credits what was paid
    for order in (leader, friend):
        force_status(order, "completed")
    payouts_credit_completed()
    credits = dict(PayoutEntry.objects.filter(kind="credit_pending").values_list("ref_label", "amount"))
    assert credits == {friend.order_sn: 8000}


def test_the_places_run_out_and_a_failed_group_gives_its_place_back(store, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    sku = on_sale_sku(store, stock=10, product__group_size=2)
    promotion = leader_free_create(store=store, product=sku.product, quantity=1, by="t", **window(days=3))
    first = pay(place(store, sku, buyer="a", buy_mode="group"))
    second = place(store, sku, buyer="b", buy_mode="group")  # no place left: an ordinary group
    assert (first.group.leader_free_id, second.group.leader_free_id) == (promotion.pk, None)
    time_machine.shift(timedelta(hours=25))
    assert services.fail_expired_groups() == 2
    promotion.refresh_from_db()
    assert promotion.used_count == 0
    third = place(store, sku, buyer="c", buy_mode="group")
    assert third.group.leader_free_id == promotion.pk
    services.group_fail(group=third.group, by="system")  # the staff path gives it back too
    promotion.refresh_from_db()
    assert promotion.used_count == 0


def test_no_place_outside_the_window_or_after_it_ended(store):
    sku = on_sale_sku(store, stock=10, product__group_size=2)
    later = {"starts_at": timezone.now() + timedelta(days=1), "ends_at": timezone.now() + timedelta(days=2)}
    leader_free_create(store=store, product=sku.product, quantity=5, by="t", **later)
    assert place(store, sku, buyer="a", buy_mode="group").group.leader_free_id is None
    running = leader_free_create(store=store, product=sku.product, quantity=5, by="t", **window(hours=12))
    promotion_end(promotion=running, by="t")
    assert place(store, sku, buyer="b", buy_mode="group").group.leader_free_id is None


def test_windows_of_one_product_may_not_overlap(store):
    sku = on_sale_sku(store, product__group_size=2)
    leader_free_create(store=store, product=sku.product, quantity=5, by="t", **window())
    with pytest.raises(Conflict) as exc:
        leader_free_create(store=store, product=sku.product, quantity=1, by="t", **window(days=2))
    assert exc.value.code == "leader_free_overlap" and "团长免单" in exc.value.message


def test_the_merchant_creates_and_ends_one_on_the_page(merchant_client, store):
    sku = on_sale_sku(store, product__group_size=2)
    w = window()
    form = {
        "product": sku.product_id,
        "quantity": "20",
        "starts_at": timezone.localtime(w["starts_at"]).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(w["ends_at"]).strftime("%Y-%m-%dT%H:%M"),
    }
    bad = merchant_client.post(reverse("shop:leader_free_create"), {**form, "quantity": "0"})
    assert bad.status_code == 400 and "quantity" in bad.context["form"].errors
    response = merchant_client.post(reverse("shop:leader_free_create"), form)
    assert response.status_code == 302
    promotion = LeaderFree.objects.get(store=store)
    assert (promotion.quantity, promotion.used_count) == (20, 0)
    page = merchant_client.get(reverse("shop:promotion_list") + "?tab=leader_free").content.decode()
    assert sku.product.title in page and "0 / 20" in page
    end = reverse("shop:promotion_end", args=["leader_free", promotion.pk])
    assert merchant_client.post(end, {"confirm": "1"}).status_code == 302
    promotion.refresh_from_db()
    assert promotion.status == "ended"


def test_the_order_api_and_page_say_the_leader_orders_free(store, storefront, merchant_client):
    sku = on_sale_sku(store, stock=10, product__group_size=2)
    leader_free_create(store=store, product=sku.product, quantity=1, by="t", **window())
    body = {"buyer_ref": "lead", "buy_mode": "group", "items": [{"sku_id": sku.pk, "quantity": 1}],
            "recipient_name": "李四", "recipient_phone": "13812345678", "province": "浙江省", "city": "杭州市",
            "district": "西湖区", "street": "文三路 100 号"}  # fmt: skip
    placed = storefront.post("/api/v1/orders/", body, format="json")
    assert placed.status_code == 201, placed.json()
    assert placed.json()["leader_free"] is True
    second = storefront.post("/api/v1/orders/", {**body, "buyer_ref": "other"}, format="json").json()
    assert second["leader_free"] is False  # the only place is taken
    page = merchant_client.get(reverse("shop:order_detail", args=[placed.json()["order_sn"]])).content.decode()
    assert 'data-testid="leader-free"' in page


def test_the_api_lists_creates_and_ends_them(api, other_api, store):
    sku = on_sale_sku(store, product__group_size=2)
    w = window()
    body = {"product_id": sku.product_id, "quantity": 3, "starts_at": w["starts_at"].isoformat()}
    created = api.post("/api/v1/promotions/leader-free/", {**body, "ends_at": w["ends_at"].isoformat()}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["quantity"], created.json()["used_count"]) == (3, 0)
    assert [p["id"] for p in api.get("/api/v1/promotions/leader-free/").json()["results"]] == [created.json()["id"]]
    assert other_api.get("/api/v1/promotions/leader-free/").json()["results"] == []
    assert other_api.post(f"/api/v1/promotions/leader-free/{created.json()['id']}/end/").status_code == 404
    ended = api.post(f"/api/v1/promotions/leader-free/{created.json()['id']}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
