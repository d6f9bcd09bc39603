"""Declared extension points between the apps (the layers: portal ← shop ← shipping ← aftersales).

A lower app never imports a higher one. Where it needs an answer only a higher app has (does this
self-shipped waybill have a pickup scan? what is this order's refund status?), the lower app calls a
hook declared here, and the higher app registers its implementation in its `AppConfig.ready`:

    # shop (lower) calls it
    hooks.order_cancelled.run(order=order, by=by)

    # shipping (higher) registers it, in ShippingConfig.ready
    hooks.order_cancelled.register(services.order_shipments_cancel)

Every hook is declared once, below, with its contract; `hooks.ALL` lists them (and a test checks
that each is registered once the apps are ready). This is the shape `portal.payments.on_payment_succeeded`
has; nothing assigns another module's globals at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Hook:
    """One named extension point.

    `single` hooks have at most one implementation (registering again replaces it: `ready()` may run
    twice in tests) and `call(...)` answers with it, or with `default` while none is registered.
    `many` hooks run every implementation in registration order (`run(...)`), each registered once.
    """

    def __init__(self, name: str, doc: str, *, many: bool = False, default: Callable[..., Any] | None = None):
        self.name = name
        self.__doc__ = doc
        self.many = many
        self.default = default
        self._impls: list[Callable[..., Any]] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._impls)} registered>"

    def register(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Register an implementation (usable as a decorator); idempotent."""
        if self.many:
            if func not in self._impls:
                self._impls.append(func)
        else:
            self._impls = [func]
        return func

    @property
    def implementations(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._impls)

    @property
    def is_registered(self) -> bool:
        return bool(self._impls)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """A single hook's answer: its implementation's, else the declared default's."""
        assert not self.many, f"{self.name} runs many implementations: use run()"
        impl = self._impls[0] if self._impls else self.default
        if impl is None:
            raise LookupError(f"hook {self.name} has no implementation and no default")
        return impl(*args, **kwargs)

    def run(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Run every implementation of a `many` hook; returns their answers."""
        assert self.many, f"{self.name} has one implementation: use call()"
        return [impl(*args, **kwargs) for impl in list(self._impls)]

    @contextmanager
    def override(self, func: Callable[..., Any] | None) -> Iterator[None]:
        """For tests: answer with `func` (None: as if nothing were registered) inside the block."""
        saved = self._impls
        self._impls = [] if func is None else [func]
        try:
            yield
        finally:
            self._impls = saved


# --- shop's hooks (registered by shipping and aftersales) ----------------------------------------------

order_cancelled = Hook(
    "order_cancelled",
    """Run as hook(order=..., by=...) inside the transaction of every order cancellation, right after the
    order's cancel transition (the order row is locked). Shipping cancels the order's booked parcel; an
    implementation refuses by raising a DomainError, which rolls the whole cancellation back.""",
    many=True,
)

pickup_scanned_orders = Hook(
    "pickup_scanned_orders",
    """hook(orders: list[Order]) -> set[int] | None: the ids of those self-shipped orders whose waybill
    has a pickup (GOT) scan. Shipping answers from its tracking events. None (the default, no shipping
    app): the fake-shipping rule cannot judge and flags nothing.""",
    default=lambda orders: None,
)

pickup_scan_exists = Hook(
    "pickup_scan_exists",
    """hook() -> Expression | None: a boolean expression for an Order queryset, true when the order's
    (courier_code, waybill_no) has a pickup (GOT) scan, so the fake-shipping rule finds the suspicious
    waybills in SQL instead of loading parcels. Shipping answers from its tracking events. None (the
    default, no shipping app): the rule cannot judge and flags nothing.""",
    default=lambda: None,
)

pickup_scan_stalled = Hook(
    "pickup_scan_stalled",
    """hook(window: timedelta, now: datetime) -> Expression | None: a boolean expression for an Order queryset,
    true when the order's (courier_code, waybill_no) has a pickup (GOT) scan at least `window` before `now` and
    no further scan within `window` after it (fake shipping: the parcel never moved). Shipping answers from its
    tracking events. None (the default, no shipping app): the rule cannot judge and flags nothing.""",
    default=lambda window, now: None,
)

waybill_validate = Hook(
    "waybill_validate",
    """hook(courier_code: str, waybill_no: str) -> str: the normalised waybill number, or ValidationFailed
    naming the courier's format. Shipping answers from its Courier table (the formats live there).""",
)

