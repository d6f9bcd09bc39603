"""Reads of the shipping app, always scoped to a store, with a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.keyset import decode_cursor, encode_cursor
from portal.regions import zone_of
from shop.selectors import orders as order_selectors

from .models import (
    ACTIVE,
    SPECIAL_GOODS,
    ZONE_LABELS,
    Booking,
    Courier,
    CourierAccount,
    CourierMessage,
    SenderAddress,
    Shipment,
    ShipmentFee,
    ShipmentStatus,
    TrackingAction,
    TrackingEvent,
    statuses_with_code,
)

if TYPE_CHECKING:
    from shop.models import Order

# Tabs of 在线下单: key → (label, booking status code or None for all)
BOOKED_TABS: list[tuple[str, str, int | None]] = [
    ("all", "全部", None),
    ("pending", "待接单", 0),
    ("pickup", "待揽收", 100),
    ("delivering", "配送中", 200),
    ("done", "已完成", 300),
    ("cancelled", "已取消", 400),
]


def order_items_prefetch() -> Prefetch:
    """Items with SKU and product in one query (shop's selector): weights and special-goods flags."""
    return order_selectors.order_items_prefetch()


# --- orders awaiting a booking ---------------------------------------------------------------------
def unbooked_orders(store) -> QuerySet[Order]:
    """The store's paid orders with no active shipment (未下单), with the last booking failure reason."""
    active = Shipment.objects.filter(order=OuterRef("pk"), status__in=ACTIVE)
    last_failure = (
        Shipment.objects.filter(order=OuterRef("pk"), status=ShipmentStatus.FAILED)
        .order_by("-id")
        .values("failure_reason")[:1]
    )
    return (
        order_selectors.orders_to_book(store=store)
        .exclude(Exists(active))
        .annotate(last_failure=Subquery(last_failure))
        .order_by("ship_by", "id")
    )


def orders_for_booking(store, order_ids: list[int] | None = None, *, order_sns: list[str] | None = None) -> list[Order]:
    qs = order_selectors.orders_of_store(store=store, ids=order_ids, sns=order_sns)
    return list(qs.order_by("ship_by", "id"))


@dataclass(frozen=True)
class Parcel:
    """What an order weighs and carries, from its SKUs."""

    weight_g: int
    goods: frozenset[str]
    summary: str


def parcel_of(order: Order) -> Parcel:
    items = list(order.items.all())
    goods: set[str] = set()
    for item in items:
        goods |= item.sku.product.special_goods()
    # promises the buyer bought that the courier must keep: installation at home, SF only
    goods |= {need for need, flag in (("install", "home_install"), ("free_sf", "free_sf")) if getattr(order, flag)}
    weight = sum(item.quantity * item.sku.weight_g for item in items)
    summary = "；".join(f"{i.product_title} ×{i.quantity}" for i in items)
    if order.privacy_shipping:  # 隐私发货: no goods name on the waybill nor in the courier's order
        summary = _("隐私发货商品 %(n)d 件") % {"n": sum(i.quantity for i in items)}
    return Parcel(weight_g=max(weight, 100), goods=frozenset(goods), summary=summary[:200])


# --- couriers ----------------------------------------------------------------------------------------
def active_couriers() -> list[Courier]:
    return list(Courier.objects.filter(is_active=True))


def courier_refusal(courier: Courier, *, goods: set[str] | frozenset[str], provinces: list[str]) -> str:
    """Why this courier cannot take these goods to (or from) these provinces; "" when it can."""
    if "free_sf" in goods and courier.code not in settings.FREE_SF_COURIERS:
        return _("订单承诺顺丰包邮，只能选择顺丰发货")
    missing = sorted(set(goods) - set(courier.accepts) - {"free_sf"})
    if missing:
        names = "、".join(str(SPECIAL_GOODS[g]) for g in missing)
        return _("%(courier)s 不承运%(goods)s商品") % {"courier": courier.name, "goods": names}
    for province in provinces:
        zone = zone_of(province)
        if zone is None:
            return _("无法识别的省份：%(p)s") % {"p": province}
        if zone in courier.excluded_zones:
            return _("%(courier)s 不覆盖%(zone)s（%(p)s）") % {
                "courier": courier.name,
                "zone": ZONE_LABELS[zone],
                "p": province,
            }
    return ""


def month_volumes(store_id: int | None) -> dict[int, int]:
    """Parcels the store booked with each courier this calendar month (courier id → n; a merged parcel is
    one, cancelled and failed ones do not count): the volume its price tiers start from. One query."""
    if store_id is None:
        return {}
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Shipment.objects.filter(store_id=store_id, created_at__gte=start, parcel_lead__isnull=True)
        .exclude(status__in=[ShipmentStatus.CANCELLED, ShipmentStatus.FAILED])
        .values_list("courier_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@dataclass
class CourierOption:
    courier: Courier
    refusal: str
    prices: dict[int, int] = field(default_factory=dict)  # order id → fen
    volume: int = 0  # parcels booked with it this month (its price tier)
    first_kg: int | None = None  # the first-kg price applied, fen (for the first parcel's route)
    next_tier: tuple[int, int] | None = None  # (parcels more, first-kg price then, fen)

    @property
    def available(self) -> bool:
        return not self.refusal

    @property
    def total(self) -> int:
        return sum(self.prices.values())


def courier_options(orders: list[Order], sender: SenderAddress | None) -> list[CourierOption]:
    """Every active courier for these orders: refused with the reason, or priced per order and in total."""
    parcels = {o.pk: parcel_of(o) for o in orders}
    goods = set().union(*(p.goods for p in parcels.values())) if parcels else set()
    from_province = sender.province if sender else (orders[0].province if orders else "")
    provinces = sorted({o.province for o in orders} | ({sender.province} if sender else set()))
    volumes = month_volumes(orders[0].store_id if orders else None)
    options = []
    for courier in active_couriers():
        refusal = courier_refusal(courier, goods=goods, provinces=provinces)
        volume = volumes.get(courier.pk, 0)
        prices = {}
        if not refusal:
            prices = {
                o.pk: courier.price_for(
                    weight_g=parcels[o.pk].weight_g, from_province=from_province, to_province=o.province, volume=volume
                )
                for o in orders
            }
        options.append(
            tiered(CourierOption(courier=courier, refusal=refusal, prices=prices, volume=volume), from_province, orders)
        )
    return sorted(options, key=lambda o: (not o.available, o.total))


def tiered(option: CourierOption, from_province: str, parcels: list) -> CourierOption:
    """The option's first-kg price at its volume tier and the next tier's (for the first parcel's route)."""
    courier, to_province = option.courier, parcels[0].province if parcels else from_province
    if option.available and courier.volume_tiers:
        option.first_kg = courier.first_kg_price(
            from_province=from_province, to_province=to_province, volume=option.volume
        )
        step = courier.next_tier(option.volume)
        if step is not None:
            more, _off = step
            then = courier.first_kg_price(
                from_province=from_province, to_province=to_province, volume=option.volume + more
            )
            option.next_tier = (more, then)
    return option


def pickup_days(courier: Courier, now: datetime | None = None) -> list[tuple[date, str, list[str]]]:
    """(day, label, slots) for today, tomorrow and the day after; today's slots ending within
    `pickup_slot_lead` (2 h) and everything after the same-day cutoff left out."""
    now = timezone.localtime(now or timezone.now())
    bookable_until = now + settings.PORTAL_TIME_RULES["pickup_slot_lead"]  # a slot must end after this
    days = []
    for offset, label in ((0, _("今天")), (1, _("明天")), (2, _("后天"))):
        day = now.date() + timedelta(days=offset)
        slots = list(courier.pickup_slots)
        if offset == 0:
            if courier.same_day_cutoff and now.time() >= courier.same_day_cutoff:
                slots = []
            slots = [
                s
                for s in slots
                if datetime.combine(day, time.fromisoformat(s.split("-")[1]), tzinfo=now.tzinfo) >= bookable_until
            ]
        if slots:
            days.append((day, f"{label} {day:%m-%d}", slots))
    return days


# --- bookings and shipments --------------------------------------------------------------------------
def _shipments(store) -> QuerySet[Shipment]:
    return Shipment.objects.filter(store=store).select_related("courier", "booking", "order")


def shipments_for_tab(store, tab: str) -> QuerySet[Shipment]:
    qs = _shipments(store)
    code = {k: c for k, _label, c in BOOKED_TABS}.get(tab)
    if code is not None:
        qs = qs.filter(status__in=statuses_with_code(code))
    return qs.order_by("-created_at", "-id")


def shipment_search(store, *, q: str = "", status: str = "", overdue: bool = False) -> QuerySet[Shipment]:
    qs = _shipments(store).order_by("-created_at", "-id")
    if overdue:
        qs = qs.filter(overdue_q())
    if q:
        qs = qs.filter(
            Q(waybill_no__iexact=q.strip()) | Q(order__order_sn__icontains=q.strip()) | Q(booking__booking_no=q.strip())
        )
    if status:
        qs = qs.filter(status=status)
    return qs


def booking_tab_counts(store) -> dict[str, int]:
    """Counts for every tab of 在线下单 in two queries (with the overdue parcels' count)."""
    counts = (
        order_selectors.orders_to_book(store=store)
        .exclude(Exists(Shipment.objects.filter(order=OuterRef("pk"), status__in=ACTIVE)))
        .aggregate(unbooked=Count("id"), unbooked_bookable=Count("id", filter=Q(risk_hold=False)))
    )
    aggregates = {"all": Count("id"), "overdue": Count("id", filter=overdue_q())}
    for key, _label, code in BOOKED_TABS:
        if code is not None:
            aggregates[key] = Count("id", filter=Q(status__in=statuses_with_code(code)))
    counts.update(Shipment.objects.filter(store=store).aggregate(**aggregates))
    return counts


def booking_for_store(store, booking_no: str) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("courier", "rebooked_from").prefetch_related(
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("order", "courier", "replaced_by__booking").order_by("id"),
            ),
            "rebookings",
        ),
        store=store,
        booking_no=booking_no,
    )


