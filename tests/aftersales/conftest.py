"""Givens of the after-sales tests: paid orders (with their order payment) in any state."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from portal.models import Payment
from shipping.carriers.base import CourierUpdate
from shipping.models import Courier
from shipping.services import courier_updates_apply
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


def courier_scan(courier_code: str, waybill_no: str, action: str) -> None:
    """A courier reports a scan of a waybill through shipping's webhook path."""
    update = CourierUpdate(
        message_id=uuid.uuid4().hex, kind="track", waybill_no=waybill_no, occurred_at=timezone.now(), action=action,
        description=action, node="杭州转运中心",
    )  # fmt: skip
    courier_updates_apply(courier=Courier.objects.get(code=courier_code), updates=[update])


@pytest.fixture
def order(store):
    return make_order(store)


@pytest.fixture
def item(order):
    return order.items.get()


def buyer_opens_request(order, *, type: str, amount: int, description: str, reason: str = "quality") -> str:
    """The buyer's storefront opens an after-sales request for the order's only item through the API: its number."""
    from django.urls import reverse

    from tests.conftest import api_client_for

    body = {
        "order_sn": order.order_sn, "item_id": order.items.get().pk, "buyer_ref": order.buyer_ref, "type": type,
        "reason": reason, "amount": amount, "description": description,
    }  # fmt: skip
    response = api_client_for(order.store, kind="storefront").post(
        reverse("api-aftersales-requests"), body, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["request_sn"]
