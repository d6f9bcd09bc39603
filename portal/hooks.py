"""Declared extension points between the layers (portal ← shop ← shipping ← aftersales).

A lower app declares what it needs to know from the apps above it; a higher app registers the
answer in its `AppConfig.ready`, in the shape of `portal.payments.on_payment_succeeded`:

    @order_story("parcels")
    def parcels(orders): ...

so shop shows an order's parcels and after-sales requests without importing shipping or aftersales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# --- the order's whole story: contributions per section ---------------------------------------------


@dataclass(frozen=True)
class StoryEntry:
    """One thing that happened to an order, as a higher app tells it (a parcel, an after-sales request).

    `kind` is the section ("parcels", "aftersales"); `ref` the thing's own number (shipment id,
    request number); `status`/`status_label` its state; `url` its page; `details` the section's fields
    (courier, waybill, latest scan; type, amount, ...), JSON-ready for the API.
    """

    kind: str
    ref: str
    status: str
    status_label: str
    url: str
    live: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


# section name → provider: (orders) -> {order_id: [StoryEntry, ...]}, one query per section for any number of orders
ORDER_STORY: dict[str, Callable[[Sequence[Any]], dict[int, list[StoryEntry]]]] = {}


def order_story(section: str):
    """Register the provider of one section of an order's story."""

    def register(func: Callable[[Sequence[Any]], dict[int, list[StoryEntry]]]):
        ORDER_STORY[section] = func
        return func

    return register


def order_story_for(orders: Sequence[Any]) -> dict[int, dict[str, list[StoryEntry]]]:
    """Every registered section for these orders: {order_id: {section: [entries]}} (empty lists included)."""
    story: dict[int, dict[str, list[StoryEntry]]] = {o.pk: {name: [] for name in ORDER_STORY} for o in orders}
    for name, provider in ORDER_STORY.items():
        for order_id, entries in provider(orders).items():
            if order_id in story:
                story[order_id][name] = list(entries)
    return story


# --- the order's booked parcel -------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveParcel:
    """A booked parcel (在线下单) that is still live: not cancelled, failed or returned."""

    shipment_id: int
    booking_no: str
    courier_code: str
    waybill_no: str
    status: str
    picked_up: bool


# provider: (order_ids) -> {order_id: LiveParcel}; registered by shipping
LIVE_PARCELS: list[Callable[[Sequence[int]], dict[int, LiveParcel]]] = []


def live_parcels_lookup(func: Callable[[Sequence[int]], dict[int, LiveParcel]]):
    """Register who answers "which of these orders have a live booked parcel"."""
    if func not in LIVE_PARCELS:
        LIVE_PARCELS.append(func)
    return func


def live_parcels(order_ids: Sequence[int]) -> dict[int, LiveParcel]:
    found: dict[int, LiveParcel] = {}
    for provider in LIVE_PARCELS:
        found.update(provider(order_ids))
    return found
