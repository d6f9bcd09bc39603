"""Selectors of the merchant dashboard (工作台): the to-do panel and the charts.

Every number is an aggregate computed in the database (filtered Count/Sum, TruncDate), so the
dashboard costs a small, constant number of queries whatever the store's order volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.models import Order, Store
from shop.models.orders import OrderStatus
from shop.selectors.stores import deposit_summary

from .charts import Chart, bars_and_line, hbars

PERIODS = (7, 30, 90)


@dataclass(frozen=True)
class TodoItem:
    key: str
    label: str
    count: int
    url: str = ""
    level: str = ""  # "", "warn" (near a deadline) or "bad" (overdue, shortfall)
    detail: str = ""
    money: bool = False  # `count` is an amount in fen


def link(url_name: str, query: str = "", args: list | None = None) -> str:
    """The URL of another area's page, or "" while that page does not exist."""
    try:
        url = reverse(url_name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


# To-do panel -------------------------------------------------------------------------------------


def _orders_todo(store: Store, now: datetime) -> list[TodoItem]:
    near = settings.PORTAL_TIME_RULES["ship_by_near"]
    counts = Order.objects.filter(store=store, status=OrderStatus.PAID).aggregate(
        to_ship=Count("id"),
        near=Count("id", filter=Q(ship_by__gte=now, ship_by__lt=now + near)),
        late=Count("id", filter=Q(ship_by__lt=now)),
    )
    url = link("shop:order_list", f"tab={OrderStatus.PAID}")
    late_url = link("shop:order_list", f"tab={OrderStatus.PAID}&overdue=on")
    return [
        TodoItem("orders_to_ship", _("待发货订单"), counts["to_ship"], url),
        TodoItem("orders_near_ship_by", _("即将超过发货时限"), counts["near"], url, "warn" if counts["near"] else ""),
        TodoItem("orders_past_ship_by", _("已超过发货时限"), counts["late"], late_url, "bad" if counts["late"] else ""),
    ]


def _deposit_todo(store: Store, now: datetime) -> list[TodoItem]:
    """The deposit's shortfall against the required amount (fen; 0 when covered)."""
    summary = deposit_summary(store)
    return [
        TodoItem(
            "deposit_shortfall",
            _("保证金待补缴"),
            summary.shortfall,
            link("shop:deposit_ledger"),
            "bad" if summary.shortfall else "",
            money=True,
        )
    ]


TODO_SOURCES = [_orders_todo, _deposit_todo]


def todo(store: Store, now: datetime | None = None) -> list[TodoItem]:
    """Every to-do count of the store, one aggregate query per area."""
    now = now or timezone.now()
    return [item for source in TODO_SOURCES for item in source(store, now)]


# Charts ------------------------------------------------------------------------------------------


def _days(days: int, now: datetime) -> tuple[list[date], datetime]:
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    return [first + timedelta(days=i) for i in range(days)], start


def orders_per_day(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Paid orders and sales (fen) per day of payment, over the last `days` days (one query)."""
    dates, start = _days(days, now or timezone.now())
    per_day = {
        row["day"]: row
        # an order is paid within the unpaid auto-cancel window of its creation: bounding created_at
        # lets the database use its created_at index instead of scanning the store's every order
        for row in Order.objects.filter(
            store=store, paid_at__gte=start, created_at__gte=start - settings.PORTAL_TIME_RULES["unpaid_auto_cancel"]
        )
        .annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(orders=Count("id"), sales=Sum("paid_amount"))
        .order_by()
    }
    counts = [per_day.get(d, {}).get("orders", 0) for d in dates]
    sales = [per_day.get(d, {}).get("sales") or 0 for d in dates]
    title = _("每日订单与销售额（近 %(n)d 天）") % {"n": days}
    return Chart(
        key="orders",
        title=title,
        columns=[_("日期"), _("支付订单数"), _("销售额（元）")],
        rows=[[d.isoformat(), c, f"{s / 100:.2f}"] for d, c, s in zip(dates, counts, sales, strict=True)],
        svg=bars_and_line([d.strftime("%m-%d") for d in dates], counts, [s / 100 for s in sales], title=title),
        note=_("柱：订单数；线：销售额"),
    )


def order_funnel(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Of the orders placed in the period: how many were paid, shipped, delivered, completed (one query)."""
    _dates, start = _days(days, now or timezone.now())
    counts = Order.objects.filter(store=store, created_at__gte=start).aggregate(
        placed=Count("id"),
        paid=Count("id", filter=Q(paid_at__isnull=False)),
        shipped=Count("id", filter=Q(shipped_at__isnull=False)),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        completed=Count("id", filter=Q(status=OrderStatus.COMPLETED)),
        cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
    )
    steps = [
        (_("下单"), counts["placed"]),
        (_("支付"), counts["paid"]),
        (_("发货"), counts["shipped"]),
        (_("签收"), counts["delivered"]),
        (_("完成"), counts["completed"]),
        (_("取消"), counts["cancelled"]),
    ]
    title = _("订单漏斗（近 %(n)d 天下单）") % {"n": days}
    placed = counts["placed"] or 1
    return Chart(
        key="funnel",
        title=title,
        columns=[_("环节"), _("订单数"), _("占下单 %")],
        rows=[[label, n, f"{n * 100 / placed:.1f}"] for label, n in steps],
        svg=hbars([label for label, _n in steps], [n for _label, n in steps], title=title),
    )


CHARTS = {"orders": orders_per_day, "funnel": order_funnel}


def charts(store: Store, days: int, now: datetime | None = None) -> list[Chart]:
    return [source(store, days, now) for source in CHARTS.values()]


# Staff overview (admin index) --------------------------------------------------------------------


def _admin_link(model: str, query: str = "") -> str:
    return link(f"admin:{model}_changelist", query)


def staff_overview(now: datetime | None = None) -> list[TodoItem]:
    """What platform staff should look at first, across every store (one query per area)."""
    stores = Store.objects.aggregate(submitted=Count("id", filter=Q(status="submitted")))
    return [
        TodoItem(
            "applications_awaiting_review",
            _("待审核开店申请"),
            stores["submitted"],
            _admin_link("shop_store", "status__exact=submitted"),
            "warn" if stores["submitted"] else "",
        ),
    ]