def shipment_for_store(store, pk: int) -> Shipment:
    return get_object_or_404(
        _shipments(store).select_related("replaced_by__booking").prefetch_related("events", "messages", "tickets"),
        pk=pk,
    )


def bookings_for_store(store) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(store=store)
        .select_related("courier")
        .annotate(
            parcels=Count("shipments"),
            done=Count("shipments", filter=Q(shipments__status=ShipmentStatus.DELIVERED)),
        )
        .order_by("-created_at", "-id")
    )


def shipments_for_order(order: Order) -> list[Shipment]:
    """An order's shipments (newest first) with their tracking events, for the order page and buyers."""
    return list(
        Shipment.objects.filter(order=order)
        .select_related("courier", "booking", "order")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")))
        .order_by("-created_at", "-id")
    )


def sender_addresses(store) -> QuerySet[SenderAddress]:
    return SenderAddress.objects.filter(store=store)


def default_sender(store) -> SenderAddress | None:
    return sender_addresses(store).order_by("-is_default", "id").first()


def has_pickup_scan(courier_code: str, waybill_no: str) -> bool:
    """Has the courier reported a pickup (GOT) scan for this waybill? (fake-shipping detection)"""
    return TrackingEvent.objects.filter(
        courier_code=courier_code, waybill_no=waybill_no.strip().upper(), action=TrackingAction.GOT
    ).exists()


