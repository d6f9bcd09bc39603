"""Periodic sweeps of the shipping app (registered with portal.sweeps; set-based and idempotent)."""

from __future__ import annotations

from portal.sweeps import sweep

from .carriers import sandbox
from .services import courier_reports, deadlines, kuaidi100


@sweep("shipping.sla_watch")
def sla_watch() -> int:
    """Courier confirmation later than 2 h or pickup later than 24 h: mark overdue and alert."""
    return deadlines.shipments_mark_overdue()


@sweep("shipping.sandbox_tick")
def sandbox_tick() -> int:
    return sandbox.tick()


@sweep("shipping.poll_tracking")
def poll_tracking() -> int:
    return courier_reports.shipments_poll()


@sweep("shipping.dispatch_pending")
def dispatch_pending() -> int:
    """Bookings not yet sent to their courier (e.g. it was unreachable) are sent again."""
    return deadlines.bookings_dispatch_pending()


@sweep("shipping.kuaidi100_reconcile")
def kuaidi100_reconcile() -> int:
    """Parcels booked through a kuaidi100 account and silent for a while: read `detail` and apply it."""
    return kuaidi100.shipments_reconcile()
