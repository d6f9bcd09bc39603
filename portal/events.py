"""One event stream: a business event is recorded once, after commit, and fans out.

Outlets: the notification centre (in-app, email, SMS per preferences) and the
store's outbound webhooks. Apps call `emit(...)` inside their service; nothing
is recorded if the transaction rolls back. Fan-out runs on a Celery worker
(in-process when no broker is configured).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import Event


@dataclass(frozen=True)
class EventType:
    label: str
    sms_default: bool = False


# Every business event of the project, by type; labels name it in the notification preferences.
EVENT_TYPES: dict[str, EventType] = {
    "store.review_result": EventType(_("开店审核结果"), sms_default=True),
    "store.status_changed": EventType(_("店铺状态变化"), sms_default=True),
    "store.member_added": EventType(_("店铺成员变动")),
    "deposit.changed": EventType(_("保证金变动"), sms_default=True),
    "order.paid": EventType(_("新的已支付订单")),
    "order.cancelled": EventType(_("订单取消")),
    "order.memo_changed": EventType(_("商家备注变更")),
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
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    payload = {"title": str(title), "body": str(body), "url": url, "data": data or {}}
    if user_ids is not None:
        payload["user_ids"] = list(user_ids)

    def record() -> None:
        from .tasks import fan_out_event

        event = Event.objects.create(type=type, store_id=store_id, payload=payload)
        fan_out_event.delay(event.pk)

    transaction.on_commit(record)


def fan_out(event: Event) -> None:
    for deliver in OUTLETS:
        deliver(event)
