"""kuaidi100 callbacks and reconciliation: each documented status onto the shipment state machine.

| code | what it does to the parcel |
| --- | --- |
| 0 booked | waybill recorded when it comes only now (韵达) |
| 1 accepted | confirmed: courier name and mobile (the 2-hour promise kept) |
| 2 collecting | recorded, no move |
| 10 picked up | picked up, order shipped (the 24-hour promise kept) |
| 11 pickup failed | cancelled with the reason; the order is back in 未下单 to book another courier |
| 101 in transit / 400 out for delivery / 13 signed | in transit / out for delivery / delivered (order delivered) |
| 14 abnormal signature | exception |
| 15 settled / 155 weight corrected | billed weight and fee lines recorded (they add up), shipping cost in the payouts |
| 9 / 99 cancelled | cancelled unless already picked up |
| 610 booking failed | failed (order back in 未下单), may be re-booked |
| 166 revived, 200 label printed, 201 label failed | recorded, no move |

Every callback is verified with the booking account's salt and applied once (a WebhookReceipt per
exact message); a late or repeated status never moves a parcel backwards (the FSM refuses it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from portal.bounds import parse_id
from portal.events import emit
from portal.exceptions import ValidationFailed
from portal.fsm import transition
from shop.services.funds import payout_shipping_fee

from .. import selectors
from ..carriers.base import CourierUpdate
from ..carriers.kuaidi100 import (
    FeeLine,
    Kuaidi100Adapter,
    Kuaidi100Error,
    Kuaidi100Unavailable,
    StatusPush,
    TracePush,
    parse_status_callback,
    parse_trace_callback,
    to_fen,
    to_grams,
)
from ..models import ACTIVE, CourierAccount, Shipment, ShipmentFee, ShipmentStatus, TrackingEvent, WebhookReceipt
from .courier_reports import shipment_apply_update

logger = logging.getLogger(__name__)
S = ShipmentStatus
RECEIPT_CODE = "kuaidi100"
TRACK_ACTIONS = {101: "DEPARTURE", 400: "SEND", 13: "SIGN", 14: "FAIL"}


def parcel_ref(booking_no: str, shipment_id: int) -> str:
    """Our `thirdOrderId`: the same for every attempt at booking this parcel (≤ 32 characters)."""
    return f"{booking_no}-{shipment_id}"


def _shipment_for(account: CourierAccount, push: StatusPush) -> Shipment | None:
    qs = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("order", "courier", "booking")
        .filter(booking__account=account)
    )
    booking_no, _sep, pk = push.third_order_id.rpartition("-")
    shipment_id = parse_id(pk)
    if shipment_id is not None:
        found = qs.filter(pk=shipment_id, booking__booking_no=booking_no).first()
        if found:
            return found
    if push.order_id:
        return qs.filter(carrier_order_id=push.order_id).first()
    return None


def _receipt(digest: str, payload: dict) -> bool:
    """True the first time this exact message is seen."""
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(courier_code=RECEIPT_CODE, message_id=digest, payload=payload)
        return True
    except IntegrityError:
        return False


def kuaidi100_callback_receive(*, public_id: str, kind: str, form: dict) -> dict[str, int]:
    """A kuaidi100 callback (`status` or `trace`) for one store account: verify with its salt, apply once."""
    account = CourierAccount.objects.filter(public_id=public_id).first()
    if account is None:
        raise ValidationFailed("Unknown account.", code="unknown_account")
    salt = account.salt.reveal()  # type: ignore[attr-defined]  # EncryptedField reads back a Secret, not a str
    if kind == "status":
        return kuaidi100_status_apply(account=account, push=parse_status_callback(form, salt=salt))
    if kind == "trace":
        return kuaidi100_trace_apply(account=account, push=parse_trace_callback(form, salt=salt))
    raise ValidationFailed("Unknown callback.", code="unknown_callback")


@transaction.atomic
def kuaidi100_status_apply(*, account: CourierAccount, push: StatusPush, from_detail: bool = False) -> dict[str, int]:
    """One order-status message onto its parcel (see the module's table). Idempotent per exact message."""
    if not _receipt(push.digest, {"status": push.status, "third_order_id": push.third_order_id}):
        return {"applied": 0, "duplicates": 1}
    shipment = _shipment_for(account, push)
    if shipment is None:
        logger.warning("kuaidi100 status %s for unknown parcel %s", push.status, push.third_order_id)
        return {"applied": 0, "duplicates": 0}
    by = f"courier:{shipment.courier.code}"
    fields = ["carrier_status", "carrier_reported_at"]
    shipment.carrier_status, shipment.carrier_reported_at = push.status, timezone.now()
    if push.order_id and not shipment.carrier_order_id:
        shipment.carrier_order_id = push.order_id
        fields.append("carrier_order_id")
    if push.task_id and not shipment.carrier_task_id:
        shipment.carrier_task_id = push.task_id
        fields.append("carrier_task_id")
    members = _parcel_members(shipment)
    if push.waybill_no and not shipment.waybill_no:  # 韵达: the waybill comes only in a callback
        shipment.waybill_no = push.waybill_no
        fields.append("waybill_no")
        for member in members:  # 合并发货: one waybill for every order of the parcel
            member.waybill_no = push.waybill_no
        Shipment.objects.bulk_update(members, ["waybill_no"])
    shipment.save(update_fields=fields)
    status = push.status
    occurred = push.occurred_at or timezone.now()
    if shipment.status in (S.CANCELLED, S.FAILED) and status in (0, 1, 2) and shipment.carrier_task_id:
        # booked at kuaidi100 after we gave the parcel up (an answer lost, then a cancel): cancel it there too
        booking, courier, task = (
            shipment.booking,
            shipment.courier,
            (shipment.carrier_task_id, shipment.carrier_order_id),
        )
        transaction.on_commit(lambda: _cancel_orphan(booking, courier, *task))
        return {"applied": 1, "duplicates": 0}
    if status == 1:
        update = CourierUpdate(
            message_id=push.digest,
            kind="accept",
            waybill_no=shipment.waybill_no,
            occurred_at=occurred,
            outlet=push.message[:60],
            courier_name=push.courier_name,
            courier_phone=push.courier_mobile,
        )
        shipment_apply_update(courier=shipment.courier, update=update, shipment=shipment)
    elif status == 10:
        update = CourierUpdate(
            message_id=push.digest,
            kind="track",
            action="GOT",
            waybill_no=shipment.waybill_no,
            occurred_at=occurred,
            description=push.message or _("快递员已取件"),
            real_weight_g=push.weight_g,
        )
        shipment_apply_update(courier=shipment.courier, update=update, shipment=shipment)
    elif status in TRACK_ACTIONS:
        labels = {101: _("运输中"), 400: _("派送中"), 13: _("已签收"), 14: _("异常签收")}
        update = CourierUpdate(
            message_id=push.digest,
            kind="track",
            action=TRACK_ACTIONS[status],
            waybill_no=shipment.waybill_no,
            occurred_at=occurred,
            description=push.message or labels[status],
        )
        shipment_apply_update(courier=shipment.courier, update=update, shipment=shipment)
    elif status in (15, 155):
        if not (from_detail and shipment.fees.exists()):  # detail repeats fees callbacks already brought
            _record_fees(shipment, push, by=by)
    elif status in (9, 99, 11):
        reason = {
            9: _("快递100：用户取消"),
            99: _("快递100：订单已取消（%(m)s）") % {"m": push.message or _("调度失败")},
            11: _("快递员取件失败（%(m)s），请重新下单或选择其他快递。") % {"m": push.message or "-"},
        }[status]
        if _end_parcel(shipment, members, ["cancel"], reason, by=by) and status == 11:
            _emit_problem(shipment, reason)
    elif status == 610:
        reason = _("快递下单失败（%(m)s），可重新下单或选择其他快递。") % {"m": push.message or "-"}
        if _end_parcel(shipment, members, ["reject", "cancel"], reason, by=by):
            _emit_problem(shipment, reason)
    # 0, 2, 166, 200, 201: recorded as the parcel's last kuaidi100 status, nothing moves
    return {"applied": 1, "duplicates": 0}


def _parcel_members(shipment: Shipment) -> list[Shipment]:
    """The other orders of a merged parcel (合并发货) whose lead this is, locked; [] for a parcel of one."""
    if shipment.parcel_lead_id:
        return []
    return list(
        Shipment.objects.select_for_update(of=("self",)).filter(parcel_lead=shipment, status__in=ACTIVE).order_by("id")
    )


def _end_parcel(shipment: Shipment, members: list[Shipment], names: list[str], reason: str, *, by: str) -> bool:
    """The courier gave the parcel up: the first of `names` the FSM allows, for it and every order in it."""
    ended = False
    for parcel in [shipment, *members]:
        name = next((n for n in names if can_proceed(getattr(parcel, n))), "")
        if name:
            parcel.failure_reason = reason[:200]
            parcel.save(update_fields=["failure_reason"])
            transition(parcel, name, by=by, reason=reason)
            ended = ended or parcel is shipment
    return ended


def _cancel_orphan(booking, courier, task_id: str, order_id: str) -> None:
    try:
        Kuaidi100Adapter(booking.account).cancel(courier, task_id=task_id, order_id=order_id, reason="平台已取消")
    except (Kuaidi100Error, Kuaidi100Unavailable) as exc:
        logger.warning("kuaidi100 cancel of orphan %s failed: %s", task_id, exc)


def _record_fees(shipment: Shipment, push: StatusPush, *, by: str) -> None:
    lines = list(push.fee_details) or (
        [FeeLine(fee_type="FREIGHT", description=_("运费"), amount=push.freight)] if push.freight else []
    )
    ShipmentFee.objects.bulk_create(
        [
            ShipmentFee(
                shipment=shipment,
                store_id=shipment.store_id,
                carrier_status=push.status,
                fee_type=line.fee_type or "FREIGHT",
                description=line.description,
                amount=line.amount,
                weight_g=push.weight_g,
                message_digest=push.digest,
            )
            for line in lines
        ]
    )
    fields = []
    if push.weight_g:
        shipment.real_weight_g = push.weight_g
        fields.append("real_weight_g")
    total = sum(shipment.fees.values_list("amount", flat=True))
    shipment.real_price = max(total, 0)
    fields.append("real_price")
    shipment.save(update_fields=fields)
    amount = sum(line.amount for line in lines)
    if amount:
        payout_shipping_fee(
            store=shipment.store,
            amount=amount,
            reason=_("运费 %(c)s %(w)s")
            % {"c": shipment.courier.name, "w": shipment.waybill_no or shipment.order.order_sn},
            by=by,
            ref_id=shipment.pk,
            ref_label=shipment.waybill_no or shipment.order.order_sn,
        )


def _emit_problem(shipment: Shipment, reason: str) -> None:
    emit(
        type="shipment.exception",
        store_id=shipment.store_id,
        title=_("包裹未能揽收：%(sn)s") % {"sn": shipment.order.order_sn},
        body=reason,
        url=reverse("shipping:booking_detail", args=[shipment.booking.booking_no]),
        data={"order_sn": shipment.order.order_sn, "booking_no": shipment.booking.booking_no},
    )


def kuaidi100_trace_apply(*, account: CourierAccount, push: TracePush) -> dict[str, int]:
    """The tracking push: every scan not seen yet becomes a tracking event (and moves the parcel forward)."""
    stats = {"applied": 0, "duplicates": 0}
    with transaction.atomic():
        if not _receipt(push.digest, {"waybill_no": push.waybill_no, "state": push.state}):
            return {"applied": 0, "duplicates": 1}
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "courier", "booking")
            .filter(booking__account=account, waybill_no=push.waybill_no, parcel_lead__isnull=True)
            .exclude(waybill_no="")
            .order_by("-id")
            .first()
        )
        if shipment is None:
            return stats
        seen = set(TrackingEvent.objects.filter(shipment=shipment).values_list("occurred_at", "description"))
        for point in push.points:
            if (point.occurred_at, point.context) in seen:
                stats["duplicates"] += 1
                continue
            update = CourierUpdate(
                message_id=f"{push.digest}:{point.occurred_at.isoformat()}",
                kind="track",
                action=point.action,
                waybill_no=shipment.waybill_no,
                occurred_at=point.occurred_at,
                description=point.context,
            )
            shipment_apply_update(courier=shipment.courier, update=update, shipment=shipment)
            stats["applied"] += 1
    return stats


