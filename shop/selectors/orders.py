"""Reads of orders, always scoped to a store, with a constant number of queries per page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales import selectors as aftersales_selectors
from portal.keyset import PAGE_SIZES, KeysetPage, keyset_page
from shop.models import Order, OrderItem, Store
from shop.models.orders import BuyMode, GroupStatus, OrderStatus

AFTERSALES = "aftersales"
# Tabs of the order list, in order: (key, label). Every status, plus the derived after-sales flag.
TABS: list[tuple[str, str]] = [(s.value, s.label) for s in OrderStatus] + [(AFTERSALES, _("售后中"))]


def in_aftersales_q() -> Q:
    """Orders with an open after-sales request: a derived flag, not a status (the 售后中 tab and filter)."""
    return aftersales_selectors.in_aftersales_q()


def tab_q(tab: str) -> Q:
    if tab == AFTERSALES:
        return in_aftersales_q()
    return Q(status=tab)


def order_tab_counts(*, store: Store) -> dict[str, int]:
    """Live count per tab: one index-only `GROUP BY status` plus one count of the open after-sales."""
    counts = {key: 0 for key, _label in TABS}
    rows = Order.objects.filter(store=store).order_by().values_list("status").annotate(n=Count("*"))
    counts.update({status: n for status, n in rows if status in counts})
    counts[AFTERSALES] = aftersales_selectors.open_request_order_ids(store).count()
    return counts


@dataclass(frozen=True)
class OrderFilters:
    tab: str = ""
    date_from: date | None = None
    date_to: date | None = None
    product_id: int | None = None
    province: str = ""
    overdue: bool = False
    q: str = ""
    updated_since: datetime | None = None

    def narrows_tab(self) -> bool:
        """True when a filter beyond the tab applies, so the tab's count is not the list's total."""
        return bool(self.date_from or self.date_to or self.product_id or self.province or self.overdue or self.q)


PHONE_RE = re.compile(r"^1\d{10}$")
ORDER_SN_RE = re.compile(r"^[A-Z]{0,2}\d[\d-]*$")


def search_q(term: str) -> Q:
    """What the term looks like decides the one indexed column it searches: an 11-digit mobile number the
    recipient's phone (exact), digits (and the dash) an order-number prefix, anything else the recipient's
    name (prefix). One OR over the three would defeat every index."""
    term = term.strip()
    if PHONE_RE.match(term):
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
        .annotate(in_aftersales=aftersales_selectors.in_aftersales())
    )


def _filtered(store: Store, f: OrderFilters) -> QuerySet[Order]:
    qs = Order.objects.filter(store=store)
    if f.tab == AFTERSALES:
        qs = qs.filter(pk__in=aftersales_selectors.open_request_order_ids(store))
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
) -> OrderPage:
    """One keyset page of the store's filtered orders and the list's total: the tab's count when nothing
    else narrows the list (no second COUNT), else a count capped at COUNT_CAP."""
    f = filters or OrderFilters()
    # The list shows each item's own title, spec and quantity: no SKU or product rows needed.
    items = OrderItem.objects.only("order_id", "product_title", "sku_spec", "quantity")
    qs = order_list(store=store, filters=f).prefetch_related(None).prefetch_related(Prefetch("items", queryset=items))
    page = keyset_page(qs, size=size, after=after, before=before)
    if counts is not None and not f.narrows_tab():
        total = counts[f.tab] if f.tab else sum(counts[s.value] for s in OrderStatus)
        return OrderPage(page=page, total=total, total_capped=False)
    total = _filtered(store, f).order_by().values("pk")[: COUNT_CAP + 1].count()
    return OrderPage(page=page, total=min(total, COUNT_CAP), total_capped=total > COUNT_CAP)


def order_get(*, store: Store, order_sn: str) -> Order:
    """One order of the store (404 for another store's)."""
    return get_object_or_404(order_list(store=store).prefetch_related("compensations__coupon"), order_sn=order_sn)


# --- the platform's separate status fields (DOMAIN.md), derived from our one state machine ---------


def platform_refund_status(order: Order) -> int:
    """1 none or closed, 2 in after-sales, 3 refunding, 4 refunded: an order cancelled after payment was
    refunded; one listed by `order_list` knows whether an after-sales request is open."""
    if order.status == OrderStatus.CANCELLED and order.paid_at:
        return 4
    if getattr(order, "in_aftersales", False):
        return 2
    return 1


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
