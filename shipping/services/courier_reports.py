"""What couriers report (signed webhooks and polling): acceptance, scans, desk replies; each applied once."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from portal.events import emit
from portal.exceptions import DomainError, ValidationFailed
from portal.fsm import transition
from shop.services.orders import order_deliver_booked, order_ship_booked

from ..carriers.base import CourierUpdate
from ..carriers.registry import adapter_for
from ..models import (
    LIVE,
    Courier,
    CourierMessage,
    Shipment,
    ShipmentStatus,
    TrackingAction,
    TrackingEvent,
    WebhookReceipt,
)

logger = logging.getLogger(__name__)
S = ShipmentStatus


def webhook_receive(*, courier_code: str, body: bytes, headers: dict) -> dict[str, int]:
    """The courier webhook: verify signature and timestamp, then apply each message once."""
    courier = Courier.objects.filter(code=courier_code).first()
    if courier is None:
        raise ValidationFailed("Unknown courier.", code="unknown_courier")
    updates = adapter_for(courier).verify_webhook(body, headers, courier_code=courier.code)
    return courier_updates_apply(courier=courier, updates=updates)


def courier_updates_apply(*, courier: Courier, updates: list[CourierUpdate]) -> dict[str, int]:
    """Apply courier messages, each in its own transaction with its receipt: a repeat is a no-op."""
    stats = {"applied": 0, "duplicates": 0}
    for update in updates:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    WebhookReceipt.objects.create(
                        courier_code=courier.code, message_id=update.message_id, payload=update.as_json()
                    )
            except IntegrityError:
                stats["duplicates"] += 1
                continue
            shipment_apply_update(courier=courier, update=update)
            stats["applied"] += 1
    return stats


def _ship_order(shipment: Shipment, by: str) -> None:
    try:
        with transaction.atomic():
            order_ship_booked(
                order_id=shipment.order_id, courier_code=shipment.courier.code, waybill_no=shipment.waybill_no, by=by
            )
    except DomainError as exc:  # e.g. a risk hold placed after booking: the parcel moves, the order stays
        logger.warning("order %s not marked shipped: %s", shipment.order.order_sn, exc.message)


def _deliver_order(shipment: Shipment, by: str) -> None:
    order_deliver_booked(order_id=shipment.order_id, by=by)


def _move(shipment: Shipment, name: str, *, by: str, reason: str = "") -> bool:
    if can_proceed(getattr(shipment, name)):
        transition(shipment, name, by=by, reason=reason)
        return True
    return False


ADVANCE: dict[str, list[str]] = {
    TrackingAction.DEPARTURE: ["depart"],
    TrackingAction.ARRIVAL: ["depart"],
    TrackingAction.STAY_IN_WAREHOUSE: ["depart"],
    TrackingAction.SEND: ["send_out"],
    TrackingAction.IN_CABINET: ["send_out"],
    TrackingAction.SIGN: ["sign"],
    TrackingAction.SIGN_ON_BEHALF: ["sign"],
    TrackingAction.OUT_CABINET: ["sign"],
    TrackingAction.FAIL: ["fail"],
    TrackingAction.REJECTION: ["fail"],
    TrackingAction.RETURN: ["return_to_sender"],
}


def shipment_apply_update(
    *, courier: Courier, update: CourierUpdate, shipment: Shipment | None = None
) -> Shipment | None:
    """One courier message: acceptance (outlet, courier) → confirmed; scans → tracking event and status; desk reply.

    `shipment` is given (already locked) when the caller found the parcel another way (kuaidi100 callbacks).
    A merged parcel (合并发货) is found by its lead; every order travelling in it follows the same report.
    """
    if shipment is None:
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "courier", "booking")
            .filter(courier=courier, waybill_no=update.waybill_no, parcel_lead__isnull=True)
            .order_by("-id")
            .first()
        )
    result = _apply_update(courier=courier, update=update, shipment=shipment)
    if shipment is not None and shipment.parcel_lead_id is None and update.kind != "message":
        members = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("order", "courier", "booking")
            .filter(parcel_lead=shipment)
            .order_by("id")
        )
        for member in members:
            _apply_update(courier=courier, update=update, shipment=member)
    return result


def _apply_update(*, courier: Courier, update: CourierUpdate, shipment: Shipment | None) -> Shipment | None:
    by = f"courier:{courier.code}"
    if update.kind == "message":
        if shipment is not None:
            _record_desk_reply(shipment, update)
        return shipment
    if update.kind == "track":
        TrackingEvent.objects.create(
            shipment=shipment,
            courier_code=courier.code,
            waybill_no=update.waybill_no,
            action=update.action if update.action in TrackingAction.values else TrackingAction.OTHER,
            occurred_at=update.occurred_at,
            description=update.description[:200],
            node=update.node[:60],
        )
    if shipment is None:
        return None
    if update.kind == "accept":
        shipment.outlet, shipment.courier_staff_name, shipment.courier_staff_phone = (
            update.outlet[:60],
            update.courier_name[:30],
            update.courier_phone[:20],
        )
        if _move(shipment, "confirm", by=by, reason=f"{update.outlet} {update.courier_name} {update.courier_phone}"):
            _emit_booking_confirmed(shipment)
        else:
            shipment.save(update_fields=["outlet", "courier_staff_name", "courier_staff_phone"])
        return shipment
    if update.action == TrackingAction.GOT:
        if shipment.status in (S.REQUESTED, S.CONFIRMED):
            weight = update.real_weight_g or shipment.predicted_weight_g
            shipment.real_weight_g = weight
            shipment.real_price = (
                0  # an order travelling in a merged parcel: the lead's parcel is charged
                if shipment.parcel_lead_id
                else adapter_for(courier).quote(
                    courier,
                    weight_g=weight,
                    from_province=shipment.booking.sender_province,
                    to_province=shipment.province,
                )
            )
            _move(shipment, "pick_up", by=by, reason=update.description)
            _ship_order(shipment, by)
        return shipment
    for name in ADVANCE.get(update.action, []):
        if _move(shipment, name, by=by, reason=update.description):
            if name == "sign":
                _deliver_order(shipment, by)
                emit(
                    type="shipment.delivered",
                    store_id=shipment.store_id,
                    title=_("包裹已签收：%(w)s") % {"w": shipment.waybill_no},
                    body=_("订单 %(sn)s") % {"sn": shipment.order.order_sn},
                    url=reverse("shipping:shipment_detail", args=[shipment.pk]),
                    data={"order_sn": shipment.order.order_sn, "waybill_no": shipment.waybill_no},
                    user_ids=[],  # a busy day delivers thousands: webhooks only, no inbox rows
                )
            if name == "fail" and update.exception_kind == "lost":
                _flag_lost(shipment, update)
            elif name == "fail":
                emit(
                    type="shipment.exception",
                    store_id=shipment.store_id,
                    title=_("包裹异常：%(w)s") % {"w": shipment.waybill_no},
                    body=f"{shipment.order.order_sn}：{update.description}",
                    url=reverse("shipping:shipment_detail", args=[shipment.pk]),
                    data={"order_sn": shipment.order.order_sn, "waybill_no": shipment.waybill_no},
                )
    return shipment


def _flag_lost(shipment: Shipment, update: CourierUpdate) -> None:
    """A parcel the courier reports lost: flagged on the shipment (dashboard card, admin filter, staff overview)
    and told to the store's members as a parcel exception titled 包裹遗失 (inbox; webhooks with `lost: true`)."""
    shipment.lost = True
    shipment.save(update_fields=["lost"])
    emit(
        type="shipment.exception",  # what integrations subscribe to; `data.lost` and the title say which
        store_id=shipment.store_id,
        title=_("包裹遗失：%(w)s") % {"w": shipment.waybill_no},
        body=_("订单 %(sn)s：%(d)s。请联系快递客服登记查件，并安抚买家。")
        % {"sn": shipment.order.order_sn, "d": update.description},
        url=reverse("shipping:shipment_detail", args=[shipment.pk]),
        data={"order_sn": shipment.order.order_sn, "waybill_no": shipment.waybill_no, "lost": True},
    )


