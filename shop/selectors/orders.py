"""Reads of orders, always scoped to a store, with a constant number of queries per page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from portal import hooks
from portal.keyset import PAGE_SIZES, KeysetPage, keyset_page
from shop.models import Order, OrderItem, Store
from shop.models.orders import BuyMode, GroupStatus
from shop.models.orders import OrderStatus as OrderStatus  # the order statuses, for the other apps
from shop.models.orders import recipient_phone_shown as recipient_phone_shown  # the phone rule, for other apps

AFTERSALES = "aftersales"
# Tabs of the order list, in order: (key, label). Every status, plus the derived after-sales flag.
TABS: list[tuple[str, str]] = [(s.value, s.label) for s in OrderStatus] + [(AFTERSALES, _("售后中"))]


def in_aftersales_q() -> Q:
    """Orders with an open after-sales request: a derived flag, not a status (the 售后中 tab and filter).
    After-sales owns the rule (`portal.hooks.order_in_aftersales`)."""
    return Q(hooks.order_in_aftersales.call())


def tab_q(tab: str) -> Q:
    if tab == AFTERSALES:
        return in_aftersales_q()
    return Q(status=tab)


def open_aftersales_orders(store: Store) -> set[int]:
    """Ids of the store's orders with an open after-sales request (a small set): one read gives the 售后中 tab's
    count and the flag of every row on the page."""
    return set(hooks.store_aftersales_order_ids.call(store))


def order_tab_counts(*, store: Store, aftersales: set[int] | None = None) -> dict[str, int]:
    """Live count per tab: one index-only `GROUP BY status` plus the open after-sales (`open_aftersales_orders`,
    read here unless given)."""
    counts = {key: 0 for key, _label in TABS}
    rows = Order.objects.filter(store=store).order_by().values_list("status").annotate(n=Count("*"))
    counts.update({status: n for status, n in rows if status in counts})
    counts[AFTERSALES] = len(open_aftersales_orders(store) if aftersales is None else aftersales)
    return counts


@dataclass(frozen=True)
class OrderFilters:
    tab: str = ""
    date_from: date | None = None
    date_to: date | None = None
    product_id: int | None = None
    province: str = ""
    overdue: bool = False
    memo_flag: str = ""
    q: str = ""
    updated_since: datetime | None = None

    def narrows_tab(self) -> bool:
        """True when a filter beyond the tab applies, so the tab's count is not the list's total."""
        return bool(
            self.date_from
            or self.date_to
            or self.product_id
            or self.province
            or self.overdue
            or self.memo_flag
            or self.q
        )


ORDER_SN_RE = re.compile(r"^[A-Z]{0,2}\d[\d-]*$")


def search_q(term: str) -> Q:
    """What the term looks like decides the one indexed column it searches: an 11-digit mobile number the
    recipient's phone (exact), digits (and the dash) an order-number prefix, anything else the recipient's
    name (prefix). One OR over the three would defeat every index."""
    term = term.strip()
    if len(term) == 11 and term.isdigit() and term.startswith("1"):  # a mainland mobile number
        return Q(recipient_phone=term)
    if ORDER_SN_RE.match(term):
        return Q(order_sn__startswith=term)
    return Q(recipient_name__startswith=term)


def local_midnight(day: date) -> datetime:
    """The start of `day` in the portal's time zone, as an aware datetime (sargable bounds, not `__date`)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def overdue_q(now: datetime | None = None) -> Q:
    """To-ship orders past their ship-by time, from the clock (right even between sweeps)."""
    return Q(status=OrderStatus.PAID, ship_by__lt=now or timezone.now())


def order_list(*, store: Store, filters: OrderFilters | None = None) -> QuerySet[Order]:
    """The store's orders, newest first, with items and group loaded (no N+1)."""
    return (
        _filtered(store, filters or OrderFilters())
        .select_related("group")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.select_related("sku__product")))
        .annotate(in_aftersales=hooks.order_in_aftersales.call(), refund_status=hooks.order_refund_status.call())
    )


