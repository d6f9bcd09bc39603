"""Deadline rules with a controlled clock; every sweep is idempotent (a second run changes nothing)."""

from datetime import timedelta

import pytest
from django.db.models import Q

from portal import hooks
from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.models import AuditEntry, Event, Refund
from portal.sweeps import SWEEPS
from shop.models import Compensation, DepositEntry, Order
from shop.services import orders as services
from shop.services.orders import (
    LineIn,
    compensation_amount,
    order_complain_not_shipped,
    order_extend_receipt,
    order_reship,
    order_ship,
)
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db

START = "2026-03-01 10:00 +08:00"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def later(clock, **delta):
    from django.utils import timezone

    clock.move_to(timezone.now() + timedelta(**delta), tick=False)


def test_every_order_sweep_is_registered():
    assert {
        "orders.cancel_unpaid",
        "orders.fail_expired_groups",
        "orders.compensate_late_shipping",
        "orders.cancel_unshipped_past_hard_limit",
        "orders.auto_confirm_receipt",
        "orders.fake_shipping_check",
        "orders.warn_ship_by_near",
    } <= set(SWEEPS)


def test_running_every_sweep_twice_changes_nothing_the_second_time(store, clock, monkeypatch):
    sku = on_sale_sku(store, stock=50)
    place(store, sku, buyer="unpaid")
    pay(place(store, sku, buyer="late"))
    pay(place(store, sku, buyer="grouping", buy_mode="group"))
    shipped = pay(place(store, sku, buyer="shipped"))
    order_ship(order=shipped, courier_code="SF", waybill_no="SF1234567890123", by="m")
    later(clock, days=16)
    order_sweeps = {name: func for name, func in SWEEPS.items() if name.startswith("orders.")}
    first = {name: func() for name, func in order_sweeps.items()}
    assert sum(first.values()) > 0
    assert {name: func() for name, func in order_sweeps.items()} == dict.fromkeys(order_sweeps, 0)


