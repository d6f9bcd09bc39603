"""Selectors of the merchant dashboard (工作台): the to-do panel and the charts.

Every number is an aggregate computed in the database (filtered Count/Sum, TruncDate), so the
dashboard costs a small, constant number of queries whatever the store's order volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import AftersalesReason, AftersalesRequest, AftersalesStatus, DsrSnapshot
from aftersales.selectors import awaiting_answer, unanswered_reviews_count
from shipping.models import Shipment, ShipmentStatus
from shipping.selectors import unanswered_message_count
from shop.models import Order, ProposalStatus, Store, StoreEvaluation, SuspensionProposal
from shop.models.evaluation import Metric
from shop.models.orders import OrderStatus
from shop.selectors.stores import deposit_summary

from .charts import Chart, bars_and_line, hbars, lines
from .templatetags.portal_tags import remaining

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


def link(url_name: str, query: str = "") -> str:
    """The URL of the page where the merchant (or staff) acts on a count, with its list filter."""
    url = reverse(url_name)
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


def _shipping_todo(store: Store, now: datetime) -> list[TodoItem]:
    """Bookings awaiting the courier's acceptance or pickup, those past a promise, unanswered messages."""
    waiting = [ShipmentStatus.REQUESTED, ShipmentStatus.CONFIRMED]
    late = (
        Q(confirm_overdue=True)
        | Q(pickup_overdue=True)
        | Q(status=ShipmentStatus.REQUESTED, confirm_by__lt=now)
        | Q(pickup_by__lt=now)
    )
    counts = Shipment.objects.filter(store=store, status__in=waiting).aggregate(
        accept=Count("id", filter=Q(status=ShipmentStatus.REQUESTED)),
        pickup=Count("id", filter=Q(status=ShipmentStatus.CONFIRMED)),
        late=Count("id", filter=late),
    )
    messages = unanswered_message_count(store)
    centre = "shipping:booking_centre"
    return [
        TodoItem("bookings_awaiting_accept", _("待快递接单"), counts["accept"], link(centre, "tab=pending")),
        TodoItem("bookings_awaiting_pickup", _("待快递揽收"), counts["pickup"], link(centre, "tab=pickup")),
        TodoItem(
            "bookings_overdue",
            _("接单或揽收超时"),
            counts["late"],
            link(centre, "tab=pending"),
            "bad" if counts["late"] else "",
        ),
        TodoItem(
            "courier_messages_unanswered",
            _("快递客服未回复"),
            messages,
            link("shipping:shipment_list"),
            "warn" if messages else "",
        ),
    ]


def _aftersales_todo(store: Store, now: datetime) -> list[TodoItem]:
    """After-sales requests awaiting the merchant's answer (nearest deadline), unanswered reviews."""
    waiting, nearest = awaiting_answer(store)
    reviews = unanswered_reviews_count(store)
    detail = ""
    if nearest is not None:
        text, _css = remaining(nearest, now)
        detail = _("最近截止：%(t)s") % {"t": text}
    return [
        TodoItem(
            "aftersales_awaiting_answer",
            _("待处理售后"),
            waiting,
            link("aftersales:request_list"),
            "bad" if nearest is not None and nearest <= now else ("warn" if waiting else ""),
            detail,
        ),
        TodoItem("reviews_unanswered", _("待回复评价"), reviews, link("aftersales:review_list", "unanswered=1")),
    ]


def _evaluation_todo(store: Store, now: datetime) -> list[TodoItem]:
    """The rules the store failed at its latest evaluation."""
    latest = StoreEvaluation.objects.filter(store=store).order_by("-day").first()
    failing = latest.failing if latest is not None else []
    return [
        TodoItem(
            "evaluation_warnings",
            _("店铺评估预警"),
            len(failing),
            link("shop:evaluation"),
            "bad" if failing else "",
            "、".join(str(dict(Metric.choices).get(f, f)) for f in failing),
        )
    ]


