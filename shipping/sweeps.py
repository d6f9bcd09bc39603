"""Periodic sweeps of the shipping app (registered with portal.sweeps; set-based and idempotent)."""

from __future__ import annotations

from portal.sweeps import sweep

from . import services
from .carriers import sandbox


@sweep("shipping.sla_watch")
def sla_watch() -> int:
    """Courier confirmation later than 2 h or pickup later than 24 h: mark overdue and alert."""
    return services.shipments_mark_overdue()


@sweep("shipping.sandbox_tick")
def sandbox_tick() -> int:
    return sandbox.tick()


@sweep("shipping.poll_tracking")
def poll_tracking() -> int:
    return services.shipments_poll()
