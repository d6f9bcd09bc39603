"""Set-based sweeps: `transition_many` writes the same audit rows as `transition`, in batches with a constant
number of queries; unpaid orders are cancelled in bulk with stock, discounts and coupons given back."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.fsm import transition, transition_many
from portal.models import AuditEntry
from shop.models import CouponClaim, DiscountRedemption, Order
from shop.services import orders as services
from shop.services.orders import order_ship
from shop.services.promotions import coupon_claim, coupon_create, discount_create
from tests.conftest import force_status
from tests.factories import OrderFactory
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db

AUDIT_SHAPE = ("actor_id", "actor_label", "content_type_id", "object_repr", "store_id", "transition",
               "from_state", "to_state", "reason", "data")  # fmt: skip


def audit_of(order) -> dict:
    row = AuditEntry.objects.filter(object_id=order.pk, transition="complete").values(*AUDIT_SHAPE).get()
    return row


def test_transition_many_writes_the_same_audit_row_as_transition(store):
    # given two shipped orders
    one, two = OrderFactory(store=store), OrderFactory(store=store)
    for order in (one, two):
        force_status(order, "shipped")
    # when one completes through transition and the other through transition_many
    transition(one, "complete", by="system", reason="r")
    moved = transition_many(Order.objects.filter(pk=two.pk), "complete", by="system", reason="r",
                            updates={"completed_at": timezone.now()})  # fmt: skip
    # then both audit rows have the same shape, only the object differs
    assert moved == 1
    first, second = audit_of(one), audit_of(two)
    first.pop("object_repr"), second.pop("object_repr")
    assert first == second
    two.refresh_from_db()
    assert two.status == "completed" and two.completed_at is not None


def test_transition_many_skips_rows_the_fsm_refuses_and_refuses_guarded_transitions(store):
    pending = OrderFactory(store=store)
    assert transition_many(Order.objects.filter(pk=pending.pk), "complete", by="system") == 0
    pending.refresh_from_db()
    assert pending.status == "pending_payment" and not AuditEntry.objects.exists()
    with pytest.raises(TypeError, match="guards"):
        transition_many(Order.objects.all(), "ship", by="system")


def test_transition_many_queries_per_batch_not_per_row(store):
    def run(n):
        orders = [OrderFactory(store=store) for _ in range(n)]
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(status="shipped")
        with CaptureQueriesContext(connection) as ctx:
            moved = transition_many(Order.objects.filter(status="shipped"), "complete", by="system", batch_size=50)
        assert moved == n
        return len(ctx.captured_queries)

    assert run(3) == run(40)  # one batch either way
    assert run(120) <= 3 * run(3)  # three batches


def test_bulk_unpaid_cancel_gives_back_stock_per_sku_discounts_and_coupons(store, time_machine):
    # given unpaid orders of two SKUs, one with a limited-time price and a coupon
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    a = on_sale_sku(store, price=10000, group_price=8000, stock=10)
    b = on_sale_sku(store, stock=10)
    discount_create(store=store, sku=a, kind="price", price=7000, activity_stock=5, by="t", **window)
    coupon = coupon_create(store=store, name="店铺券", kind="threshold", amount=1000, quantity=5, by="t", **window)
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="t")
    with_promotions = place(store, a, quantity=2, buyer="b1", coupon_code=claim.code)
    place(store, a, quantity=3, buyer="b2")
    place(store, b, quantity=4, buyer="b3")
    paid = pay(place(store, b, quantity=1, buyer="b4"))
    # when the window has passed and the sweep runs (twice)
    time_machine.move_to(now + timedelta(minutes=31), tick=False)
    assert services.cancel_unpaid() == 3
    assert services.cancel_unpaid() == 0
    # then stock is back per SKU, the discount units and the coupon are released, each change audited
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.stock, b.stock) == (10, 9)  # the paid order keeps its unit
    assert DiscountRedemption.objects.get(order=with_promotions).released_at is not None
    claim.refresh_from_db()
    assert (claim.status, claim.order_id) == ("claimed", None)
    assert AuditEntry.objects.filter(transition="release", object_id=claim.pk).count() == 1
    assert AuditEntry.objects.filter(transition="cancel", actor_label="system").count() == 3
    paid.refresh_from_db()
    assert paid.status == "paid"
    cancelled = Order.objects.filter(status="cancelled")
    assert all(o.cancelled_at and o.cancel_reason for o in cancelled)


def test_auto_confirm_in_bulk_moves_updated_at_for_api_sync(store, time_machine):
    order = pay(place(store, on_sale_sku(store)))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")
    order.refresh_from_db()
    before = order.updated_at
    time_machine.move_to(timezone.now() + timedelta(days=16), tick=False)
    assert services.auto_confirm_receipt() == 1
    order.refresh_from_db()
    assert order.status == "completed" and order.updated_at > before
    assert CouponClaim.objects.count() == 0