def test_ship_by_near_warns_each_store_once(store, clock, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, stock=10)
    for n in range(3):
        pay(place(store, sku, buyer=f"b{n}"))
    later(clock, hours=41)
    assert services.warn_ship_by_near() == 0
    later(clock, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.warn_ship_by_near() == 3
    assert services.warn_ship_by_near() == 0
    event = Event.objects.get(type="order.ship_by_near")
    assert len(event.payload["data"]["order_sns"]) == 3


def test_unpaid_orders_cancel_after_the_window_and_release_stock(store, clock):
    sku = on_sale_sku(store, stock=5)
    order = place(store, sku, quantity=2)
    later(clock, minutes=29)
    assert services.cancel_unpaid() == 0
    later(clock, minutes=2)
    assert services.cancel_unpaid() == 1
    assert services.cancel_unpaid() == 0
    order.refresh_from_db()
    sku.refresh_from_db()
    assert (order.status, sku.stock) == ("cancelled", 5)


def test_failed_group_cancels_and_refunds_everyone(store, clock, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, stock=10, product__group_size=3)
    leader = pay(place(store, sku, buyer="leader", buy_mode="group"))
    friend = pay(place(store, sku, buyer="friend", buy_mode="group", group_id=leader.group_id))
    unpaid = place(store, sku, buyer="slow", buy_mode="group", group_id=leader.group_id)
    later(clock, hours=23)
    assert services.fail_expired_groups() == 0
    later(clock, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.fail_expired_groups() == 1
    assert services.fail_expired_groups() == 0
    for order in (leader, friend, unpaid):
        order.refresh_from_db()
        assert order.status == "cancelled"
    assert leader.group.status == "failed"
    refunds = Refund.objects.filter(status="succeeded")
    assert sorted(refunds.values_list("reference", flat=True)) == sorted([leader.order_sn, friend.order_sn])
    sku.refresh_from_db()
    assert sku.stock == 10


def test_payment_into_an_expired_group_is_refunded(store, clock, django_capture_on_commit_callbacks):
    sku = on_sale_sku(store, product__group_size=2)
    leader = pay(place(store, sku, buyer="leader", buy_mode="group"))
    friend = place(store, sku, buyer="friend", buy_mode="group", group_id=leader.group_id)
    later(clock, hours=25)
    with django_capture_on_commit_callbacks(execute=True):
        friend = pay(friend)
    assert friend.status == "cancelled"
    assert Refund.objects.get(reference=friend.order_sn).status == "succeeded"


@pytest.mark.parametrize(
    ("kind", "paid", "expected"),
    [
        ("late_shipping", 5990, 300),
        ("late_shipping", 30000, 300),
        ("late_shipping", 45000, 450),
        ("late_shipping", 900000, 3000),
        ("not_shipped", 1000, 500),
        ("not_shipped", 12000, 1200),
        ("not_shipped", 500000, 10000),
        ("fake_shipping", 1, 2000),
    ],
)
def test_compensation_amounts(kind, paid, expected):
    assert compensation_amount(kind, paid) == expected


def test_late_shipping_is_compensated_once_whether_still_unshipped_or_shipped_late(store, clock):
    sku = on_sale_sku(store, price=50000, group_price=40000)
    unshipped = pay(place(store, sku))
    shipped_late = pay(place(store, sku, buyer="b2"))
    on_time = pay(place(store, sku, buyer="b3"))
    order_ship(order=on_time, courier_code="SF", waybill_no="SF1234567890123", by="m")
    later(clock, hours=47)
    assert services.compensate_late_shipping() == 0
    later(clock, hours=2)
    order_ship(order=shipped_late, courier_code="SF", waybill_no="SF1234567890124", by="m")
    assert services.compensate_late_shipping() == 2
    assert services.compensate_late_shipping() == 0
    amounts = dict(Compensation.objects.values_list("order_id", "amount"))
    assert amounts == {unshipped.pk: 500, shipped_late.pk: 500}
    assert set(Compensation.objects.values_list("status", flat=True)) == {"settled"}
    deducted = DepositEntry.objects.filter(store=store, kind="deduct", ref__startswith="compensation:")
    assert sorted(deducted.values_list("amount", flat=True)) == [500, 500]


def test_a_refused_deduction_stays_pending_until_staff_settle_it(store, clock, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationFailed("ledger unavailable")

    monkeypatch.setattr(services.deadlines, "penalty_charge_many", refuse)  # the sweep's bulk charge
    monkeypatch.setattr(services.compensations, "penalty_charge", refuse)  # staff's one-by-one settle
    pay(place(store, on_sale_sku(store)))
    later(clock, hours=49)
    assert services.compensate_late_shipping() == 1
    compensation = Compensation.objects.get()
    assert compensation.status == "pending"
    assert not DepositEntry.objects.filter(kind="deduct").exists()
    with pytest.raises(Conflict):
        services.compensation_settle(compensation=compensation, by="staff")
    monkeypatch.undo()
    assert services.compensation_settle(compensation=compensation, by="staff").status == "settled"
    assert DepositEntry.objects.get(kind="deduct").amount == 300


def test_not_shipped_complaint_only_after_72_hours_and_once(store, clock):
    order = pay(place(store, on_sale_sku(store, price=12000, group_price=9000)))
    later(clock, hours=71)
    with pytest.raises(IllegalTransition):
        order_complain_not_shipped(order=order, by="buyer")
    later(clock, hours=2)
    compensation = order_complain_not_shipped(order=order, by="buyer")
    assert (compensation.kind, compensation.amount) == ("not_shipped", 1200)
    with pytest.raises(Conflict):
        order_complain_not_shipped(order=order, by="buyer")


def test_unshipped_orders_past_the_hard_limit_are_cancelled_and_refunded(
    store, clock, django_capture_on_commit_callbacks
):
    order = pay(place(store, on_sale_sku(store)))
    later(clock, hours=119)
    assert services.cancel_unshipped_past_hard_limit() == 0
    later(clock, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cancel_unshipped_past_hard_limit() == 1
    assert services.cancel_unshipped_past_hard_limit() == 0
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Refund.objects.get(reference=order.order_sn).status == "succeeded"


def test_receipt_auto_confirms_after_15_days_or_18_when_extended(store, clock):
    plain = pay(place(store, on_sale_sku(store)))
    extended = pay(place(store, on_sale_sku(store), buyer="b2"))
    order_ship(order=plain, courier_code="SF", waybill_no="SF1234567890123", by="m")
    order_ship(order=extended, courier_code="SF", waybill_no="SF1234567890124", by="m")
    order_extend_receipt(order=extended, by="buyer")
    later(clock, days=14, hours=23)
    assert services.auto_confirm_receipt() == 0
    later(clock, hours=2)
    assert services.auto_confirm_receipt() == 1
    assert services.auto_confirm_receipt() == 0
    later(clock, days=3)
    assert services.auto_confirm_receipt() == 1
    assert set(Order.objects.values_list("status", flat=True)) == {"completed"}


def test_fake_shipping_without_pickup_scan_is_flagged_and_compensated(store, clock, monkeypatch):
    scanned_orders: set[int] = set()
    monkeypatch.setattr(hooks.pickup_scan_exists, "_impls", [lambda: Q(pk__in=scanned_orders)])
    fake = pay(place(store, on_sale_sku(store)))
    real = pay(place(store, on_sale_sku(store), buyer="b2"))
    order_ship(order=fake, courier_code="SF", waybill_no="SF1234567890123", by="m")
    order_ship(order=real, courier_code="SF", waybill_no="SF1234567890124", by="m")
    scanned_orders.add(real.pk)
    later(clock, hours=23)
    assert services.fake_shipping_check() == 0
    later(clock, hours=2)
    assert services.fake_shipping_check() == 1
    assert services.fake_shipping_check() == 0
    fake.refresh_from_db()
    assert fake.fake_shipping_at is not None
    assert Compensation.objects.get().amount == 2000
    assert AuditEntry.objects.filter(object_id=fake.pk, transition="flag_fake_shipping").count() == 1


def test_fake_shipping_when_no_further_scan_within_24_hours_of_the_pickup(store, clock):
    """Picked up, then silent for the stall window: fake shipping too (¥20, once); a parcel moving on is not."""
    from django.utils import timezone

    from shipping.models import TrackingEvent

    stuck = pay(place(store, on_sale_sku(store)))
    moving = pay(place(store, on_sale_sku(store), buyer="b2"))
    late_scan = pay(place(store, on_sale_sku(store), buyer="b3"))
    for n, order in enumerate((stuck, moving, late_scan)):
        order_ship(order=order, courier_code="SF", waybill_no=f"SF123456789012{n}", by="m")
    later(clock, hours=2)
    for order in (stuck, moving, late_scan):
        TrackingEvent.objects.create(courier_code="SF", waybill_no=Order.objects.get(pk=order.pk).waybill_no,
                                     action="GOT", description="揽收", occurred_at=timezone.now())  # fmt: skip
    later(clock, hours=10)
    TrackingEvent.objects.create(courier_code="SF", waybill_no="SF1234567890121", action="DEPARTURE",
                                 description="发出", occurred_at=timezone.now())  # fmt: skip
    later(clock, hours=13, minutes=59)  # 23:59 after the pickups
    assert services.fake_shipping_check() == 0
    later(clock, minutes=2)
    # a scan after the window does not undo the stall
    TrackingEvent.objects.create(courier_code="SF", waybill_no="SF1234567890122", action="ARRIVAL",
                                 description="到达", occurred_at=timezone.now())  # fmt: skip
    assert services.fake_shipping_check() == 2
    assert services.fake_shipping_check() == 0
    flagged = set(Order.objects.filter(fake_shipping_at__isnull=False).values_list("pk", flat=True))
    assert flagged == {stuck.pk, late_scan.pk}
    assert Compensation.objects.filter(kind="fake_shipping", amount=2000).count() == 2
    reasons = set(AuditEntry.objects.filter(transition="flag_fake_shipping").values_list("reason", flat=True))
    assert reasons == {"揽收后 24 小时内无后续物流记录"}


def test_reship_restarts_the_fake_shipping_clock_and_no_lookup_means_no_judgement(store, clock, monkeypatch):
    order = pay(place(store, on_sale_sku(store)))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")
    later(clock, hours=20)
    order_reship(order=order, courier_code="SF", waybill_no="SF1234567890999", by="m")
    later(clock, hours=10)
    monkeypatch.setattr(hooks.pickup_scan_exists, "_impls", [])
    assert services.fake_shipping_check() == 0  # without a tracking lookup the rule cannot judge
    monkeypatch.undo()  # shipping's answer: no pickup scan for this waybill
    assert services.fake_shipping_check() == 0  # 10 h since the new waybill
    later(clock, hours=15)
    assert services.fake_shipping_check() == 1


def test_booked_shipments_are_not_judged_as_self_shipped(store, clock):
    order = pay(place(store, on_sale_sku(store)))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="courier:SF", via="booking")
    later(clock, hours=30)
    assert services.fake_shipping_check() == 0


def test_cross_border_direct_mail_ships_within_120_hours_and_auto_confirms_after_30_days(store, clock, settings):
    """跨境直邮: an order with cross-border goods among its lines ships within the cross-border window (not its
    products' 24/48 h) and auto-confirms after the cross-border period, through the same columns the sweeps read."""
    plain = on_sale_sku(store, product__ship_within_hours=24)
    abroad = on_sale_sku(store, product__is_cross_border=True)
    mixed = pay(place(store, plain, lines=[LineIn(sku_id=plain.pk, quantity=1), LineIn(sku_id=abroad.pk, quantity=1)]))
    domestic = pay(place(store, plain, buyer="b2"))
    assert mixed.cross_border and not domestic.cross_border
    assert mixed.ship_by == mixed.paid_at + timedelta(hours=120)
    assert domestic.ship_by == domestic.paid_at + timedelta(hours=24)
    later(clock, hours=119)
    assert services.compensate_late_shipping() == 1  # only the domestic order is late
    assert not Compensation.objects.filter(order=mixed).exists()
    later(clock, hours=2)  # past the domestic hard limit (120 h), not the cross-border one (192 h)
    assert services.cancel_unshipped_past_hard_limit() == 1
    assert Order.objects.get(pk=mixed.pk).status == "paid"
    order_ship(order=mixed, courier_code="SF", waybill_no="SF1234567890123", by="m")
    mixed.refresh_from_db()
    assert mixed.receipt_deadline == mixed.shipped_at + timedelta(days=30)
    later(clock, days=29, hours=23)
    assert services.auto_confirm_receipt() == 0
    later(clock, hours=2)
    assert services.auto_confirm_receipt() == 1
    settings.PORTAL_TIME_RULES = {**settings.PORTAL_TIME_RULES, "cross_border_ship_by": timedelta(hours=72)}
    again = pay(place(store, abroad, buyer="b3"))
    assert again.ship_by == again.paid_at + timedelta(hours=72)


def test_auto_confirm_pushes_one_completed_event_per_order(store, clock, django_capture_on_commit_callbacks):
    orders = [pay(place(store, on_sale_sku(store), buyer=f"b{i}")) for i in range(3)]
    for i, order in enumerate(orders):
        order_ship(order=order, courier_code="SF", waybill_no=f"SF123456789013{i}", by="m")
    later(clock, days=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.auto_confirm_receipt() == 3
    completed = Event.objects.filter(store=store, type="order.completed")
    assert sorted(e.payload["data"]["order_sn"] for e in completed) == sorted(o.order_sn for o in orders)
