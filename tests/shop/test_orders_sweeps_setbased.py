"""The four remaining order sweeps are set-based: late-shipping compensation, the hard-limit cancel, fake
shipping and failed group buys run a constant number of queries per batch (2 due rows cost what 20 cost),
write the same audit and ledger rows as the one-order path, and tell each store once per tick."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal import hooks
from portal.models import AuditEntry, Event, Payment, Refund
from shop.models import Compensation, CouponClaim, DepositEntry, GroupBuy, Order, PayoutEntry, Sku
from shop.models.funds import PayoutBucket, PayoutKind
from shop.services import orders as services
from tests.conftest import force_status
from tests.factories import OrderFactory, OrderItemFactory, SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(store, other_store):
    # The audit rows' content types are cached after their first use: warm them so both ticks compare alike.
    for model in (Order, Compensation, GroupBuy, CouponClaim, Refund):
        ContentType.objects.get_for_model(model)
    return [store, other_store]


def make_orders(stores, n, **fields):
    """`n` orders spread over `stores`, each with one item of its store's SKU, then `fields` set in one UPDATE."""
    skus = {s.pk: SkuFactory(product__store=s, stock=100) for s in stores}
    orders = []
    for i in range(n):
        store = stores[i % len(stores)]
        order = OrderFactory(store=store)
        OrderItemFactory(order=order, sku=skus[store.pk], quantity=2)
        orders.append(order)
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(**fields)
    return orders, skus


def paid_for(orders):
    for order in orders:
        payment = Payment.objects.create(purpose="order", reference=order.order_sn, amount=order.paid_amount,
                                         store_id=order.store_id)  # fmt: skip
        force_status(payment, "succeeded")


def queries_of(func):
    with CaptureQueriesContext(connection) as ctx:
        done = func()
    return done, len(ctx.captured_queries)


def late_orders(stores, n):
    now = timezone.now()
    orders, _ = make_orders(
        stores, n, status="paid", paid_at=now - timedelta(hours=50), ship_by=now - timedelta(hours=2)
    )
    return orders


def test_late_shipping_compensation_queries_per_batch_not_per_order(stores):
    late_orders(stores, 2)
    few = queries_of(services.compensate_late_shipping)
    late_orders(stores, 20)  # the first two are compensated already: the second tick takes only these
    many = queries_of(services.compensate_late_shipping)
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]


def test_late_shipping_in_bulk_coupons_ledger_and_one_notice_per_store(stores, django_capture_on_commit_callbacks):
    # given five late orders over two stores, the first store with ¥10 of available payouts
    first, second = stores
    PayoutEntry.objects.create(store=first, kind=PayoutKind.ADJUSTMENT, bucket=PayoutBucket.AVAILABLE, amount=1000,
                               reason="t", actor_label="t")  # fmt: skip
    orders = late_orders(stores, 5)
    # when the sweep runs twice
    with django_capture_on_commit_callbacks(execute=True):
        assert services.compensate_late_shipping() == 5
    assert services.compensate_late_shipping() == 0
    # then each order has one settled ¥3 compensation with its buyer's coupon, audited
    compensations = Compensation.objects.order_by("order_id")
    assert [(c.order_id, c.kind, c.amount, c.status) for c in compensations] == [
        (o.pk, "late_shipping", 300, "settled") for o in orders
    ]
    assert all(c.coupon.buyer_ref == c.buyer_ref and c.coupon.coupon.amount == 300 for c in compensations)
    assert CouponClaim.objects.filter(coupon__source="compensation").count() == 5
    assert AuditEntry.objects.filter(transition="settle", actor_label="system").count() == 5
    # the first store's ¥10 of payouts cover its three (¥9); the second store's two come from its deposit
    from_payouts = PayoutEntry.objects.filter(store=first, kind=PayoutKind.COMPENSATION)
    assert sorted(from_payouts.values_list("amount", flat=True)) == [-300, -300, -300]
    assert list(DepositEntry.objects.filter(store=first, kind="deduct").values_list("amount", flat=True)) == []
    assert sorted(DepositEntry.objects.filter(store=second, kind="deduct").values_list("amount", flat=True)) == [
        300,
        300,
    ]
    assert all(e.ref.startswith("compensation:") for e in DepositEntry.objects.filter(kind="deduct"))
    # and each store hears once, never once per order
    events = Event.objects.filter(type="order.late_shipping")
    assert sorted(events.values_list("store_id", flat=True)) == sorted(s.pk for s in stores)
    notice = events.get(store=first).payload
    assert notice["data"]["count"] == 3 and notice["data"]["from_payouts"] == 900
    assert notice["data"]["from_deposit"] == 0
    assert not Event.objects.filter(type="deposit.changed").exists()


