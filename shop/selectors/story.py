"""An order's whole story: what the higher apps contribute through portal.hooks (parcels, after-sales),
its compensations, and the facts the order's actions depend on (a live booked parcel, an open request)."""

from __future__ import annotations

from collections.abc import Iterable

from portal.hooks import LiveParcel, StoryEntry, live_parcels, order_story_for
from shop.models import Order
from shop.selectors.orders import in_aftersales_q


def order_live_parcel(order: Order) -> LiveParcel | None:
    """The order's booked parcel that is still live (在线下单, not cancelled/failed/returned/delivered)."""
    if not hasattr(order, "_live_parcel"):
        order._live_parcel = live_parcels([order.pk]).get(order.pk)
    return order._live_parcel


def order_in_aftersales(order: Order) -> bool:
    """Has the order an open after-sales request? (annotated by order_list, else one query)"""
    flag = getattr(order, "in_aftersales", None)
    if flag is None:
        flag = order.in_aftersales = Order.objects.filter(pk=order.pk).filter(in_aftersales_q()).exists()
    return bool(flag)


def orders_prime_action_facts(orders: Iterable[Order]) -> None:
    """Read what the orders' actions depend on (a live parcel, an open request) for many orders in two
    queries, so `order_live_parcel` and `order_in_aftersales` answer from memory."""
    orders = list(orders)
    parcels = live_parcels([o.pk for o in orders])
    flagged = set(
        Order.objects.filter(pk__in=[o.pk for o in orders]).filter(in_aftersales_q()).values_list("pk", flat=True)
    )
    for order in orders:
        order._live_parcel = parcels.get(order.pk)
        order.in_aftersales = order.pk in flagged


def order_story(order: Order) -> dict[str, list[StoryEntry]]:
    """The order's parcels and after-sales requests (each section from the app that owns it)."""
    return order_story_for([order])[order.pk]


def order_clock(order: Order) -> dict:
    """The countdowns the order page shows now: only the deadline the order is waiting on is set."""
    kind, deadline = order.waiting_on()
    clock = dict.fromkeys(("pay_by", "group_expires_at", "ship_by", "receipt_deadline"))
    if kind:
        clock[kind] = deadline
    return clock