courier_choices = Hook(
    "courier_choices",
    """hook() -> list[tuple[str, str]]: (code, name) of the couriers a merchant may self-ship with.
    Shipping answers from its Courier table.""",
    default=list,
)

order_in_aftersales = Hook(
    "order_in_aftersales",
    """hook() -> Expression: a boolean expression for an Order queryset (annotation or filter), true while
    the order has an open after-sales request. After-sales registers it; without it no order is.""",
)

store_aftersales_order_ids = Hook(
    "store_aftersales_order_ids",
    """hook(store) -> QuerySet of order ids: the store's orders with an open after-sales request, an order once per
    open request (the order list's 售后中 tab and its count, from the few open requests instead of an EXISTS per
    order).
    After-sales registers it; without it no order is.""",
)

order_refund_status = Hook(
    "order_refund_status",
    """hook() -> Expression: the platform refund status of each order of an Order queryset, as an
    annotation (1 none or closed, 2 in after-sales, 3 refunding, 4 refunded; DOMAIN.md). After-sales
    owns the rule and registers it; shop's order lists and API annotate with it.""",
)

store_metrics = Hook(
    "store_metrics",
    """hook(*, store_ids: list[int], since: datetime, now: datetime) -> dict[int, dict[str, value]]: the store
    evaluation's metrics (shop.models.evaluation.Metric) that the app's data describes, for every store id,
    over [since, now]. Shop evaluates; shipping contributes pickup SLA breaches, after-sales the DSR,
    the after-sales rate, disputes lost and complaints.""",
    many=True,
)

store_rating = Hook(
    "store_rating",
    """hook(store) -> {"description", "logistics", "service" (Decimal | None), "count"}: the store's rolling
    DSR now, for shop's evaluation page. After-sales (reviews) answers.""",
    default=lambda store: {"description": None, "logistics": None, "service": None, "count": 0},
)

# --- the order's whole story (story: issue 9) ------------------------------------------------------------


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


order_story = Hook(
    "order_story",
    """hook(orders: Sequence[Order]) -> {order_id: [StoryEntry, ...]}: what a higher app tells about these
    orders, one query per app whatever their number. Shipping tells the parcels, after-sales the requests;
    the order page and API resource show every section (`order_story_for`).""",
    many=True,
)

STORY_SECTIONS = ("parcels", "aftersales")


def order_story_for(orders: Sequence[Any]) -> dict[int, dict[str, list[StoryEntry]]]:
    """Every section of these orders' story: {order_id: {section: [entries]}} (empty lists included)."""
    story: dict[int, dict[str, list[StoryEntry]]] = {o.pk: {name: [] for name in STORY_SECTIONS} for o in orders}
    for answer in order_story.run(orders):
        for order_id, entries in answer.items():
            for entry in entries:
                story.setdefault(order_id, {}).setdefault(entry.kind, []).append(entry)
    return story


@dataclass(frozen=True)
class LiveParcel:
    """A booked parcel (在线下单) that is still live: not cancelled, failed, returned or delivered."""

    shipment_id: int
    booking_no: str
    courier_code: str
    waybill_no: str
    status: str
    picked_up: bool


order_live_parcels = Hook(
    "order_live_parcels",
    """hook(order_ids: Sequence[int]) -> {order_id: LiveParcel}: the orders with a live booked parcel (one
    query). Shipping answers; while one is live the order is neither self-shipped, plainly cancelled nor
    re-shipped. Without shipping no order has one.""",
    default=lambda order_ids: {},
)


def live_parcels(order_ids: Sequence[int]) -> dict[int, LiveParcel]:
    return order_live_parcels.call(order_ids)


waybill_parcel_orders = Hook(
    "waybill_parcel_orders",
    """hook(waybill_no: str) -> list[int]: the orders whose live booked parcel carries this waybill number
    (one query). Shipping answers; shop refuses a self-ship waybill that another order's parcel holds.""",
    default=lambda waybill_no: [],
)


ALL: tuple[Hook, ...] = (
    order_cancelled,
    pickup_scanned_orders,
    pickup_scan_exists,
    pickup_scan_stalled,
    waybill_validate,
    courier_choices,
    order_in_aftersales,
    store_aftersales_order_ids,
    order_refund_status,
    store_metrics,
    store_rating,
    order_story,
    order_live_parcels,
    waybill_parcel_orders,
)