def _filtered(store: Store, f: OrderFilters) -> QuerySet[Order]:
    qs = Order.objects.filter(store=store)
    if f.tab == AFTERSALES:
        # A semi-join from the store's few open requests, not a correlated EXISTS per order.
        qs = qs.filter(pk__in=hooks.store_aftersales_order_ids.call(store))
    elif f.tab:
        qs = qs.filter(tab_q(f.tab))
    if f.date_from:
        qs = qs.filter(created_at__gte=local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=local_midnight(f.date_to + timedelta(days=1)))
    if f.product_id:
        qs = qs.filter(pk__in=OrderItem.objects.filter(sku__product_id=f.product_id).values("order_id"))
    if f.province:
        qs = qs.filter(province=f.province)
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.memo_flag:
        qs = qs.filter(memo_flag=f.memo_flag)  # the `order_store_flag` partial index: flagged orders only
    if f.q.strip():
        qs = qs.filter(search_q(f.q))
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return qs


# A filtered list counts at most this many rows for its total ("10000+" beyond).
COUNT_CAP = 10_000


@dataclass
class OrderPage:
    page: KeysetPage
    total: int
    total_capped: bool


def order_page(
    *,
    store: Store,
    filters: OrderFilters | None = None,
    counts: dict[str, int] | None = None,
    size: int = PAGE_SIZES[0],
    after: str | None = None,
    before: str | None = None,
    aftersales: set[int] | None = None,
) -> OrderPage:
    """One keyset page of the store's filtered orders and the list's total: the tab's count when nothing
    else narrows the list (no second COUNT), else a count capped at COUNT_CAP. Each row says whether it is in
    after-sales (`in_aftersales`, from `aftersales` when given)."""
    f = filters or OrderFilters()
    # The list shows each item's own title, spec and quantity: no SKU or product rows needed.
    items = OrderItem.objects.only("order_id", "product_title", "sku_spec", "quantity")
    qs = _filtered(store, f).select_related("group").prefetch_related(Prefetch("items", queryset=items))
    page = keyset_page(qs, size=size, after=after, before=before)
    # The 售后中 flag from the store's open requests, not an annotation PostgreSQL plans as a hash of every
    # open request of the platform, twice per page.
    if aftersales is None:
        aftersales = open_aftersales_orders(store) if page.rows else set()
    for order in page.rows:
        order.in_aftersales = order.pk in aftersales
    if counts is not None and not f.narrows_tab():
        total = counts[f.tab] if f.tab else sum(counts[s.value] for s in OrderStatus)
        return OrderPage(page=page, total=total, total_capped=False)
    total = _filtered(store, f).order_by().values("pk")[: COUNT_CAP + 1].count()
    return OrderPage(page=page, total=min(total, COUNT_CAP), total_capped=total > COUNT_CAP)


def paid_between(store: Store, start: datetime, end: datetime):
    """Orders paid in [start, end). An order is paid within the unpaid auto-cancel window of its
    creation, so bounding created_at too lets the database use its created_at index instead of
    scanning every order of the store."""
    return Order.objects.filter(
        store=store,
        paid_at__gte=start,
        paid_at__lt=end,
        created_at__gte=start - settings.PORTAL_TIME_RULES["unpaid_auto_cancel"],
        created_at__lt=end,
    )


def paid_order_counts(*, store_ids: list[int], since: datetime, now: datetime) -> dict[int, int]:
    """Orders paid in (since, now] per store (one query): the denominator of rates per paid order."""
    return dict(
        Order.objects.filter(store_id__in=store_ids, paid_at__gt=since, paid_at__lte=now)
        .values("store_id")
        .annotate(n=Count("id"))
        .values_list("store_id", "n")
    )


# --- for the shipping app (online booking): orders read and locked through shop, never by status string ----


def order_items_prefetch() -> Prefetch:
    """Items with SKU and product in one query: weights and special-goods flags of each order."""
    return Prefetch("items", queryset=OrderItem.objects.select_related("sku__product").order_by("id"))


def orders_to_ship(*, store: Store) -> QuerySet[Order]:
    """The store's orders awaiting shipment (待发货), items loaded."""
    return Order.objects.filter(store=store, status=OrderStatus.PAID).prefetch_related(order_items_prefetch())


def orders_to_book(*, store: Store) -> QuerySet[Order]:
    """Orders awaiting shipment that a courier can be booked for: all but those shipped without logistics."""
    return orders_to_ship(store=store).filter(no_logistics=False)


def orders_of_store(*, store: Store, ids: list[int] | None = None, sns: list[str] | None = None) -> QuerySet[Order]:
    """The store's orders with these ids (or order numbers), items loaded."""
    qs = Order.objects.filter(store=store)
    qs = qs.filter(pk__in=ids or []) if sns is None else qs.filter(order_sn__in=sns)
    return qs.prefetch_related(order_items_prefetch())


