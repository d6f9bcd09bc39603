"""Givens of the shipping tests: paid orders with SKUs, a sender address, a sandbox clock that steps per tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shipping import selectors, services
from shipping.models import Courier, SenderAddress
from tests.conftest import force_status
from tests.factories import OrderFactory, OrderItemFactory

DISTRICTS = {"杭州市": "西湖区", "广州市": "天河区", "乌鲁木齐市": "天山区", "宁波市": "海曙区"}


def paid_order(
    store, *, province="浙江省", city="杭州市", weight_g=800, flags=(), risk_hold=False, street="文三路 100 号"
):
    order = OrderFactory(
        store=store, province=province, city=city, district=DISTRICTS[city], street=street, risk_hold=risk_hold
    )
    item = OrderItemFactory(order=order, sku__weight_g=weight_g)
    product = item.sku.product
    for flag in flags:
        setattr(product, f"is_{flag}", True)
    product.save()
    force_status(order, "paid")
    order.ship_by = timezone.now() + timedelta(hours=48)
    order.save(update_fields=["ship_by"])
    return order


def make_sender(store, *, province="浙江省", city="杭州市", label="杭州仓"):
    return SenderAddress.objects.create(
        store=store, label=label, contact_name="王五", phone="13700001111", province=province, city=city,
        district="余杭区", street="仓前街道 1 号", is_default=not SenderAddress.objects.filter(store=store).exists(),
    )  # fmt: skip


def book(store, orders, *, courier="ZTO", by="merchant", sender=None, scenario="", lines=None):
    courier = Courier.objects.get(code=courier) if isinstance(courier, str) else courier
    sender = sender or SenderAddress.objects.filter(store=store).first() or make_sender(store)
    day, _label, slots = selectors.pickup_days(courier)[0]
    return services.booking_submit(
        store=store,
        courier=courier,
        sender=sender,
        pickup_date=day,
        pickup_slot=slots[0],
        lines=lines or [services.BookingLine(order_id=o.pk) for o in orders],
        by=by,
        scenario=scenario,
    )


@pytest.fixture
def fast_sandbox(settings):
    """Every sandbox tick moves each due parcel one step."""
    settings.SANDBOX_COURIER_CLOCK_SCALE = 0
    return settings


@pytest.fixture
def sender(store):
    return make_sender(store)


# --- kuaidi100 商家寄件: the protocol double and a store account pointed at it --------------------------
K100_KEY, K100_SECRET, K100_SALT = "TESTKEY0001", "test-secret-0001", "test-salt-0001"


@pytest.fixture
def fake_kuaidi100(settings):
    """The fake kuaidi100 server on 127.0.0.1 (random port); the test environment points at it."""
    from shipping.carriers.kuaidi100_fake import FakeKuaidi100

    fake = FakeKuaidi100(accounts={K100_KEY: K100_SECRET}).start()
    settings.KUAIDI100_ENDPOINTS = {**settings.KUAIDI100_ENDPOINTS, "test": fake.url}
    settings.KUAIDI100_TIMEOUT_SECONDS = 2
    settings.SITE_URL = "http://testserver"
    yield fake
    fake.stop()


def connect_kuaidi100(
    store, *, codes=("ZTO", "SF", "YUNDA", "JD", "YTO", "STO", "JTSD", "EMS", "DEPPON"), by="merchant"
):
    from shipping import services

    return services.courier_account_connect(
        store=store, environment="test", key=K100_KEY, secret=K100_SECRET, salt=K100_SALT,
        courier_ids=list(Courier.objects.filter(code__in=codes).values_list("pk", flat=True)), by=by,
    )  # fmt: skip


@pytest.fixture
def k100_account(store, fake_kuaidi100):
    return connect_kuaidi100(store)