def orders_with_pickup_scan(orders: list[Order]) -> set[int]:
    """Of these (self-shipped) orders, the ids whose waybill has a pickup scan: one query (orders' hook)."""
    pairs = {(o.courier_code, o.waybill_no.strip().upper()): o.pk for o in orders if o.waybill_no}
    if not pairs:
        return set()
    scanned = TrackingEvent.objects.filter(
        action=TrackingAction.GOT, waybill_no__in={w for _c, w in pairs}, courier_code__in={c for c, _w in pairs}
    ).values_list("courier_code", "waybill_no")
    return {pairs[key] for key in scanned if key in pairs}


def pickup_scan_exists() -> Exists:
    """For an Order queryset: its waybill has a pickup scan (orders' hook; the sweep's NOT EXISTS on the
    `(courier_code, waybill_no, action)` index)."""
    return Exists(
        TrackingEvent.objects.filter(
            courier_code=OuterRef("courier_code"), waybill_no=OuterRef("waybill_no"), action=TrackingAction.GOT
        )
    )


def pickup_scan_stalled(window: timedelta, now: datetime) -> Exists:
    """For an Order queryset: its waybill was picked up (GOT) at least `window` before `now` and has no further
    scan within `window` after that pickup (orders' hook; both lookups on the `(courier_code, waybill_no,
    action)` index)."""
    moved = TrackingEvent.objects.filter(
        courier_code=OuterRef(OuterRef("courier_code")),
        waybill_no=OuterRef(OuterRef("waybill_no")),
        occurred_at__gt=OuterRef("occurred_at"),
        occurred_at__lte=OuterRef("occurred_at") + window,
    ).exclude(action=TrackingAction.GOT)
    return Exists(
        TrackingEvent.objects.filter(
            courier_code=OuterRef("courier_code"),
            waybill_no=OuterRef("waybill_no"),
            action=TrackingAction.GOT,
            occurred_at__lte=now - window,
        ).filter(~Exists(moved))
    )


