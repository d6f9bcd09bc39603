"""The sandbox courier service: behaves like a courier on a configurable clock.

It keeps its own parcel records (SandboxParcel), accepts bookings (refusing addresses it does not
serve), confirms the pickup outlet and the courier, collects, moves parcels through transit to
delivery and answers service-desk questions. Scenarios (per courier, or per booking) make it confirm
late, miss the pickup, raise an exception or lose the parcel. It reports through the same signed
webhook code path a real courier calls; couriers without webhooks are read with `track` (polling).
"""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.exceptions import ValidationFailed

from .base import BatchRequest, CarrierAdapter, CourierUpdate, ParcelResult

STAFF = ["王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅", "杨师傅", "赵师傅", "黄师傅"]
OUT_OF_AREA_MARK = "超区"  # a recipient street containing it is outside the sandbox's delivery area
DESK_REPLIES = {
    "pickup_delay": "您好，已催促揽收网点，快递员将在今天内上门揽收，给您带来不便敬请谅解。",
    "lost": "您好，已登记查件，网点正在核实包裹位置，24 小时内给您答复；如确认遗失将按保价规则理赔。",
    "damage": "您好，已记录破损情况，请保留外包装和照片，理赔专员会在 1 个工作日内联系您。",
    "address_change": "您好，已通知派送网点修改收件地址，修改结果以轨迹更新为准。",
    "other": "您好，您的问题已收到，客服专员正在处理，请耐心等待。",
}


def _delay(step: str) -> timedelta:
    return timedelta(seconds=settings.SANDBOX_COURIER_CLOCK[step] * settings.SANDBOX_COURIER_CLOCK_SCALE)


def _pick(seq: list[str], key: str) -> str:
    return seq[zlib.crc32(key.encode()) % len(seq)]


SANDBOX_DISABLED_REASON = "沙箱快递未启用（COURIER_SANDBOX_ENABLED）"


def sandbox_enabled() -> bool:
    """The sandbox courier is a development tool: off in production settings unless COURIER_SANDBOX_ENABLED."""
    return bool(settings.COURIER_SANDBOX_ENABLED)


