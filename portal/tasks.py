"""Thin Celery wrappers: event fan-out and the periodic sweeps."""

from __future__ import annotations

import logging

from celery import shared_task

from .events import fan_out
from .models import Event
from .sweeps import run_all

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def fan_out_event(event_id: int) -> None:
    event = Event.objects.filter(pk=event_id).first()
    if event is not None:
        fan_out(event)


@shared_task
def run_sweeps() -> dict[str, int]:
    return run_all()
