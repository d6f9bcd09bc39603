"""One event stream: a business event is recorded in the transaction that causes it, and fans out once.

Outlets: the notification centre (in-app, email, SMS per preferences) and the store's outbound webhooks.
Apps call `emit(...)` inside their service: the `Event` row is written in that transaction (the outbox;
nothing is recorded if it rolls back) and, after commit, a Celery task fans it out (in-process when no
broker is configured). When the broker is away the enqueue failure is logged and counted, never raised:
the page or callback still answers, and the `events.outbox` sweep fans out what was not. Fan-out claims
the row (`fanned_out_at`), so the task and the sweep deliver each event exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .metrics import ENQUEUE_FAILURES
from .models import Event
from .sweeps import sweep

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventType:
    label: str
    sms_default: bool = False


# Every business event of the project, by type; labels name it in the notification preferences.
EVENT_TYPES: dict[str, EventType] = {
    "store.review_result": EventType(_("开店审核结果"), sms_default=True),
    "store.status_changed": EventType(_("店铺状态变化"), sms_default=True),
    "store.sanctioned": EventType(_("店铺处罚"), sms_default=True),
    "store.sanction_lifted": EventType(_("店铺处罚解除")),
    "store.member_added": EventType(_("店铺成员变动")),
    "deposit.changed": EventType(_("保证金变动"), sms_default=True),
    "deposit.refund_review": EventType(_("保证金退还审核"), sms_default=True),
    "order.paid": EventType(_("新的已支付订单")),
    "order.cancelled": EventType(_("订单取消")),
    "order.memo_changed": EventType(_("商家备注变更")),
    "order.shipped": EventType(_("订单已发货")),
    "order.completed": EventType(_("交易成功")),
    "order.risk_changed": EventType(_("订单风控状态变化"), sms_default=True),
    "order.address_changed": EventType(_("买家修改收货地址"), sms_default=True),
    "order.buyer_note_changed": EventType(_("买家修改留言")),
    "group.formed": EventType(_("拼团成功")),
    "group.failed": EventType(_("拼团失败")),
    "order.ship_by_near": EventType(_("即将超过发货时限"), sms_default=True),
    "order.late_shipping": EventType(_("延迟发货赔付"), sms_default=True),
    "order.compensated": EventType(_("订单赔付（投诉、虚假发货）"), sms_default=True),
    "shipment.confirmed": EventType(_("快递已接单")),
    "shipment.sla_breached": EventType(_("快递接单或揽收超时"), sms_default=True),
    "shipment.exception": EventType(_("包裹异常")),
    "shipment.delivered": EventType(_("包裹已签收")),
    "courier.message": EventType(_("快递客服回复")),
    "aftersales.opened": EventType(_("新的售后申请")),
    "aftersales.escalated": EventType(_("平台介入")),
    "aftersales.near_timeout": EventType(_("售后即将超时"), sms_default=True),
    "aftersales.return_shipped": EventType(_("买家已退货")),
    "aftersales.closed": EventType(_("售后完结")),
    "aftersales.offer_answered": EventType(_("买家回复协商")),
    "complaint.received": EventType(_("收到投诉"), sms_default=True),
    "review.received": EventType(_("收到评价")),
    "payout.changed": EventType(_("货款变动")),
    "evaluation.warning": EventType(_("店铺评估预警"), sms_default=True),
    "webhook.disabled": EventType(_("Webhook 已停用")),
}

# Outlets register here (notifications in portal, webhooks where they live).
OUTLETS: list[Callable[[Event], None]] = []


def outlet(func: Callable[[Event], None]) -> Callable[[Event], None]:
    OUTLETS.append(func)
    return func


def emit(
    *,
    type: str,
    store_id: int | None,
    title: str,
    body: str = "",
    url: str = "",
    data: dict | None = None,
    user_ids: list[int] | None = None,
) -> None:
    """Record a business event after the current transaction commits, then fan it out.

    `title`/`body`/`url` are what a person reads; `data` is the machine payload for webhooks;
    `user_ids` narrows the recipients (default: every member of the store).
    """
    emit_many(
        [
            {
                "type": type,
                "store_id": store_id,
                "title": title,
                "body": body,
                "url": url,
                "data": data,
                "user_ids": user_ids,
            }
        ]
    )


def emit_many(events: list[dict[str, Any]]) -> None:
    """`emit` for a sweep's many events (each a dict of `emit`'s arguments): one bulk insert into the outbox,
    whatever their number; each is fanned out after the transaction commits, as `emit` does."""
    rows = []
    for spec in events:
        type, user_ids = spec["type"], spec.get("user_ids")
        if type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {type!r}")
        payload = {
            "title": str(spec["title"]),
            "body": str(spec.get("body", "")),
            "url": spec.get("url", ""),
            # Callers pass lazy translations (e.g. an admin action's reason): store plain JSON.
            "data": json.loads(json.dumps(spec.get("data") or {}, cls=DjangoJSONEncoder)),
        }
        if user_ids is not None:
            payload["user_ids"] = list(user_ids)
        rows.append(Event(type=type, store_id=spec["store_id"], payload=payload))
    if not rows:
        return
    if len(rows) == 1:
        rows[0].save()
    else:
        Event.objects.bulk_create(rows)

    def enqueue_fan_out() -> None:
        from .tasks import fan_out_event

        for event in rows:
            enqueue(fan_out_event, event.pk)

    transaction.on_commit(enqueue_fan_out)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """`task.delay(...)`, except that a broker outage is logged and counted instead of raised: callers are
    pages and callbacks that already committed, and an outbox or sweep keeps the work (False then)."""
    try:
        task.delay(*args, **kwargs)
        return True
    except Exception:  # noqa: BLE001 - kombu's OperationalError, a refused connection, an eager task's error
        ENQUEUE_FAILURES.labels(getattr(task, "name", str(task))).inc()
        logger.warning("enqueue of %s%r failed; the outbox sweep will deliver it", task, args, exc_info=True)
        return False


def fan_out(event: Event) -> None:
    for deliver in OUTLETS:
        deliver(event)


def event_fan_out(*, event_id: int) -> bool:
    """Fan one recorded event out, once: the row is claimed and marked in the outlets' transaction."""
    with transaction.atomic():
        event = Event.objects.select_for_update(skip_locked=True).filter(pk=event_id, fanned_out_at=None).first()
        if event is None:
            return False  # already fanned out, or being fanned out by the sweep right now
        fan_out(event)
        Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    return True


@sweep("events.outbox")
def events_outbox() -> int:
    """Fan out the events whose task never ran (broker down, worker lost) once they are OUTBOX_GRACE_SECONDS
    old: one transaction over the oldest pending batch, rows claimed with SKIP LOCKED."""
    now = timezone.now()
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(fanned_out_at=None, created_at__lte=now - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS))
            .order_by("created_at", "id")[: settings.OUTBOX_BATCH]
        )
        for event in events:
            fan_out(event)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(fanned_out_at=now)
    return len(events)
