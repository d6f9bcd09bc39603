"""The webhook outlet of the event stream: a delivery per subscribed endpoint, sent by a worker."""

from __future__ import annotations

from portal.events import outlet
from portal.models import Event

from .services import deliveries_for_event
from .tasks import deliver_webhook


@outlet
def send_webhooks(event: Event) -> None:
    for delivery in deliveries_for_event(event=event):
        deliver_webhook.delay(delivery.pk)
