"""Every write of the outbound webhooks: endpoints, deliveries, attempts, replays, disabling."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actors import user_of
from portal.audit import audit_record
from portal.events import EVENT_TYPES, emit, enqueue
from portal.exceptions import ValidationFailed
from portal.fsm import transition
from portal.models import Event, User

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, http_url, new_secret
from .targets import UnsafeTarget, check_url, post_pinned


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Portal-Signature: HMAC-SHA256 over "timestamp.body"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_body(event: Event) -> bytes:
    payload = {
        "id": event.pk,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "store_id": event.store_id,
        "data": event.payload.get("data", {}),
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2·base, 4·base, … capped."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _clean(*, url: str, event_types: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    try:
        http_url(url)
    except Exception as exc:  # noqa: BLE001 - Django's ValidationError carries the message
        errors["url"] = [str(m) for m in getattr(exc, "messages", [str(exc)])]
    else:
        try:
            check_url(url)  # https in production, resolves to a public address
        except UnsafeTarget as exc:
            errors["url"] = [str(exc)]
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if not event_types or unknown:
        errors["event_types"] = [_("请选择至少一个有效的事件类型。")]
    if errors:
        raise ValidationFailed(_("请检查填写内容。"), fields=errors)


@transaction.atomic
def webhook_endpoint_create(*, store, url: str, event_types: list[str], by: User) -> WebhookEndpoint:
    """A new active endpoint with a fresh signing secret."""
    _clean(url=url, event_types=event_types)
    endpoint = WebhookEndpoint.objects.create(
        store=store, url=url, event_types=sorted(event_types), created_by=user_of(by)
    )
    audit_record(endpoint, "create", by=by, reason=url, data={"event_types": endpoint.event_types})
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url: str, event_types: list[str], by: User):
    _clean(url=url, event_types=event_types)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = {"url": endpoint.url, "event_types": endpoint.event_types}
    endpoint.url, endpoint.event_types = url, sorted(event_types)
    endpoint.save(update_fields=["url", "event_types"])
    audit_record(
        endpoint,
        "update",
        by=by,
        reason=url,
        data={"from": before, "to": {"url": url, "event_types": endpoint.event_types}},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    audit_record(endpoint, "rotate_secret", by=by, reason=endpoint.url)
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool, by) -> WebhookEndpoint:
    """Enable (clears the failure streak; waiting deliveries resume at the next sweep) or disable."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.active = active
    endpoint.failure_streak = 0 if active else endpoint.failure_streak
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.save(update_fields=["active", "failure_streak", "disabled_at"])
    audit_record(endpoint, "enable" if active else "disable", by=by, reason=endpoint.url)
    return endpoint


def deliveries_for_event(*, event: Event) -> list[WebhookDelivery]:
    """One due delivery per active endpoint of the event's store subscribed to its type."""
    if event.store_id is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(store_id=event.store_id, active=True)
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, next_retry_at=now) for e in endpoints if e.subscribes_to(event.type)]
    )


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """Send the delivery's event again as a new delivery (the original log stays as it was)."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise ValidationFailed(_("该地址已停用，请先启用后再重发。"), code="endpoint_disabled")
    replay = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=delivery.event_id, replay_of=delivery, next_retry_at=timezone.now()
    )
    from .tasks import deliver_webhook

    transaction.on_commit(lambda: enqueue(deliver_webhook, replay.pk))
    return replay


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take a due delivery for one attempt; the lease keeps a concurrent retry or sweep away."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_retry_at__lte=now, endpoint__active=True)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_retry_at = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
        delivery.save(update_fields=["attempts", "next_retry_at"])
        return delivery


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status code, error) of one POST. The URL is checked again here and the connection goes to the
    address just validated (DNS rebinding); no redirect is followed and no response body is kept."""
    try:
        target = check_url(url)
    except UnsafeTarget as exc:
        return None, str(exc)[:300]
    try:
        return post_pinned(target, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS), ""
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timeout, TLS, bad answer
        return None, (str(exc) or type(exc).__name__)[:300]


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """POST a due delivery once, log the attempt, then succeed, schedule a retry or give up.

    Returns None when the delivery is not due (already done, leased, or its endpoint disabled).
    No lock is held during the HTTP call.
    """
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    endpoint, body = delivery.endpoint, event_body(delivery.event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pdd-merchant-portal-webhooks/1",
        "X-Portal-Event-Id": str(delivery.event_id),
        "X-Portal-Event-Type": delivery.event.type,
        "X-Portal-Timestamp": timestamp,
        "X-Portal-Signature": sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery.pk, status_code, error, duration_ms)


@transaction.atomic
def _record(delivery_id: int, status_code: int | None, error: str, duration_ms: int):
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.endpoint = endpoint
    ok = status_code is not None and 200 <= status_code < 300
    now = timezone.now()
    delivery.last_status_code = status_code
    if ok:
        delivery.finished_at = now
        transition(delivery, "succeed", by="webhooks", reason=str(status_code))
        endpoint.failure_streak = 0
        endpoint.save(update_fields=["failure_streak"])
    else:
        endpoint.failure_streak = F("failure_streak") + 1
        endpoint.save(update_fields=["failure_streak"])
        endpoint.refresh_from_db(fields=["failure_streak"])
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.finished_at = now
            transition(delivery, "give_up", by="webhooks", reason=error or str(status_code))
        else:
            delivery.next_retry_at = now + retry_delay(delivery.attempts)
            delivery.save(update_fields=["last_status_code", "next_retry_at"])
        if endpoint.active and endpoint.failure_streak >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            _disable(endpoint, now)
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error[:300],
        next_retry_at=delivery.next_retry_at,
    )
    return delivery


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.active, endpoint.disabled_at = False, now
    endpoint.save(update_fields=["active", "disabled_at"])
    emit(
        type="webhook.disabled",
        store_id=endpoint.store_id,
        title=_("Webhook 地址已停用"),
        body=_("%(url)s 连续 %(n)d 次投递失败，已自动停用。修复后请重新启用。")
        % {"url": endpoint.url, "n": endpoint.failure_streak},
        url=reverse("webhook_detail", args=[endpoint.pk]),
        data={"endpoint_id": endpoint.pk, "url": endpoint.url, "failure_streak": endpoint.failure_streak},
    )


def due_delivery_ids(now: datetime | None = None) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_retry_at__lte=now or timezone.now(), endpoint__active=True
        )
        .order_by("next_retry_at")
        .values_list("pk", flat=True)[:1000]
    )
