"""Order services: place, pay, group buys, cancel, ship, re-ship, deliver, receipt; forbidden moves change nothing."""

import re
from datetime import timedelta

import pytest

from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.models import AuditEntry, Event, Refund
from shop.models import Order
from shop.models.orders import new_order_sn
from shop.services.orders import (
    LineIn,
    order_cancel,
    order_confirm_receipt,
    order_deliver,
    order_extend_receipt,
    order_reship,
    order_set_risk_hold,
    order_ship,
)
from tests.conftest import force_status
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db


def audit_count(order) -> int:
    return AuditEntry.objects.filter(object_id=order.pk, content_type__model="order").count()


def test_order_number_has_platform_format():
    assert re.fullmatch(r"\d{6}-\d{15}", new_order_sn())


def test_place_single_reserves_stock_and_prices(store):
    # given
    sku = on_sale_sku(store, stock=10, price=5990)
    # when
    order = place(store, sku, quantity=3, buyer_note="请尽快发货")
    # then
    sku.refresh_from_db()
    assert sku.stock == 7
    assert order.status == "pending_payment"
    assert order.goods_amount == order.paid_amount == 3 * 5990
    assert re.fullmatch(r"\d{6}-\d{15}", order.order_sn)
    item = order.items.get()
    assert (item.quantity, item.unit_price, item.product_title) == (3, 5990, sku.product.title)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"recipient_phone": "12345"}, "recipient_phone"),
        ({"province": "火星省"}, "province"),
        ({"city": "广州市"}, "city"),
        ({"district": "天河区"}, "district"),
    ],
)
def test_place_refuses_bad_recipient_with_field_errors(store, override, field):
    sku = on_sale_sku(store, stock=5)
    with pytest.raises(ValidationFailed) as exc:
        place(store, sku, **override)
    assert field in exc.value.fields
    sku.refresh_from_db()
    assert sku.stock == 5
    assert not Order.objects.exists()


def test_place_refuses_another_stores_sku_and_off_sale_products(store, other_store):
    foreign = on_sale_sku(other_store)
    with pytest.raises(ValidationFailed) as exc:
        place(store, foreign)
    assert exc.value.code == "unknown_sku"
    draft = on_sale_sku(store)
    force_status(draft.product, "draft")
    with pytest.raises(Conflict):
        place(store, draft)
    assert not Order.objects.exists()


def test_place_refuses_when_the_store_is_not_open(store):
    sku = on_sale_sku(store)
    force_status(store, "suspended")
    with pytest.raises(Conflict) as exc:
        place(store, sku)
    assert exc.value.code == "store_not_open"


def test_out_of_stock_changes_nothing(store):
    first = on_sale_sku(store, stock=5)
    second = on_sale_sku(store, stock=1)
    with pytest.raises(Conflict) as exc:
        place(store, first, lines=[LineIn(sku_id=first.pk, quantity=2), LineIn(sku_id=second.pk, quantity=2)])
    assert exc.value.code == "out_of_stock"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (5, 1)
    assert not Order.objects.exists()


def test_purchase_limits_per_order_and_per_buyer(store):
    sku = on_sale_sku(store, product__per_order_limit=2, product__per_buyer_limit=3)
    with pytest.raises(ValidationFailed) as exc:
        place(store, sku, quantity=3)
    assert exc.value.code == "per_order_limit"
    place(store, sku, quantity=2, buyer="b")
    with pytest.raises(ValidationFailed) as exc:
        place(store, sku, quantity=2, buyer="b")
    assert exc.value.code == "per_buyer_limit"
    place(store, sku, quantity=1, buyer="b")  # exactly at the limit
    place(store, sku, quantity=2, buyer="other")


def test_quantity_must_be_positive(store):
    sku = on_sale_sku(store)
    with pytest.raises(ValidationFailed) as exc:
        place(store, sku, quantity=0)
    assert "items" in exc.value.fields