# --- reconciliation through `detail` ------------------------------------------------------------------
def _detail_push(detail: dict) -> StatusPush:
    digest = "detail:" + hashlib.sha256(json.dumps(detail, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    fees = tuple(
        FeeLine(
            fee_type=str(f.get("feeType", "")),
            description=str(f.get("feeDesc", "")),
            amount=to_fen(f.get("amount")) or 0,
        )
        for f in detail.get("feeDetails") or []
        if isinstance(f, dict) and to_fen(f.get("amount")) is not None
    )
    return StatusPush(
        digest=digest[:64],
        status=int(detail.get("status", 0)),
        third_order_id=str(detail.get("thirdOrderId", "")),
        order_id=str(detail.get("orderId", "")),
        task_id=str(detail.get("taskId", "")),
        waybill_no=str(detail.get("kuaidiNum") or ""),
        courier_name=str(detail.get("courierName", "")),
        courier_mobile=str(detail.get("courierMobile", "")),
        weight_g=to_grams(detail.get("weight")),
        fee_details=fees,
    )


def shipments_reconcile(*, now=None, limit: int = 200) -> int:
    """Parcels booked through an account without a callback for a while: read `detail` and apply it.

    Catches callbacks kuaidi100 gave up on (3 attempts) and what happened while we were down.
    No lock is held during the call; the answer goes through the same idempotent status path.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.KUAIDI100_RECONCILE_AFTER_SECONDS)
    shipments = list(
        Shipment.objects.filter(booking__account__isnull=False, status__in=[S.REQUESTED, S.CONFIRMED])
        .exclude(carrier_task_id="")
        .filter(Q(carrier_reported_at__lt=stale) | Q(carrier_reported_at__isnull=True, created_at__lt=stale))
        .select_related("booking__account")[:limit]
    )
    applied = 0
    for shipment in shipments:
        account = shipment.booking.account
        if account is None:  # the query selects account bookings only
            continue
        try:
            detail = Kuaidi100Adapter(account).detail(task_id=shipment.carrier_task_id)
        except (Kuaidi100Error, Kuaidi100Unavailable) as exc:
            logger.warning("kuaidi100 detail %s failed: %s", shipment.carrier_task_id, exc)
            continue
        detail.setdefault("thirdOrderId", parcel_ref(shipment.booking.booking_no, shipment.pk))
        push = _detail_push(detail)
        applied += kuaidi100_status_apply(account=account, push=push, from_detail=True)["applied"]
        Shipment.objects.filter(pk=shipment.pk).update(carrier_reported_at=now)
    return applied


# --- quotes ----------------------------------------------------------------------------------------------
def courier_options_quote(*, store, options: list, orders: list, sender) -> list:
    """Replace the table prices of couriers booked through the store's account with kuaidi100's own
    (`batchPrice`: one call per destination city and billed kilogram, ≤ 15 couriers a call, in a
    bounded pool). A courier kuaidi100 cannot price keeps the table price; an outage changes nothing."""
    account = selectors.courier_account(store)
    if account is None or not orders:
        return options
    offered = {c.pk for c in account.couriers.all()}
    through = [o for o in options if o.available and o.courier.pk in offered and o.courier.kuaidi100_code]
    if not through:
        return options
    origin = f"{sender.province}{sender.city}" if sender else ""
    groups: dict[tuple[str, int], list] = {}
    for order in orders:
        kg = max(1, -(-selectors.parcel_of(order).weight_g // 1000))
        groups.setdefault((f"{order.province}{order.city}", kg), []).append(order)
    adapter = Kuaidi100Adapter(account)

    def quote(key):
        destination, kg = key
        try:
            return key, adapter.quote_many(
                [o.courier for o in through],
                weight_g=kg * 1000,
                from_address=origin or destination,
                to_address=destination,
            )
        except (Kuaidi100Error, Kuaidi100Unavailable) as exc:
            logger.info("kuaidi100 batchPrice failed: %s", exc)
            return key, {}

    with ThreadPoolExecutor(max_workers=max(1, min(settings.KUAIDI100_BOOKING_CONCURRENCY, len(groups)))) as pool:
        answers = dict(pool.map(quote, groups))
    for option in through:
        for key, group in groups.items():
            found = answers.get(key, {}).get(option.courier.kuaidi100_code)
            if found is not None and found.price is not None:
                for order in group:
                    option.prices[order.pk] = found.price
    return sorted(options, key=lambda o: (not o.available, o.total))