def orders_lock(*, store: Store, ids: list[int]) -> dict[int, Order]:
    """Lock the store's orders (rows only; concurrent bookings of one order: the second waits here)."""
    return {
        o.pk: o
        for o in Order.objects.select_for_update(of=("self",))
        .filter(store=store, pk__in=ids)
        .prefetch_related(order_items_prefetch())
    }


def order_ship_refusal(order: Order) -> str:
    """Why this order cannot be shipped now ("" if it can), from its state machine's `ship` transition:
    not from this state, or its guard (a risk hold) says no."""
    if not can_proceed(order.ship, check_conditions=False):
        return _("订单状态为“%(s)s”，不能下单") % {"s": order.get_status_display()}
    if not can_proceed(order.ship):
        return _("风控审核中的订单不能发货")
    return ""


def items_received_before(cutoff: datetime, *, since: datetime | None = None) -> QuerySet[OrderItem]:
    """Items of orders received (delivered, or completed without a delivery scan) at or before `cutoff`, and
    after `since` when given (a sweep's window, read from the orders' `order_received_at` partial index)."""
    orders = Order.objects.filter(status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED]).alias(
        received=Coalesce("delivered_at", "completed_at")
    )
    orders = orders.filter(received__lte=cutoff)
    if since is None:
        return OrderItem.objects.filter(order_id__in=orders.values("pk")).select_related("order", "sku")
    # A window: the orders' ids first, from the index (as a subquery the planner starts from the items instead).
    ids = list(orders.filter(received__gt=since).values_list("pk", flat=True))
    return OrderItem.objects.filter(order_id__in=ids).select_related("order", "sku")


def order_by_sn(*, store: Store, order_sn: str) -> Order:
    """One order of the store by number, without the list's annotations (404 for another store's)."""
    return get_object_or_404(Order, store=store, order_sn=order_sn)


def order_get(*, store: Store, order_sn: str) -> Order:
    """One order of the store (404 for another store's)."""
    return get_object_or_404(order_list(store=store).prefetch_related("compensations__coupon"), order_sn=order_sn)


# --- the platform's separate status fields (DOMAIN.md), derived from our one state machine ---------


def platform_refund_status(order: Order) -> int:
    """1 none or closed, 2 in after-sales, 3 refunding, 4 refunded. After-sales owns the rule
    (`portal.hooks.order_refund_status`); orders from `order_list` carry it as an annotation."""
    code = getattr(order, "refund_status", None)
    if code is None:
        code = (
            Order.objects.filter(pk=order.pk)
            .annotate(code=hooks.order_refund_status.call())
            .values_list("code", flat=True)
            .get()
        )
    return code


def platform_status(order: Order) -> dict[str, int]:
    status = order.status
    shipping = {OrderStatus.SHIPPED: 2, OrderStatus.DELIVERED: 3, OrderStatus.COMPLETED: 3}.get(status, 1)
    if status == OrderStatus.CANCELLED:
        deal = 2
    elif status in (OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING):
        deal = 0
    else:
        deal = 1
    if order.buy_mode == BuyMode.SINGLE or order.group is None:
        group = 1
    else:
        group = {GroupStatus.OPEN: 0, GroupStatus.FORMED: 1, GroupStatus.FAILED: 2}[order.group.status]
    return {
        "shipping_status": shipping,
        "deal_status": deal,
        "group_status": group,
        "refund_status": platform_refund_status(order),
        "risk_status": int(order.risk_hold),
    }


# The merchant reads the platform fields as words; the codes stay in the API (`platform_status`).
PLATFORM_STATUS_LABELS: dict[str, tuple[str, dict[int, str]]] = {
    "shipping_status": (_("发货"), {1: _("待发货"), 2: _("已发货"), 3: _("已签收")}),
    "deal_status": (_("成交"), {0: _("未成交"), 1: _("已成交"), 2: _("已取消")}),
    "group_status": (_("成团"), {0: _("拼团中"), 1: _("已成团"), 2: _("拼团失败")}),
    "refund_status": (_("退款"), {1: _("无售后或已关闭"), 2: _("售后中"), 3: _("退款中"), 4: _("已退款")}),
    "risk_status": (_("风控"), {0: _("正常"), 1: _("审核中")}),
}


def platform_status_display(order: Order) -> list[tuple[str, str]]:
    """(field label, value label) of each platform status field, for merchant pages."""
    codes = platform_status(order)
    return [(str(label), str(values[codes[key]])) for key, (label, values) in PLATFORM_STATUS_LABELS.items()]