def test_single_payment_pays_and_sets_ship_by_from_the_strictest_product(
    store, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    slow = on_sale_sku(store, product__ship_within_hours=48)
    fast = on_sale_sku(store, product__ship_within_hours=24)
    order = place(store, slow, lines=[LineIn(sku_id=slow.pk, quantity=1), LineIn(sku_id=fast.pk, quantity=1)])
    with django_capture_on_commit_callbacks(execute=True):
        order = pay(order)
    assert order.status == "paid"
    assert order.ship_by == order.paid_at + timedelta(hours=24)
    assert Event.objects.filter(type="order.paid", store=store).count() == 1
    assert AuditEntry.objects.filter(object_id=order.pk, transition="pay").exists()


def test_group_forms_when_full_and_every_order_becomes_to_ship(store, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, stock=10, product__group_size=2)
    leader = place(store, sku, buyer="leader", buy_mode="group")
    assert leader.paid_amount == sku.group_price
    with pytest.raises(Conflict) as exc:  # the leader pays first
        place(store, sku, buyer="friend", buy_mode="group", group_id=leader.group_id)
    assert exc.value.code == "group_not_open"
    leader = pay(leader)
    assert leader.status == "grouping"
    with pytest.raises(Conflict):
        place(store, sku, buyer="leader", buy_mode="group", group_id=leader.group_id)
    friend = place(store, sku, buyer="friend", buy_mode="group", group_id=leader.group_id)
    with django_capture_on_commit_callbacks(execute=True):
        friend = pay(friend)
    leader.refresh_from_db()
    assert friend.status == leader.status == "paid"
    assert leader.group.status == "formed"
    assert leader.ship_by == leader.grouped_at + timedelta(hours=48)
    assert Event.objects.filter(type="order.paid").count() == 2
    assert Event.objects.filter(type="group.formed").count() == 1
    with pytest.raises(Conflict) as exc:
        place(store, sku, buyer="late", buy_mode="group", group_id=leader.group_id)
    assert exc.value.code == "group_closed"


def test_group_rules_on_input(store, other_store):
    sku = on_sale_sku(store)
    other = on_sale_sku(store)
    with pytest.raises(ValidationFailed):  # one product per group order
        place(
            store, sku, buy_mode="group", lines=[LineIn(sku_id=sku.pk, quantity=1), LineIn(sku_id=other.pk, quantity=1)]
        )
    with pytest.raises(ValidationFailed):
        place(store, sku, group_id=1)
    foreign = place(other_store, on_sale_sku(other_store), buy_mode="group")
    with pytest.raises(ValidationFailed) as exc:
        place(store, sku, buy_mode="group", group_id=foreign.group_id)
    assert exc.value.code == "unknown_group"


def test_payment_for_an_order_already_cancelled_is_refunded(store, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store)
    order = place(store, sku)
    from portal.payments.providers import get_provider
    from portal.payments.services import payment_record_callback
    from shop.services.orders import order_pay

    payment, _url = order_pay(order=order, by="buyer")
    order_cancel(order=order, reason="买家不想要了", by="buyer")
    provider = get_provider()
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Refund.objects.get(reference=order.order_sn).status == "succeeded"


def test_cancel_pending_releases_stock_and_paid_is_refunded(store, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, stock=5)
    unpaid = place(store, sku, quantity=2)
    order_cancel(order=unpaid, reason="买家取消", by="buyer")
    sku.refresh_from_db()
    assert sku.stock == 5
    paid = pay(place(store, sku, quantity=1))
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = order_cancel(order=paid, reason="缺货", by="merchant")
    assert cancelled.status == "cancelled"
    assert cancelled.cancel_reason == "缺货"
    refund = Refund.objects.get(reference=paid.order_sn)
    assert (refund.amount, refund.status) == (paid.paid_amount, "succeeded")
    sku.refresh_from_db()
    assert sku.stock == 5
    assert Event.objects.filter(type="order.cancelled").count() == 1  # only the paid one concerns the merchant


def test_cancel_refusals_change_nothing(store):
    sku = on_sale_sku(store, stock=5)
    order = pay(place(store, sku))
    with pytest.raises(ValidationFailed):
        order_cancel(order=order, reason="  ", by="merchant")
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    before = audit_count(order)
    with pytest.raises(IllegalTransition):
        order_cancel(order=order, reason="晚了", by="merchant")
    order.refresh_from_db()
    sku.refresh_from_db()
    assert (order.status, sku.stock, audit_count(order)) == ("shipped", 4, before)
    grouping = pay(place(store, sku, buy_mode="group", buyer="g"))
    with pytest.raises(IllegalTransition):
        order_cancel(order=grouping, reason="不想拼了", by="buyer")


def test_self_ship_validates_the_waybill_and_masks_the_phone(store, time_machine):
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    order = pay(place(store, on_sale_sku(store)))
    assert order.masked_phone() == "13812345678"
    before = audit_count(order)
    with pytest.raises(ValidationFailed) as exc:
        order_ship(order=order, courier_code="SF", waybill_no="123", by="merchant")
    assert "waybill_no" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        order_ship(order=order, courier_code="NOPE", waybill_no="SF1234567890123", by="merchant")
    assert "courier_code" in exc.value.fields
    order.refresh_from_db()
    assert (order.status, audit_count(order)) == ("paid", before)
    order = order_ship(order=order, courier_code="YTO", waybill_no="yt1234567890123", by="merchant")
    assert (order.status, order.waybill_no, order.shipped_via) == ("shipped", "YT1234567890123", "self")
    assert order.receipt_deadline == order.shipped_at + timedelta(days=15)
    assert order.masked_phone() == "138****5678"


def test_risk_hold_blocks_shipping_until_released(store):
    order = pay(place(store, on_sale_sku(store)))
    order_set_risk_hold(order=order, hold=True, reason="风控", by="staff")
    with pytest.raises(Conflict) as exc:
        order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    assert exc.value.code == "risk_hold"
    order.refresh_from_db()
    assert order.status == "paid"
    order_set_risk_hold(order=order, hold=False, by="staff")
    assert order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m").status == "shipped"
    assert list(
        AuditEntry.objects.filter(object_id=order.pk, content_type__model="order").values_list("transition", flat=True)
    ) == ["pay", "set_risk_hold", "set_risk_hold", "ship"]


def test_reship_is_a_separate_audited_action(store):
    order = pay(place(store, on_sale_sku(store)))
    with pytest.raises(IllegalTransition):
        order_reship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    with pytest.raises(ValidationFailed):
        order_reship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    order = order_reship(order=order, courier_code="ZTO", waybill_no="773012345678", by="merchant")
    assert (order.status, order.courier_code, order.waybill_no) == ("shipped", "ZTO", "773012345678")
    entry = AuditEntry.objects.filter(object_id=order.pk, transition="reship").get()
    assert "SF1234567890123" in entry.reason and "773012345678" in entry.reason


def test_deliver_confirm_and_extend_receipt(store, time_machine):
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    order = pay(place(store, on_sale_sku(store)))
    with pytest.raises(IllegalTransition):
        order_deliver(order=order, by="courier")
    with pytest.raises(IllegalTransition):
        order_confirm_receipt(order=order, by="buyer")
    with pytest.raises(IllegalTransition):
        order_extend_receipt(order=order, by="buyer")
    order = order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant")
    deadline = order.receipt_deadline
    order = order_extend_receipt(order=order, by="buyer")
    assert order.receipt_deadline == deadline + timedelta(days=3)
    with pytest.raises(IllegalTransition):
        order_extend_receipt(order=order, by="buyer")
    order = order_deliver(order=order, by="courier:SF")
    assert order.status == "delivered"
    order = order_confirm_receipt(order=order, by="buyer")
    assert order.status == "completed" and order.completed_at
    with pytest.raises(IllegalTransition):
        order_confirm_receipt(order=order, by="buyer")


def test_promotions_are_itemised_recorded_and_given_back_on_cancel(store):
    from django.utils import timezone

    from shop.models import DiscountRedemption
    from shop.services.promotions import coupon_claim, coupon_create, discount_create

    # given a limited-time price and a coupon the buyer claimed
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    sku = on_sale_sku(store, price=10000, group_price=8000, stock=10)
    discount_create(store=store, sku=sku, kind="price", price=7000, activity_stock=5, by="t", **window)
    coupon = coupon_create(store=store, name="店铺券", kind="threshold", amount=1000, quantity=5, by="t", **window)
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="t")
    # when the buyer orders with it
    order = place(store, sku, quantity=2, buyer="b1", coupon_code=claim.code)
    # then every discount is on the order, the units and the coupon are used
    assert order.paid_amount == 2 * 7000 - 1000
    assert [d["kind"] for d in order.discounts] == ["limited_time", "coupon"]
    assert order.items.get().discount == 2 * 3000 + 1000
    assert DiscountRedemption.objects.get(order=order).units == 2
    claim.refresh_from_db()
    assert (claim.status, claim.order_id) == ("used", order.pk)
    # and a second order cannot reuse the coupon
    with pytest.raises(ValidationFailed):
        place(store, sku, buyer="b1", coupon_code=claim.code)
    # when cancelled, they are given back
    order_cancel(order=order, reason="不要了", by="buyer")
    claim.refresh_from_db()
    assert claim.status == "claimed"
    assert DiscountRedemption.objects.get(order=order).released_at is not None