def hard_limit_orders(stores, n):
    now = timezone.now()
    orders, skus = make_orders(stores, n, status="paid", paid_at=now - timedelta(hours=130),
                               ship_by=now - timedelta(hours=82))  # fmt: skip
    paid_for(orders)
    return orders, skus


def test_hard_limit_cancel_queries_per_batch_not_per_order(stores):
    hard_limit_orders(stores, 2)
    few = queries_of(services.cancel_unshipped_past_hard_limit)
    hard_limit_orders(stores, 20)
    many = queries_of(services.cancel_unshipped_past_hard_limit)
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]


def test_hard_limit_cancel_in_bulk_refunds_stock_and_one_notice_per_store(stores, django_capture_on_commit_callbacks):
    orders, skus = hard_limit_orders(stores, 4)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cancel_unshipped_past_hard_limit() == 4
    assert services.cancel_unshipped_past_hard_limit() == 0
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert AuditEntry.objects.filter(transition="cancel", actor_label="system").count() == 4
    refunds = Refund.objects.filter(status="succeeded")
    assert sorted(refunds.values_list("reference", "amount")) == sorted((o.order_sn, o.paid_amount) for o in orders)
    assert {s.stock for s in Sku.objects.filter(pk__in=[s.pk for s in skus.values()])} == {104}  # two orders × 2 each
    events = Event.objects.filter(type="order.cancelled")
    assert sorted(events.values_list("store_id", flat=True)) == sorted(s.pk for s in stores)
    assert events.first().payload["data"]["count"] == 2


def fake_orders(stores, n):
    now = timezone.now()
    waybill_at = now - timedelta(hours=30)
    orders, _ = make_orders(stores, n, status="shipped", shipped_via="self", courier_code="SF", waybill_at=waybill_at,
                            shipped_at=waybill_at, paid_at=waybill_at - timedelta(hours=1),
                            ship_by=waybill_at + timedelta(hours=40))  # fmt: skip
    for order in orders:
        Order.objects.filter(pk=order.pk).update(waybill_no=f"SF{order.pk:013d}")
    return orders


def test_fake_shipping_finds_only_unscanned_waybills_in_sql_queries_per_batch(stores, monkeypatch):
    scanned: set[int] = set()
    monkeypatch.setattr(hooks.pickup_scan_exists, "_impls", [lambda: Q(pk__in=scanned)])
    orders = fake_orders(stores, 3)
    scanned.add(orders[0].pk)  # its courier scanned it: not fake
    few = queries_of(services.fake_shipping_check)
    orders = fake_orders(stores, 21)
    scanned.add(orders[0].pk)
    many = queries_of(services.fake_shipping_check)
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]
    assert Compensation.objects.filter(kind="fake_shipping", amount=2000).count() == 22
    assert AuditEntry.objects.filter(transition="flag_fake_shipping").count() == 22
    flagged = AuditEntry.objects.filter(transition="flag_fake_shipping").values_list("from_state", "to_state")
    assert set(flagged) == {("", "")}  # a same-state edit since the fsm branch: audited with no from/to state
    assert set(Order.objects.filter(fake_shipping_at__isnull=False).values_list("status", flat=True)) == {"shipped"}
    assert not Order.objects.filter(pk__in=scanned, fake_shipping_at__isnull=False).exists()


def test_fake_shipping_asks_shipping_for_the_scans(stores):
    # given two self-shipped waybills past the window, one with a real pickup scan in shipping's table
    from shipping.models import TrackingEvent

    scanned, silent = fake_orders(stores, 2)
    scanned.refresh_from_db()
    for action, hours in (("GOT", 29), ("DEPARTURE", 20)):  # picked up, and moving since
        TrackingEvent.objects.create(courier_code="SF", waybill_no=scanned.waybill_no, action=action,
                                     description=action, occurred_at=timezone.now() - timedelta(hours=hours))  # fmt: skip
    assert services.fake_shipping_check() == 1
    assert Compensation.objects.get().order_id == silent.pk


