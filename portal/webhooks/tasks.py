"""Celery wrapper of a webhook delivery: one attempt, then a Celery retry with backoff.

In eager mode (no broker) retries never sleep: the attempt stores `next_retry_at` and the
`webhook_retry_due` sweep sends what is due.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from portal.events import enqueue
from portal.metrics import WEBHOOK_DELIVERIES
from portal.sweeps import sweep

from .models import DeliveryStatus
from .services import due_delivery_ids, webhook_delivery_attempt


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str:
    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "not_due"
    WEBHOOK_DELIVERIES.labels(delivery.status).inc()
    if delivery.status != DeliveryStatus.PENDING or self.request.is_eager:
        return delivery.status
    countdown = max((delivery.next_retry_at - timezone.now()).total_seconds(), 0)
    raise self.retry(countdown=countdown)


@sweep("webhook_retry_due")
def webhook_retry_due() -> int:
    """Send every pending delivery whose retry time has come (safety net behind Celery retries)."""
    ids = due_delivery_ids()
    for pk in ids:
        enqueue(deliver_webhook, pk)
    return len(ids)
