"""What shipping tells about an order (portal.hooks): its parcels on the order's page and API resource,
and whether a booked parcel is still live (no self-ship or plain cancel beside it)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Prefetch, Q
from django.urls import reverse

from portal.hooks import LiveParcel, StoryEntry

from .models import LIVE, Shipment, ShipmentStatus, TrackingEvent

# A booked parcel still in play: neither cancelled, failed, returned nor delivered.
LIVE_PARCEL_STATUSES = [*LIVE, ShipmentStatus.EXCEPTION]
PICKED_UP = {
    ShipmentStatus.PICKED_UP,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.EXCEPTION,
}


def order_parcels(orders: Sequence) -> dict[int, list[StoryEntry]]:
    """Each order's parcels, newest first: courier, waybill, status, latest scan, link (two queries)."""
    shipments = (
        Shipment.objects.filter(order_id__in=[o.pk for o in orders])
        .select_related("courier", "booking", "order")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")))
        .annotate(n_members=Count("parcel_members"))
        .order_by("-created_at", "-id")
    )
    shipments = list(shipments)
    shared = _parcel_companions([s for s in shipments if s.parcel_lead_id or s.n_members])
    story: dict[int, list[StoryEntry]] = {}
    for s in shipments:
        events = list(s.events.all())
        latest = events[0] if events else None
        story.setdefault(s.order_id, []).append(
            StoryEntry(
                kind="parcels",
                ref=str(s.pk),
                status=s.status,
                status_label=str(s.get_status_display()),
                url=reverse("shipping:shipment_detail", args=[s.pk]),
                live=s.status in LIVE_PARCEL_STATUSES,
                at=s.created_at,
                details={
                    "shipment_id": s.pk,
                    "booking_no": s.booking.booking_no,
                    "courier_code": s.courier.code,
                    "courier_name": s.courier.name,
                    "waybill_no": s.waybill_no,
                    "booking_status": s.booking_status,
                    # 合并发货: the other orders travelling in the same parcel (one waybill)
                    "shared_with": [sn for sn in shared.get(s.parcel_lead_id or s.pk, []) if sn != s.order.order_sn],
                    "latest_scan": (
                        {
                            "action": latest.action,
                            "action_label": str(latest.get_action_display()),
                            "description": latest.description,
                            "occurred_at": latest.occurred_at.isoformat(),
                        }
                        if latest
                        else None
                    ),
                },
            )
        )
    return story


def _parcel_companions(shipments: list) -> dict[int, list[str]]:
    """For merged parcels: lead shipment id → the order numbers travelling in it (one query, only when merged)."""
    leads = {s.parcel_lead_id or s.pk for s in shipments}
    if not leads:
        return {}
    rows = (
        Shipment.objects.filter(Q(pk__in=leads) | Q(parcel_lead_id__in=leads))
        .order_by("id")
        .values_list("pk", "parcel_lead_id", "order__order_sn")
    )
    found: dict[int, list[str]] = {}
    for pk, lead, sn in rows:
        found.setdefault(lead or pk, []).append(sn)
    return found


def orders_of_waybill(waybill_no: str) -> list[int]:
    """The orders whose live booked parcel has this waybill (a self-ship waybill must not be one of them)."""
    return list(
        Shipment.objects.filter(waybill_no=waybill_no, status__in=LIVE_PARCEL_STATUSES).values_list(
            "order_id", flat=True
        )
    )


def live_booked_parcels(order_ids: Sequence[int]) -> dict[int, LiveParcel]:
    """Of these orders, those with a live booked parcel (one query; one live parcel per order at most)."""
    rows = (
        Shipment.objects.filter(order_id__in=list(order_ids), status__in=LIVE_PARCEL_STATUSES)
        .select_related("courier", "booking")
        .order_by("-created_at", "-id")
    )
    found: dict[int, LiveParcel] = {}
    for s in rows:
        found.setdefault(
            s.order_id,
            LiveParcel(
                shipment_id=s.pk,
                booking_no=s.booking.booking_no,
                courier_code=s.courier.code,
                waybill_no=s.waybill_no,
                status=s.status,
                picked_up=s.status in PICKED_UP,
            ),
        )
    return found