def failed_groups(stores, n):
    """`n` expired groups, each with a paid leader and an unpaid member."""
    now = timezone.now()
    for i in range(n):
        store = stores[i % len(stores)]
        sku = SkuFactory(product__store=store, stock=10)
        group = GroupBuy.objects.create(store=store, product=sku.product, leader_ref=f"l{i}", size=3,
                                        expires_at=now - timedelta(minutes=5))  # fmt: skip
        leader, _ = make_orders([store], 1, status="grouping", buy_mode="group", group=group, paid_at=now)
        make_orders([store], 1, buy_mode="group", group=group)
        paid_for(leader)


def test_failed_groups_queries_per_batch_not_per_group(stores, django_capture_on_commit_callbacks):
    failed_groups(stores, 2)
    few = queries_of(services.fail_expired_groups)
    failed_groups(stores, 20)
    first_tick = list(Event.objects.filter(type="group.failed").values_list("pk", flat=True))  # outbox: in-transaction
    with django_capture_on_commit_callbacks(execute=True):
        many = queries_of(services.fail_expired_groups)
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]
    assert set(GroupBuy.objects.values_list("status", flat=True)) == {"failed"}
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert Refund.objects.filter(status="succeeded").count() == 20  # the leaders of the second tick
    events = Event.objects.filter(type="group.failed").exclude(pk__in=first_tick)
    assert sorted(events.values_list("store_id", flat=True)) == sorted(s.pk for s in stores)
    assert {e.payload["data"]["count"] for e in events} == {10}


def ship_by_near_orders(stores, n):
    now = timezone.now()
    make_orders(stores, n, status="paid", paid_at=now - timedelta(hours=44), ship_by=now + timedelta(hours=4))


@pytest.mark.parametrize(
    ("make", "sweep"),
    [
        (late_orders, services.compensate_late_shipping),
        (hard_limit_orders, services.cancel_unshipped_past_hard_limit),
        (ship_by_near_orders, services.warn_ship_by_near),
    ],
)
def test_a_sweep_tells_many_stores_in_one_insert(stores, make, sweep):
    # given six due orders in two stores, then six in six stores
    from tests.factories import StoreFactory

    make(stores, 6)
    two = queries_of(sweep)
    six = [StoreFactory() for _ in range(6)]
    for store in six:
        force_status(store, "open")
    make(six, 6)
    many = queries_of(sweep)
    # then the notices of six stores cost what those of two cost: one bulk insert
    assert (two[0], many[0]) == (6, 6)
    assert two[1] == many[1]
    assert Event.objects.filter(store__in=six).values("store").distinct().count() == 6


@pytest.mark.parametrize(("scanned_n", "compensated"), [(4, 15), (5, 10)])
def test_a_product_with_many_fake_shipments_in_a_day_compensates_all_its_orders_that_day(
    store, monkeypatch, scanned_n, compensated
):
    """Over 10 fake shipments (and over 5 %) of one product's orders in a day: all of them are compensated, once.
    With 10 (5 of 15 scanned) the rule does not apply and only the fake ones are."""
    scanned: set[int] = set()
    monkeypatch.setattr(hooks.pickup_scan_exists, "_impls", [lambda: Q(pk__in=scanned)])
    orders = fake_orders([store], 15)
    scanned.update(o.pk for o in orders[:scanned_n])
    assert services.fake_shipping_check() == 15 - scanned_n
    assert Compensation.objects.filter(kind="fake_shipping", amount=2000).count() == compensated
    assert services.fake_shipping_check() == 0
    assert Compensation.objects.count() == compensated  # no double compensation on the next tick
    assert Event.objects.filter(store=store).count() == 1  # one notice for the store


def test_the_product_day_rule_thresholds_are_settings(store, monkeypatch, settings):
    settings.PORTAL_COMPENSATION_RULES = {**settings.PORTAL_COMPENSATION_RULES, "fake_shipping_product_day_count": 11}
    scanned: set[int] = set()
    monkeypatch.setattr(hooks.pickup_scan_exists, "_impls", [lambda: Q(pk__in=scanned)])
    orders = fake_orders([store], 15)
    scanned.update(o.pk for o in orders[:4])
    assert services.fake_shipping_check() == 11
    assert Compensation.objects.count() == 11
