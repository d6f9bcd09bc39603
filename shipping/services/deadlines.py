"""The shipping deadlines, run by shipping.sweeps.

The SLA watch (courier confirmation 2 h, pickup 24 h) and bookings not yet sent to their courier.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit

from ..models import (
    Booking,
    Shipment,
    ShipmentStatus,
)
from .booking import booking_dispatch

logger = logging.getLogger(__name__)
S = ShipmentStatus


def bookings_dispatch_pending(*, older_than_seconds: int = 60) -> int:
    """Retry bookings whose dispatch did not happen (courier unreachable, worker lost); idempotent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Booking.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff)  # index booking_undispatched
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        try:
            booking_dispatch(booking_id=pk)
        except Exception:  # noqa: BLE001 - retried at the next sweep
            logger.exception("booking %s dispatch failed", pk)
    return len(ids)


def shipments_mark_overdue(*, now: datetime | None = None) -> int:
    """Mark broken promises (confirmation > 2 h, pickup > 24 h) and alert once per booking. Idempotent."""
    now = now or timezone.now()
    marked = 0
    kinds = [
        ("confirm_overdue", Q(status=S.REQUESTED, confirm_by__lt=now), _("快递超时未接单")),
        ("pickup_overdue", Q(status__in=[S.REQUESTED, S.CONFIRMED], pickup_by__lt=now), _("快递超时未揽收")),
    ]
    for flag, condition, title in kinds:
        with transaction.atomic():
            rows = list(
                Shipment.objects.select_for_update(of=("self",))
                .filter(condition, **{flag: False})
                .select_related("booking", "courier")
                .order_by("booking_id", "id")
            )
            if not rows:
                continue
            Shipment.objects.filter(pk__in=[r.pk for r in rows]).update(**{flag: True})
            marked += len(rows)
            by_booking: dict[int, list[Shipment]] = {}
            for row in rows:
                by_booking.setdefault(row.booking_id, []).append(row)
            for group in by_booking.values():
                booking = group[0].booking
                emit(
                    type="shipment.sla_breached",
                    store_id=booking.store_id,
                    title=f"{title}：{booking.courier.name} {booking.booking_no}",
                    body=_("%(n)d 个包裹超时，可一键改派其他快递或向平台投诉。") % {"n": len(group)},
                    url=reverse("shipping:booking_detail", args=[booking.booking_no]),
                    data={"booking_no": booking.booking_no, "kind": flag, "shipments": [s.pk for s in group]},
                )
    return marked