def test_repeated_ship_and_delivery_reports_change_nothing(store):
    order = pay(place(store, on_sale_sku(store)))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="courier:SF", via="booking")
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="courier:SF", via="booking")
    order_deliver(order=order, by="courier:SF")
    order = order_deliver(order=order, by="courier:SF")
    assert order.status == "delivered"
    assert [e.transition for e in AuditEntry.objects.filter(object_id=order.pk, content_type__model="order")] == [
        "pay",
        "ship",
        "deliver",
    ]


def test_placement_relies_on_the_unique_order_number_without_a_probe(store, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shop.services.orders import placement

    sku = on_sale_sku(store, stock=5)
    first = place(store, sku)
    # when a new order number is drawn, no SELECT asks whether it exists
    with CaptureQueriesContext(connection) as ctx:
        place(store, sku, buyer="b2")
    assert not any('FROM "shop_order" WHERE "shop_order"."order_sn"' in q["sql"] for q in ctx.captured_queries)
    # and a (practically impossible) collision is a 409, with nothing placed and no stock taken
    monkeypatch.setattr(placement, "new_order_sn", lambda: first.order_sn)
    with pytest.raises(Conflict):
        place(store, sku, buyer="b3")
    sku.refresh_from_db()
    assert sku.stock == 3 and Order.objects.filter(store=store).count() == 2


def test_shipping_completing_and_risk_changes_are_pushed_events(store, django_capture_on_commit_callbacks):
    order = pay(place(store, on_sale_sku(store)))
    with django_capture_on_commit_callbacks(execute=True):
        order_set_risk_hold(order=order, hold=True, reason="风控", by="staff")
        order_set_risk_hold(order=order, hold=False, by="staff")
        order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")
        order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")  # a retry: no event
        order_confirm_receipt(order=order, by="buyer")
    events = list(Event.objects.filter(store=store).exclude(type="order.paid").order_by("pk"))
    assert [(e.type, e.payload["data"].get("risk_hold")) for e in events] == [
        ("order.risk_changed", True),
        ("order.risk_changed", False),
        ("order.shipped", None),
        ("order.completed", None),
    ]
    assert events[2].payload["data"] == {
        "order_sn": order.order_sn, "courier_code": "SF", "waybill_no": "SF1234567890123", "via": "self"
    }  # fmt: skip


def test_a_colliding_order_number_is_refused_by_the_one_unique_index(store, monkeypatch):
    """order_sn has one index (`order_sn_unique`, varchar_pattern_ops): it keeps numbers unique, and a collision
    rolls the placement back as a 409 to retry, stock untouched."""
    sku = on_sale_sku(store, stock=5)
    first = place(store, sku)
    monkeypatch.setattr("shop.services.orders.placement.new_order_sn", lambda: first.order_sn)
    with pytest.raises(Conflict) as exc:
        place(store, sku, buyer="buyer-2")
    assert exc.value.code == "order_sn_collision"
    sku.refresh_from_db()
    assert sku.stock == 4
