"""Givens of the after-sales tests: paid orders (with their order payment) in any state."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.models import Payment
from tests.conftest import force_status
from tests.factories import OrderFactory, OrderItemFactory


def make_order(
    store, *, status: str = "delivered", prices: tuple[int, ...] = (5990,), seven_day: bool = True, **fields
):
    """An order of `store` in `status` with one item per price and a succeeded order payment."""
    now = timezone.now()
    total = sum(prices)
    order = OrderFactory(store=store, goods_amount=total, paid_amount=total, paid_at=now, ship_by=now, **fields)
    for price in prices:
        item = OrderItemFactory(order=order, unit_price=price, paid_amount=price)
        if not seven_day:
            item.sku.product.seven_day_return = False
            item.sku.product.save()
    times = {
        "shipped": ["shipped_at"],
        "delivered": ["shipped_at", "delivered_at"],
        "completed": ["shipped_at", "delivered_at", "completed_at"],
    }
    for name in times.get(status, []):
        if getattr(order, name) is None:
            setattr(order, name, now)
    order.save()
    force_status(order, status)
    payment = Payment.objects.create(purpose="order", reference=order.order_sn, amount=total, store_id=store.pk)
    force_status(payment, "succeeded")
    return order


@pytest.fixture
def order(store):
    return make_order(store)


@pytest.fixture
def item(order):
    return order.items.get()
