"""Shipping's contributions to the dashboard (portal.dashboard): booking to-do cards, the courier
performance chart, and the staff overview's courier promise breaches."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dashboard
from portal.charts import Chart, hbars
from portal.dashboard import ChecklistStep, TodoItem, admin_link, link, period_days
from portal.i18n import stored_text

from .models import SenderAddress, Shipment, ShipmentStatus
from .selectors import decided_q, unanswered_message_count


@dashboard.todo_source(order=20)
def shipping_todo(store, now: datetime) -> list[TodoItem]:
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
    lost = Shipment.objects.filter(store=store, lost=True, status=ShipmentStatus.EXCEPTION).count()
    centre = "shipping:booking_centre"
    return [
        TodoItem("bookings_awaiting_accept", _("待快递接单"), counts["accept"], link(centre, "tab=pending")),
        TodoItem("bookings_awaiting_pickup", _("待快递揽收"), counts["pickup"], link(centre, "tab=pickup")),
        TodoItem(
            "bookings_overdue",
            _("接单或揽收超时"),
            counts["late"],
            link("shipping:shipment_list", "overdue=1"),
            "bad" if counts["late"] else "",
        ),
        TodoItem(
            "courier_messages_unanswered",
            _("快递客服未回复"),
            messages,
            link("shipping:shipment_list"),
            "warn" if messages else "",
        ),
        TodoItem(
            "parcels_lost",
            _("包裹遗失"),
            lost,
            link("shipping:shipment_list", "status=exception"),
            "bad" if lost else "",
        ),
    ]


@dashboard.chart("couriers", order=30)
def courier_performance(store, days: int, now: datetime | None = None) -> Chart:
    """Per courier, of the shipments booked in the period: accepted within the confirmation promise
    (2 h), picked up within the pickup promise (24 h), average pickup-to-delivery time (one query).

    Only decided parcels count for each rate: one still inside its 2-hour (24-hour) window is not a failure.
    """
    now = now or timezone.now()
    _dates, start, end = period_days(days, now)
    decided = decided_q(now)
    transit = ExpressionWrapper(F("delivered_at") - F("picked_up_at"), output_field=DurationField())
    rows = list(
        Shipment.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
        .values("courier__name")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=decided["confirm_on_time"]),
            confirm_decided=Count("id", filter=decided["confirm_decided"]),
            picked=Count("id", filter=decided["pickup_on_time"]),
            pickup_decided=Count("id", filter=decided["pickup_decided"]),
            delivery=Avg(transit, filter=Q(delivered_at__isnull=False, picked_up_at__isnull=False)),
        )
        .order_by("courier__name")
    )
    table = [
        [
            stored_text(r["courier__name"]),
            r["total"],
            f"{r['accepted'] * 100 / r['confirm_decided']:.1f}" if r["confirm_decided"] else "",
            f"{r['picked'] * 100 / r['pickup_decided']:.1f}" if r["pickup_decided"] else "",
            f"{r['delivery'].total_seconds() / 3600:.1f}" if r["delivery"] else "",
        ]
        for r in rows
    ]
    title = _("快递履约（近 %(n)d 天下单）") % {"n": days}
    labels, values = [], []
    for row in table:
        labels += [f"{row[0]} {_('2小时接单')}", f"{row[0]} {_('24小时揽收')}"]
        values += [float(row[2] or 0), float(row[3] or 0)]
    return Chart(
        key="couriers",
        title=title,
        columns=[_("快递公司"), _("包裹数"), _("2 小时内接单 %"), _("24 小时内揽收 %"), _("平均运输时长（小时）")],
        rows=table,
        empty=not table,
        svg=hbars(labels, values, title=title, suffix="%"),
    )


@dashboard.staff_source(order=40)
def courier_breaches_overview(now: datetime) -> list[TodoItem]:
    """Parcels across the platform whose courier broke the confirmation or pickup promise."""
    waiting = [ShipmentStatus.REQUESTED, ShipmentStatus.CONFIRMED]
    breaches = Shipment.objects.filter(status__in=waiting).aggregate(
        confirm=Count("id", filter=Q(status=ShipmentStatus.REQUESTED, confirm_overdue=True)),
        pickup=Count("id", filter=Q(pickup_overdue=True)),
    )
    lost = Shipment.objects.filter(lost=True, status=ShipmentStatus.EXCEPTION).count()
    return [
        TodoItem(
            "courier_confirm_breaches",
            _("快递接单超时（全平台）"),
            breaches["confirm"],
            admin_link("shipping_shipment", "status__exact=requested&confirm_overdue__exact=1"),
            "bad" if breaches["confirm"] else "",
        ),
        TodoItem(
            "courier_pickup_breaches",
            _("快递揽收超时（全平台）"),
            breaches["pickup"],
            admin_link("shipping_shipment", "pickup_overdue__exact=1&status__in=requested,confirmed"),
            "bad" if breaches["pickup"] else "",
        ),
        TodoItem(
            "parcels_lost_platform",
            _("包裹遗失（全平台）"),
            lost,
            admin_link("shipping_shipment", "lost__exact=1&status__exact=exception"),
            "bad" if lost else "",
        ),
    ]


@dashboard.checklist_source(order=20)
def shipping_getting_started(store) -> list[ChecklistStep]:
    """A new store's first shipping step: a sender address, needed to book a courier."""
    has_address = SenderAddress.objects.filter(store=store).exists()
    return [ChecklistStep("sender_address", _("添加发货地址"), has_address, link("shipping:address_list"))]