class SandboxAdapter(CarrierAdapter):
    name = "sandbox"

    # --- the courier's API -------------------------------------------------------------------
    def book_batch(self, courier, request: BatchRequest) -> list[ParcelResult]:
        from shipping.models import SandboxParcel

        if not sandbox_enabled():
            return [
                ParcelResult(order_ref=p.order_ref, ok=False, failure_reason=SANDBOX_DISABLED_REASON)
                for p in request.parcels
            ]
        now = timezone.now()
        confirm_in = _delay("confirm")
        if request.scenario == "late_confirm":  # later than the platform's promise, whatever the clock
            confirm_in = settings.PORTAL_TIME_RULES["courier_confirm"] + timedelta(minutes=30)
        results, parcels = [], []
        for parcel in request.parcels:
            if OUT_OF_AREA_MARK in parcel.recipient.street or not courier.covers(parcel.recipient.province):
                results.append(
                    ParcelResult(order_ref=parcel.order_ref, ok=False, failure_reason="收件地址超出派送范围（超区）")
                )
                continue
            waybill = courier.waybill_prefix + "".join(random.choices("0123456789", k=courier.waybill_digits))
            code = f"{random.randint(0, 999999):06d}"
            label = {
                "sort_code": f"{parcel.recipient.province[:2]}-{random.randint(100, 999)}",
                "route": f"{request.sender.city} → {parcel.recipient.city}",
                "printed_at": now.isoformat(),
            }
            results.append(
                ParcelResult(order_ref=parcel.order_ref, ok=True, waybill_no=waybill, parcel_code=code, label=label)
            )
            parcels.append(
                SandboxParcel(
                    courier_code=courier.code,
                    booking_no=request.booking_no,
                    order_ref=parcel.order_ref,
                    waybill_no=waybill,
                    scenario=request.scenario,
                    weight_g=parcel.weight_g,
                    origin=request.sender.city,
                    destination=parcel.recipient.city,
                    next_at=now + confirm_in,
                    created_at=now,
                )
            )
        SandboxParcel.objects.bulk_create(parcels)
        return results

    def verify_webhook(self, body: bytes, headers: dict, *, courier_code: str) -> list[CourierUpdate]:
        """Nothing forged reaches a deployment whose sandbox is off: its webhooks are refused outright."""
        if not sandbox_enabled():
            raise ValidationFailed("The sandbox courier is not enabled.", code="sandbox_disabled")
        return super().verify_webhook(body, headers, courier_code=courier_code)

    def cancel(self, courier, *, waybill_no: str) -> bool:
        from shipping.models import SandboxParcel

        return bool(
            SandboxParcel.objects.filter(
                courier_code=courier.code, waybill_no=waybill_no, stage__in=["booked", "accepted"]
            ).update(stage="cancelled", next_at=None)
        )

    def track(self, courier, *, waybill_no: str) -> list[CourierUpdate]:
        from shipping.models import SandboxParcel

        parcel = SandboxParcel.objects.filter(courier_code=courier.code, waybill_no=waybill_no).first()
        return [CourierUpdate.from_json(e) for e in parcel.events] if parcel else []

    def send_message(self, courier, *, waybill_no: str, topic: str, body: str) -> None:
        from shipping.models import SandboxParcel

        parcel = SandboxParcel.objects.filter(courier_code=courier.code, waybill_no=waybill_no).first()
        if parcel is None:
            return
        parcel.questions.append({"topic": topic, "asked_at": timezone.now().isoformat()})
        if parcel.next_at is None or parcel.stage in ("delivered", "exception", "cancelled"):
            parcel.next_at = timezone.now() + _delay("desk_reply")
        else:
            parcel.next_at = min(parcel.next_at, timezone.now() + _delay("desk_reply"))
        parcel.save(update_fields=["questions", "next_at"])

    # --- the courier's clock -----------------------------------------------------------------
    def advance(self, parcel, now: datetime) -> list[CourierUpdate]:
        """Move one parcel one step if due; returns what the courier reports (also kept in its log)."""
        updates: list[CourierUpdate] = []
        due_questions = [
            q for q in parcel.questions if datetime.fromisoformat(q["asked_at"]) + _delay("desk_reply") <= now
        ]
        for q in due_questions:
            updates.append(
                self._update(
                    parcel, now, "message", topic=q["topic"], body=DESK_REPLIES.get(q["topic"], DESK_REPLIES["other"])
                )
            )
        parcel.questions = [q for q in parcel.questions if q not in due_questions]
        step_due = parcel.next_at is not None and parcel.next_at <= now and parcel.stage not in ("cancelled",)
        if step_due:
            updates += self._step(parcel, now)
        if parcel.questions:
            pending = min(datetime.fromisoformat(q["asked_at"]) for q in parcel.questions) + _delay("desk_reply")
            parcel.next_at = min(parcel.next_at or pending, pending)
        parcel.events += [u.as_json() for u in updates if u.kind != "message"]
        return updates

    def _step(self, parcel, now: datetime) -> list[CourierUpdate]:
        scenario, stage = parcel.scenario, parcel.stage
        origin, dest = parcel.origin or "始发", parcel.destination or "目的"
        if stage == "booked":
            name = _pick(STAFF, parcel.waybill_no)
            phone = "13" + f"{zlib.crc32(parcel.waybill_no.encode()) % 10**9:09d}"
            parcel.stage, parcel.next_at = "accepted", (None if scenario == "miss_pickup" else now + _delay("pickup"))
            return [
                self._update(parcel, now, "accept", outlet=f"{origin}揽件网点", courier_name=name, courier_phone=phone)
            ]
        if stage == "accepted":
            weight = max(100, parcel.weight_g + random.randint(-50, 150))
            parcel.stage, parcel.next_at = "picked_up", now + _delay("depart")
            return [
                self._update(
                    parcel,
                    now,
                    "track",
                    action="GOT",
                    description=f"快递员已揽收，【{origin}】",
                    node=f"{origin}揽件网点",
                    real_weight_g=weight,
                )
            ]
        if stage == "picked_up":
            if scenario == "exception":
                parcel.stage, parcel.next_at = "exception", None
                return [
                    self._update(
                        parcel,
                        now,
                        "track",
                        action="FAIL",
                        description="快件外包装破损，滞留处理中",
                        node=f"{origin}分拨中心",
                    )
                ]
            parcel.stage, parcel.next_at = "departed", now + _delay("arrive")
            return [
                self._update(
                    parcel,
                    now,
                    "track",
                    action="DEPARTURE",
                    description=f"快件已从【{origin}分拨中心】发出",
                    node=f"{origin}分拨中心",
                )
            ]
        if stage == "departed":
            if scenario == "lost":
                parcel.stage, parcel.next_at = "exception", None
                return [
                    self._update(
                        parcel,
                        now,
                        "track",
                        action="FAIL",
                        description="快件运输途中遗失，正在核实",
                        node="干线运输",
                        exception_kind="lost",
                    )
                ]
            parcel.stage, parcel.next_at = "arrived", now + _delay("send")
            return [
                self._update(
                    parcel,
                    now,
                    "track",
                    action="ARRIVAL",
                    description=f"快件已到达【{dest}分拨中心】",
                    node=f"{dest}分拨中心",
                )
            ]
        if stage == "arrived":
            parcel.stage, parcel.next_at = "out", now + _delay("sign")
            return [
                self._update(
                    parcel,
                    now,
                    "track",
                    action="SEND",
                    description=f"快件派送中，派送员：{_pick(STAFF, parcel.order_ref)}",
                    node=f"{dest}营业部",
                )
            ]
        if stage == "out":
            parcel.stage, parcel.next_at = "delivered", None
            return [
                self._update(
                    parcel, now, "track", action="SIGN", description="快件已签收，签收人：本人", node=f"{dest}营业部"
                )
            ]
        parcel.next_at = None
        return []

    @staticmethod
    def _update(parcel, now: datetime, kind: str, **fields) -> CourierUpdate:
        return CourierUpdate(
            message_id=uuid.uuid4().hex, kind=kind, waybill_no=parcel.waybill_no, occurred_at=now, **fields
        )