def unanswered_message_count(store) -> int:
    """Merchant questions the courier desks have not answered yet (for the dashboard)."""
    return CourierMessage.objects.filter(
        store=store, sender=CourierMessage.Sender.MERCHANT, answered_at__isnull=True
    ).count()


def overdue_q() -> Q:
    """Waiting parcels whose courier broke the 2 h confirmation or 24 h pickup promise (from the clock)."""
    now = timezone.now()
    return Q(status__in=[ShipmentStatus.REQUESTED, ShipmentStatus.CONFIRMED]) & (
        Q(confirm_overdue=True)
        | Q(pickup_overdue=True)
        | Q(status=ShipmentStatus.REQUESTED, confirm_by__lt=now)
        | Q(pickup_by__lt=now)
    )


def overdue_shipment_count(store) -> int:
    """For the dashboard and 在线下单: how many parcels wait on a courier that broke its promise."""
    return Shipment.objects.filter(overdue_q(), store=store).count()


def store_metrics(*, store_ids: list[int], since, now) -> dict[int, dict[str, int]]:
    """portal.hooks.store_metrics: parcels booked in the window the courier failed to collect in time."""
    breaches = dict(
        Shipment.objects.filter(store_id__in=store_ids, pickup_overdue=True, created_at__gt=since, created_at__lte=now)
        .values("store_id")
        .annotate(n=Count("id"))
        .values_list("store_id", "n")
    )
    return {pk: {"pickup_sla_breaches": breaches.get(pk, 0)} for pk in store_ids}


def tracking_events(*, courier_code: str, waybill_no: str) -> QuerySet[TrackingEvent]:
    """The courier's scans of any waybill (a return parcel too), as recorded from its reports."""
    if not waybill_no:
        return TrackingEvent.objects.none()
    return TrackingEvent.objects.filter(courier_code=courier_code, waybill_no=waybill_no)


def scan_exists(*, courier_code, waybill_no, actions) -> Exists:
    """An Exists expression: the courier reported one of `actions` for that waybill (values or OuterRefs)."""
    return Exists(TrackingEvent.objects.filter(courier_code=courier_code, waybill_no=waybill_no, action__in=actions))


# --- courier accounts ----------------------------------------------------------------------------------
def courier_account(store) -> CourierAccount | None:
    """The store's active kuaidi100 account with the couriers it offers (one query for each)."""
    return (
        CourierAccount.objects.filter(store=store, is_active=True)
        .prefetch_related(Prefetch("couriers", queryset=Courier.objects.order_by("sort", "platform_id")))
        .first()
    )


def courier_account_for(store, courier: Courier) -> CourierAccount | None:
    """The account a booking of this store with this courier goes through; None means the sandbox."""
    if not courier.kuaidi100_code:
        return None
    return CourierAccount.objects.filter(store=store, is_active=True, couriers=courier).first()


