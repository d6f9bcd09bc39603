"""After-sales' contributions to the dashboard (portal.dashboard): after-sales and review to-do cards,
the after-sales rate and DSR charts, and the staff overview's open interventions."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dashboard
from portal.charts import Chart, hbars, lines
from portal.dashboard import TodoItem, admin_link, link, period_days
from portal.templatetags.portal_tags import remaining
from shop.selectors.orders import paid_between

from .models import AftersalesReason, AftersalesRequest, AftersalesStatus, DsrSnapshot
from .selectors import awaiting_answer, unanswered_reviews_count


@dashboard.todo_source(order=30)
def aftersales_todo(store, now: datetime) -> list[TodoItem]:
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


@dashboard.chart("aftersales", order=40)
def aftersales_rate(store, days: int, now: datetime | None = None) -> Chart:
    """After-sales requests per paid order in the period, and their reasons (two queries)."""
    _dates, start, end = period_days(days, now or timezone.now())
    paid = paid_between(store, start, end).count()
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


@dashboard.chart("dsr", order=50)
def dsr_trend(store, days: int, now: datetime | None = None) -> Chart:
    """The store's daily DSR snapshots (description, logistics, service) over the period (one query)."""
    dates, _start, _end = period_days(days, now or timezone.now())
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


@dashboard.staff_source(order=20)
def interventions_overview(now: datetime) -> list[TodoItem]:
    """Escalated requests waiting for support staff."""
    interventions = AftersalesRequest.objects.filter(status=AftersalesStatus.IN_INTERVENTION).count()
    return [
        TodoItem(
            "interventions_open",
            _("待处理的平台介入"),
            interventions,
            admin_link("aftersales_aftersalesrequest", "status__exact=in_intervention"),
            "warn" if interventions else "",
        )
    ]