TODO_SOURCES = [_orders_todo, _shipping_todo, _aftersales_todo, _deposit_todo, _evaluation_todo]


def todo(store: Store, now: datetime | None = None) -> list[TodoItem]:
    """Every to-do count of the store, one aggregate query per area."""
    now = now or timezone.now()
    return [item for source in TODO_SOURCES for item in source(store, now)]


# Charts ------------------------------------------------------------------------------------------


def _days(days: int, now: datetime) -> tuple[list[date], datetime, datetime]:
    """The period's local dates and its [start, end) bounds as aware datetimes."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    return [first + timedelta(days=i) for i in range(days)], start, start + timedelta(days=days)


def _paid_between(store: Store, start: datetime, end: datetime):
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


def orders_per_day(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Paid orders and sales (fen) per day of payment, over the last `days` days (one query)."""
    dates, start, end = _days(days, now or timezone.now())
    per_day = {
        row["day"]: row
        for row in _paid_between(store, start, end)
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
    _dates, start, end = _days(days, now or timezone.now())
    counts = Order.objects.filter(store=store, created_at__gte=start, created_at__lt=end).aggregate(
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


def courier_performance(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Per courier, of the shipments booked in the period: accepted within the confirmation promise
    (2 h), picked up within the pickup promise (24 h), average pickup-to-delivery time (one query)."""
    _dates, start, end = _days(days, now or timezone.now())
    transit = ExpressionWrapper(F("delivered_at") - F("picked_up_at"), output_field=DurationField())
    rows = list(
        Shipment.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
        .values("courier__name")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(confirmed_at__isnull=False, confirmed_at__lte=F("confirm_by"))),
            picked=Count("id", filter=Q(picked_up_at__isnull=False, picked_up_at__lte=F("pickup_by"))),
            delivery=Avg(transit, filter=Q(delivered_at__isnull=False, picked_up_at__isnull=False)),
        )
        .order_by("courier__name")
    )
    table = [
        [
            r["courier__name"],
            r["total"],
            f"{r['accepted'] * 100 / r['total']:.1f}",
            f"{r['picked'] * 100 / r['total']:.1f}",
            f"{r['delivery'].total_seconds() / 3600:.1f}" if r["delivery"] else "",
        ]
        for r in rows
    ]
    title = _("快递履约（近 %(n)d 天下单）") % {"n": days}
    labels, values = [], []
    for row in table:
        labels += [f"{row[0]} {_('2小时接单')}", f"{row[0]} {_('24小时揽收')}"]
        values += [float(row[2]), float(row[3])]
    return Chart(
        key="couriers",
        title=title,
        columns=[_("快递公司"), _("包裹数"), _("2 小时内接单 %"), _("24 小时内揽收 %"), _("平均运输时长（小时）")],
        rows=table,
        empty=not table,
        svg=hbars(labels, values, title=title, suffix="%"),
    )


def aftersales_rate(store: Store, days: int, now: datetime | None = None) -> Chart:
    """After-sales requests per paid order in the period, and their reasons (two queries)."""
    _dates, start, end = _days(days, now or timezone.now())
    paid = _paid_between(store, start, end).count()
    reasons = list(
        AftersalesRequest.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    total = sum(r["n"] for r in reasons)
    labels = dict(AftersalesReason.choices)
    title = _("售后率与原因（近 %(n)d 天）") % {"n": days}
    rate = total * 100 / paid if paid else 0
    return Chart(
        key="aftersales",
        title=title,
        columns=[_("原因"), _("售后数"), _("占售后 %")],
        rows=[[str(labels.get(r["reason"], r["reason"])), r["n"], f"{r['n'] * 100 / total:.1f}"] for r in reasons],
        empty=not reasons,
        svg=hbars([str(labels.get(r["reason"], r["reason"])) for r in reasons], [r["n"] for r in reasons], title=title),
        note=_("售后率 %(rate).1f%%（%(n)d 个售后 / %(paid)d 个支付订单）") % {"rate": rate, "n": total, "paid": paid},
    )


def dsr_trend(store: Store, days: int, now: datetime | None = None) -> Chart:
    """The store's daily DSR snapshots (description, logistics, service) over the period (one query)."""
    dates, _start, _end = _days(days, now or timezone.now())
    snapshots = {
        s["day"]: s
        for s in DsrSnapshot.objects.filter(store=store, day__gte=dates[0], day__lte=dates[-1]).values(
            "day", "description", "logistics", "service"
        )
    }
    dims = [("description", _("描述相符")), ("logistics", _("物流服务")), ("service", _("服务态度"))]
    rows = [[d.isoformat(), *[snapshots.get(d, {}).get(k) or "" for k, _l in dims]] for d in dates]
    title = _("店铺评分 DSR 走势（近 %(n)d 天）") % {"n": days}
    series = [
        (
            str(label),
            [float(snapshots[d][k]) if d in snapshots and snapshots[d][k] is not None else None for d in dates],
        )
        for k, label in dims
    ]
    return Chart(
        key="dsr",
        title=title,
        columns=[_("日期"), *[label for _k, label in dims]],
        rows=rows,
        empty=not snapshots,
        svg=lines([d.strftime("%m-%d") for d in dates], series, title=title, top=5),
    )


CHARTS = {
    "orders": orders_per_day,
    "funnel": order_funnel,
    "couriers": courier_performance,
    "aftersales": aftersales_rate,
    "dsr": dsr_trend,
}


def charts(store: Store, days: int, now: datetime | None = None) -> list[Chart]:
    return [source(store, days, now) for source in CHARTS.values()]


# Staff overview (admin index) --------------------------------------------------------------------


def _admin_link(model: str, query: str = "") -> str:
    return link(f"admin:{model}_changelist", query)


def staff_overview(now: datetime | None = None) -> list[TodoItem]:
    """What platform staff should look at first, across every store (one query per area)."""
    stores = Store.objects.aggregate(submitted=Count("id", filter=Q(status="submitted")))
    interventions = AftersalesRequest.objects.filter(status=AftersalesStatus.IN_INTERVENTION).count()
    proposals = SuspensionProposal.objects.filter(status=ProposalStatus.PROPOSED).count()
    waiting = [ShipmentStatus.REQUESTED, ShipmentStatus.CONFIRMED]
    breaches = Shipment.objects.filter(status__in=waiting).aggregate(
        confirm=Count("id", filter=Q(status=ShipmentStatus.REQUESTED, confirm_overdue=True)),
        pickup=Count("id", filter=Q(pickup_overdue=True)),
    )
    return [
        TodoItem(
            "applications_awaiting_review",
            _("待审核开店申请"),
            stores["submitted"],
            _admin_link("shop_storeapplication"),  # the review queue: reviewers open it, support does not
            "warn" if stores["submitted"] else "",
        ),
        TodoItem(
            "interventions_open",
            _("待处理的平台介入"),
            interventions,
            _admin_link("aftersales_aftersalesrequest", "status__exact=in_intervention"),
            "warn" if interventions else "",
        ),
        TodoItem(
            "stores_proposed_for_suspension",
            _("建议暂停的店铺"),
            proposals,
            _admin_link("shop_suspensionproposal", "status__exact=proposed"),
            "bad" if proposals else "",
        ),
        TodoItem(
            "courier_confirm_breaches",
            _("快递接单超时（全平台）"),
            breaches["confirm"],
            _admin_link("shipping_shipment", "status__exact=requested&confirm_overdue__exact=1"),
            "bad" if breaches["confirm"] else "",
        ),
        TodoItem(
            "courier_pickup_breaches",
            _("快递揽收超时（全平台）"),
            breaches["pickup"],
            _admin_link("shipping_shipment", "pickup_overdue__exact=1&status__in=requested,confirmed"),
            "bad" if breaches["pickup"] else "",
        ),
    ]