def courier_accounts_by_store() -> QuerySet[CourierAccount]:
    return CourierAccount.objects.select_related("store").prefetch_related("couriers")


def shipment_fees(shipment: Shipment) -> list[ShipmentFee]:
    return list(shipment.fees.order_by("created_at", "id"))


# --- the 未下单 backlog: filters, keyset pages by ship-by, server-side selection -------------------------
URGENCY_CHOICES = [("", "全部"), ("overdue", "已超时"), ("12h", "12 小时内到期"), ("24h", "24 小时内到期")]
SPECIAL_CHOICES = [
    ("", "全部"),
    ("any", "任一特殊商品"),
    ("fresh", "生鲜"),
    ("frozen", "冷冻"),
    ("bulky", "大件"),
    ("fragile", "易碎"),
]


@dataclass(frozen=True)
class BacklogFilters:
    """The filters of 未下单; `from_query` reads them from a GET/POST QueryDict (unknown values ignored)."""

    product: str = ""
    province: str = ""
    urgency: str = ""
    note: bool = False
    special: str = ""
    failed: bool = False

    KEYS = ("product", "province", "urgency", "note", "special", "failed")

    @classmethod
    def from_query(cls, data) -> BacklogFilters:
        urgency = data.get("urgency", "")
        special = data.get("special", "")
        return cls(
            product=(data.get("product") or "").strip()[:60],
            province=(data.get("province") or "").strip()[:20],
            urgency=urgency if urgency in dict(URGENCY_CHOICES) else "",
            note=data.get("note") == "1",
            special=special if special in dict(SPECIAL_CHOICES) else "",
            failed=data.get("failed") == "1",
        )

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in self.KEYS)

    def as_query(self) -> list[tuple[str, str]]:
        pairs = []
        for key in self.KEYS:
            value = getattr(self, key)
            if value is True:
                pairs.append((key, "1"))
            elif value:
                pairs.append((key, value))
        return pairs


def unbooked_filtered(store, filters: BacklogFilters, *, now: datetime | None = None) -> QuerySet[Order]:
    """未下单 narrowed by the filters, most urgent (earliest ship-by) first."""
    qs = unbooked_orders(store)
    now = now or timezone.now()
    if filters.product:
        qs = qs.filter(items__product_title__icontains=filters.product)
    if filters.province:
        qs = qs.filter(province=filters.province)
    if filters.urgency == "overdue":
        qs = qs.filter(ship_by__lt=now)
    elif filters.urgency in ("12h", "24h"):
        qs = qs.filter(ship_by__lt=now + timedelta(hours=int(filters.urgency[:-1])))
    if filters.note:
        qs = qs.exclude(buyer_note="")
    if filters.special == "any":
        qs = qs.filter(
            Q(items__sku__product__is_fresh=True)
            | Q(items__sku__product__is_frozen=True)
            | Q(items__sku__product__is_bulky=True)
            | Q(items__sku__product__is_fragile=True)
        )
    elif filters.special:
        qs = qs.filter(**{f"items__sku__product__is_{filters.special}": True})
    if filters.failed:
        qs = qs.filter(last_failure__isnull=False)
    if filters.product or filters.special:
        qs = qs.distinct()
    return qs


