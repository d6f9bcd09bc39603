"""The webhook outlet of the event stream: a delivery per subscribed endpoint, sent by a worker."""

from __future__ import annotations

from django.db import transaction

from portal.events import enqueue, outlet
from portal.models import Event

from .services import deliveries_for_event
from .tasks import deliver_webhook


@outlet
def send_webhooks(event: Event) -> None:
    """Deliveries are rows (due now); the POSTs go out after commit, never under the fan-out's row lock. A
    delivery whose task cannot be sent is sent by the `webhook_retry_due` sweep."""
    ids = [d.pk for d in deliveries_for_event(event=event)]
    if ids:
        transaction.on_commit(lambda: [enqueue(deliver_webhook, pk) for pk in ids])
