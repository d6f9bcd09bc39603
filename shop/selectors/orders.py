"""Reads of orders, always scoped to a store, with a constant number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales import selectors as aftersales_selectors
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
    """Live count per tab, in one query."""
    aggregates = {key: Count("pk", filter=tab_q(key)) for key, _label in TABS}
    return Order.objects.filter(store=store).aggregate(**aggregates)


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


def overdue_q(now: datetime | None = None) -> Q:
    """To-ship orders past their ship-by time, from the clock (right even between sweeps)."""
    return Q(status=OrderStatus.PAID, ship_by__lt=now or timezone.now())


def order_list(*, store: Store, filters: OrderFilters | None = None) -> QuerySet[Order]:
    """The store's orders, newest first, with items and group loaded (no N+1)."""
    f = filters or OrderFilters()
    qs = Order.objects.filter(store=store)
    if f.tab:
        qs = qs.filter(tab_q(f.tab))
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.product_id:
        qs = qs.filter(pk__in=OrderItem.objects.filter(sku__product_id=f.product_id).values("order_id"))
    if f.province:
        qs = qs.filter(province=f.province)
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.q:
        term = f.q.strip()
        qs = qs.filter(Q(order_sn__startswith=term) | Q(recipient_phone=term) | Q(recipient_name__icontains=term))
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return (
        qs.select_related("group")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.select_related("sku__product")))
        .annotate(in_aftersales=aftersales_selectors.in_aftersales())
    )


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