def _emit_booking_confirmed(shipment: Shipment) -> None:
    """One notification per booking: when its last waiting parcel is confirmed."""
    if not Shipment.objects.filter(booking_id=shipment.booking_id, status=S.REQUESTED).exists():
        booking = shipment.booking
        emit(
            type="shipment.confirmed",
            store_id=shipment.store_id,
            title=_("%(c)s 已接单：%(no)s") % {"c": shipment.courier.name, "no": booking.booking_no},
            body=_("揽件网点 %(o)s，快递员 %(n)s %(p)s")
            % {
                "o": shipment.outlet,
                "n": shipment.courier_staff_name,
                "p": shipment.courier_staff_phone,
            },
            url=reverse("shipping:booking_detail", args=[booking.booking_no]),
            data={"booking_no": booking.booking_no},
        )


def _record_desk_reply(shipment: Shipment, update: CourierUpdate) -> None:
    CourierMessage.objects.create(
        shipment=shipment,
        store_id=shipment.store_id,
        topic=update.topic or "other",
        sender=CourierMessage.Sender.COURIER,
        body=update.body[:1000],
        created_at=update.occurred_at,
    )
    CourierMessage.objects.filter(
        shipment=shipment, sender=CourierMessage.Sender.MERCHANT, answered_at__isnull=True
    ).update(answered_at=update.occurred_at)
    emit(
        type="courier.message",
        store_id=shipment.store_id,
        title=_("%(c)s 客服回复：%(w)s") % {"c": shipment.courier.name, "w": shipment.waybill_no},
        body=update.body[:200],
        url=reverse("shipping:shipment_detail", args=[shipment.pk]),
        data={"waybill_no": shipment.waybill_no},
    )


def shipments_poll(*, limit: int = 500, repoll_after: timedelta | None = None) -> int:
    """The polling path: read tracking of live parcels whose courier does not push webhooks.

    Per such courier, two range reads of the `shipment_poll_due` index pick the batch, least recently polled
    first: the parcels never polled, then those last polled more than `tracking_repoll` ago (30 min); one
    UPDATE stamps it. A parcel is not asked about again before its interval, so an idle tick is two empty
    index reads per polling courier.
    """
    repoll_after = settings.PORTAL_TIME_RULES["tracking_repoll"] if repoll_after is None else repoll_after
    now = timezone.now()
    batch: list[tuple[Courier, Shipment]] = []
    for courier in Courier.objects.filter(pushes_webhooks=False).order_by("pk"):
        pollable = Shipment.objects.filter(
            ~Q(waybill_no=""), courier=courier, status__in=LIVE, parcel_lead__isnull=True
        ).order_by(F("tracked_at").asc(nulls_first=True), "pk")
        for due in (Q(tracked_at__isnull=True), Q(tracked_at__lte=now - repoll_after)):
            if len(batch) < limit:
                batch += [(courier, s) for s in pollable.filter(due)[: limit - len(batch)]]
    Shipment.objects.filter(pk__in=[s.pk for _c, s in batch]).update(tracked_at=now)
    applied = 0
    for courier, shipment in batch:
        updates = adapter_for(courier).track(courier, waybill_no=shipment.waybill_no)
        applied += courier_updates_apply(courier=courier, updates=updates)["applied"]
    return applied