def tick(now: datetime | None = None) -> int:
    """Advance every due sandbox parcel and report through the signed webhook path; returns updates sent."""
    from shipping.models import Courier, SandboxParcel
    from shipping.services import webhook_receive

    if not sandbox_enabled():
        return 0
    now = now or timezone.now()
    adapter = SandboxAdapter()
    couriers = {c.code: c for c in Courier.objects.filter(adapter="sandbox")}
    pushed: dict[str, list[CourierUpdate]] = {}
    with transaction.atomic():  # two schedulers never move one parcel twice; the webhooks go out after commit
        due = (
            SandboxParcel.objects.select_for_update(skip_locked=True)
            .filter(next_at__lte=now, courier_code__in=couriers)
            .order_by("next_at", "id")[:1000]
        )
        for parcel in due:
            updates = adapter.advance(parcel, now)
            parcel.save(update_fields=["stage", "next_at", "events", "questions"])
            courier = couriers[parcel.courier_code]
            pushed.setdefault(courier.code, []).extend(
                u for u in updates if courier.pushes_webhooks or u.kind == "message"
            )
    sent = 0
    for code, updates in pushed.items():
        if updates:
            body, headers = adapter.signed_request(updates, courier_code=code)
            if not _post_webhook(code, body, headers):
                webhook_receive(courier_code=code, body=body, headers=headers)
            sent += len(updates)
    return sent


def _post_webhook(courier_code: str, body: bytes, headers: dict) -> bool:
    """With SANDBOX_COURIER_WEBHOOK_URL (the portal's base URL) set, report over HTTP to the courier webhook
    endpoint, as a real courier does; whichever web node answers applies it. Not set, or the POST failed:
    False, and the caller applies the same signed request in-process (a repeat is a no-op: message ids)."""
    import logging
    import urllib.error
    import urllib.request

    from django.urls import reverse

    base = settings.SANDBOX_COURIER_WEBHOOK_URL
    if not base:
        return False
    url = base.rstrip("/") + reverse("api-shipping-webhook", args=[courier_code])
    http_headers = {k.removeprefix("HTTP_").replace("_", "-").title(): v for k, v in headers.items()}
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**http_headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the portal's own URL
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        logging.getLogger(__name__).warning("sandbox webhook to %s failed (%s): applied in-process", url, exc)
        return False
