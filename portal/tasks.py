"""Thin Celery wrappers: event fan-out and the periodic sweeps."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from .events import event_fan_out
from .metrics import SWEEP_RUNS
from .sweeps import run_all

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def fan_out_event(event_id: int) -> None:
    event_fan_out(event_id=event_id)


SWEEP_LEASE_KEY = "portal:sweeps:lease"


@shared_task
def run_sweeps() -> dict[str, int]:
    """One tick of every sweep, at most once per SWEEP_INTERVAL_SECONDS however many beats send it.

    Beat should run once, but a second one started by mistake (or a deploy overlap) sends a second tick
    each interval: a lease in the shared cache (Redis) makes that one a no-op.
    """
    lease = max(settings.SWEEP_INTERVAL_SECONDS * 0.8, 1)
    if not cache.add(SWEEP_LEASE_KEY, uuid.uuid4().hex, timeout=lease):
        SWEEP_RUNS.labels("*", "skipped").inc()
        logger.info("sweeps: tick skipped, another one ran less than %.0fs ago", lease)
        return {}
    return run_all()