@dataclass
class BacklogPage:
    rows: list
    next_cursor: str | None = None
    prev_cursor: str | None = None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def backlog_page(
    qs: QuerySet[Order], *, size: int = 50, after: str | None = None, before: str | None = None
) -> BacklogPage:
    """A keyset page of 未下单 in ship-by order (earliest first): no OFFSET, no COUNT, `size + 1` rows read."""
    after_key, before_key = decode_cursor(after), decode_cursor(before)
    if before_key and not after_key:
        moment, pk = before_key
        bound = Q(ship_by__lte=moment) & (Q(ship_by__lt=moment) | Q(pk__lt=pk))
        rows = list(qs.filter(bound).order_by("-ship_by", "-id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return BacklogPage(
            rows=rows,
            next_cursor=encode_cursor(rows[-1].ship_by, rows[-1].pk) if rows else None,
            prev_cursor=encode_cursor(rows[0].ship_by, rows[0].pk) if rows and more else None,
        )
    if after_key:
        moment, pk = after_key
        qs = qs.filter(Q(ship_by__gte=moment) & (Q(ship_by__gt=moment) | Q(pk__gt=pk)))
    rows = list(qs.order_by("ship_by", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return BacklogPage(
        rows=rows,
        next_cursor=encode_cursor(rows[-1].ship_by, rows[-1].pk) if rows and more else None,
        prev_cursor=encode_cursor(rows[0].ship_by, rows[0].pk) if rows and after_key else None,
    )


def backlog_ids(store, filters: BacklogFilters, *, limit: int) -> list[int]:
    """ "Select all N matching": the ids of every matching, bookable order (most urgent first, at most `limit`)."""
    qs = unbooked_filtered(store, filters).filter(risk_hold=False)
    return list(qs.order_by("ship_by", "id").values_list("id", flat=True)[:limit])


def bookable_count(store, filters: BacklogFilters) -> int:
    return unbooked_filtered(store, filters).filter(risk_hold=False).count()


# --- courier performance for a store ------------------------------------------------------------------
@dataclass(frozen=True)
class OnTime:
    confirm_decided: int = 0
    confirm_on_time: int = 0
    pickup_decided: int = 0
    pickup_on_time: int = 0

    @staticmethod
    def _pct(ok: int, n: int) -> int | None:
        return round(100 * ok / n) if n else None

    @property
    def confirm_rate(self) -> int | None:
        return self._pct(self.confirm_on_time, self.confirm_decided)

    @property
    def pickup_rate(self) -> int | None:
        return self._pct(self.pickup_on_time, self.pickup_decided)


def decided_q(now: datetime) -> dict[str, Q]:
    """Which parcels are decided for each promise: a parcel still inside its window is neither late nor on time."""
    return {
        "confirm_decided": Q(confirmed_at__isnull=False) | Q(confirm_overdue=True) | Q(confirm_by__lt=now),
        "confirm_on_time": Q(confirmed_at__isnull=False, confirmed_at__lte=F("confirm_by")) & Q(confirm_overdue=False),
        "pickup_decided": Q(picked_up_at__isnull=False) | Q(pickup_overdue=True) | Q(pickup_by__lt=now),
        "pickup_on_time": Q(picked_up_at__isnull=False, picked_up_at__lte=F("pickup_by")) & Q(pickup_overdue=False),
    }


def courier_on_time(store, *, days: int = 30, now: datetime | None = None) -> dict[int, OnTime]:
    """Each courier's measured on-time rate for this store over the last `days` days (one query).

    Only decided parcels count, a merged parcel (合并发货) once: a parcel still inside its 2-hour (or
    24-hour) window is not yet a failure; a parcel cancelled or refused before its promise fell due is
    not counted for that promise.
    """
    now = now or timezone.now()
    qs = Shipment.objects.filter(
        store=store,
        created_at__gte=now - timedelta(days=days),
        parcel_lead__isnull=True,  # a merged parcel is one
    ).exclude(status=ShipmentStatus.FAILED)
    cancelled_early = Q(status=ShipmentStatus.CANCELLED)
    conds = decided_q(now)
    rows = qs.values("courier_id").annotate(
        confirm_decided=Count(
            "id",
            filter=conds["confirm_decided"] & ~(cancelled_early & Q(confirmed_at__isnull=True, confirm_overdue=False)),
        ),
        confirm_on_time=Count("id", filter=conds["confirm_on_time"]),
        pickup_decided=Count(
            "id",
            filter=conds["pickup_decided"] & ~(cancelled_early & Q(picked_up_at__isnull=True, pickup_overdue=False)),
        ),
        pickup_on_time=Count("id", filter=conds["pickup_on_time"]),
    )
    return {
        r["courier_id"]: OnTime(r["confirm_decided"], r["confirm_on_time"], r["pickup_decided"], r["pickup_on_time"])
        for r in rows
    }


def pickup_promise_conflict(*, pickup_date: date, pickup_slot: str, now: datetime | None = None) -> bool:
    """Does the chosen slot end after the courier's 24-hour pickup promise (counted from now) expires?

    Then the courier may be "late" for the very slot the merchant chose: the confirmation warns.
    """
    now = timezone.localtime(now or timezone.now())
    end = time.fromisoformat(pickup_slot.split("-")[1])
    closes = datetime.combine(pickup_date, end, tzinfo=now.tzinfo)
    return closes > now + settings.PORTAL_TIME_RULES["courier_pickup"]


def bookings_of_group(store, group_no: str) -> list[Booking]:
    """The consecutive bookings of one confirmation, with their parcels and orders (two queries)."""
    if not group_no:
        return []
    return list(
        Booking.objects.filter(store=store, group_no=group_no)
        .select_related("courier")
        .prefetch_related(
            Prefetch("shipments", queryset=Shipment.objects.select_related("order", "courier").order_by("id"))
        )
        .order_by("created_at", "id")
    )


def rebook_options(
    shipments: list[Shipment], *, sender_province: str, exclude_courier_id: int | None
) -> list[CourierOption]:
    """Couriers to re-book these parcels with: priced, or refused with the reason; cheapest capable first."""
    goods = set().union(*(set(s.special_goods) for s in shipments)) if shipments else set()
    provinces = sorted({s.province for s in shipments} | {sender_province})
    volumes = month_volumes(shipments[0].store_id if shipments else None)
    options = []
    for courier in active_couriers():
        if courier.pk == exclude_courier_id:
            continue
        refusal = courier_refusal(courier, goods=goods, provinces=provinces)
        volume = volumes.get(courier.pk, 0)
        prices = {}
        if not refusal:
            prices = {
                s.pk: courier.price_for(
                    weight_g=s.predicted_weight_g, from_province=sender_province, to_province=s.province, volume=volume
                )
                for s in shipments
            }
        option = CourierOption(courier=courier, refusal=refusal, prices=prices, volume=volume)
        options.append(tiered(option, sender_province, shipments))
    return sorted(options, key=lambda o: (not o.available, o.total))


# --- 合并发货: orders to one recipient at one address ---------------------------------------------------
CONSIGNEE = ("recipient_name", "recipient_phone", "province", "city", "district", "street")


def consignee_key(obj) -> tuple:
    """Orders (or booking lines) with the same key go to one recipient at one address."""
    get = obj.get if isinstance(obj, dict) else lambda k: getattr(obj, k)
    return tuple((get(k) or "").strip() for k in CONSIGNEE)


def merge_groups(orders: list[Order], lines: dict[int, dict] | None = None) -> list[list[Order]]:
    """Of these orders, the groups (two or more) to one recipient at one address whose special goods are
    compatible (cold-chain goods only with the same cold-chain goods): offered as one parcel each."""
    groups: dict[tuple, list[Order]] = {}
    for o in orders:
        if o.risk_hold:
            continue
        key = consignee_key(lines[o.pk]) if lines and o.pk in lines else consignee_key(o)
        cold = frozenset(parcel_of(o).goods & {"fresh", "frozen"})
        groups.setdefault((key, cold), []).append(o)
    return [g for g in groups.values() if len(g) > 1]


def mergeable_counts(store, orders: list[Order]) -> dict[int, int]:
    """For a page of 未下单: how many unbooked orders of the store share each order's recipient and address (one query)."""
    phones = {o.recipient_phone for o in orders}
    if not phones:
        return {}
    rows = (
        unbooked_orders(store)
        .filter(recipient_phone__in=phones, risk_hold=False)
        .order_by()
        .values(*CONSIGNEE)
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    counts = {tuple(r[k] for k in CONSIGNEE): r["n"] for r in rows}
    return {o.pk: counts[key] for o in orders if (key := tuple(getattr(o, k) for k in CONSIGNEE)) in counts}


def parcel_orders(shipment: Shipment) -> list[str]:
    """The order numbers travelling in this shipment's parcel (合并发货), itself included; [] when alone."""
    lead = shipment.parcel_lead_id or shipment.pk
    sns = list(
        Shipment.objects.filter(Q(pk=lead) | Q(parcel_lead_id=lead))
        .order_by("id")
        .values_list("order__order_sn", flat=True)
    )
    return sns if len(sns) > 1 else []
