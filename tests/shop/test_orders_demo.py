"""Demo orders: every state over 90 days, idempotent; the simulator keeps placing and paying orders."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from shop.demo import orders as demo
from shop.models import Order
from tests.shop.orders_support import on_sale_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(store):
    for _ in range(3):
        on_sale_sku(store, stock=500, product__group_size=2)
    return store


def test_seed_makes_orders_in_every_state_over_90_days_and_is_idempotent(catalogue, monkeypatch):
    monkeypatch.setattr(demo, "ORDERS_PER_STORE", 120)
    demo.seed(password="x")
    orders = Order.objects.filter(store=catalogue)
    states = set(orders.values_list("status", flat=True))
    assert {"pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"} <= states
    assert orders.filter(buy_mode="group").exists()
    oldest = orders.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days >= 60
    count = orders.count()
    demo.seed(password="x")
    assert Order.objects.count() == count


def test_simulator_places_and_pays_orders(catalogue):
    call_command("simulate_orders", count=6, interval=0, seed=1)
    assert Order.objects.count() >= 6
    assert Order.objects.exclude(status="pending_payment").exists()
