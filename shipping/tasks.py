"""Thin Celery wrappers: dispatch a booking to its courier, the sandbox courier's clock, tracking polls."""

from __future__ import annotations

from celery import shared_task

from . import services
from .carriers import sandbox


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def booking_dispatch_task(booking_id: int) -> None:
    services.booking_dispatch(booking_id=booking_id)


@shared_task
def sandbox_tick() -> int:
    """Advance the sandbox courier service: what is due is confirmed, collected, moved, delivered."""
    return sandbox.tick()


@shared_task
def poll_tracking() -> int:
    return services.shipments_poll()
