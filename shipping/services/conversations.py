"""Conversations with a courier's service desk, and tickets reporting a courier to the platform."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import user_of
from portal.audit import audit_record
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import transition

from ..carriers.registry import adapter_for
from ..models import (
    CourierMessage,
    PlatformTicket,
    Shipment,
)


@transaction.atomic
def courier_message_send(*, shipment: Shipment, topic: str, body: str, by) -> CourierMessage:
    """The merchant asks the courier's service desk about a parcel; passed to the courier after commit."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("请输入内容。"), fields={"body": [_("请输入内容。")]})
    if not shipment.waybill_no:
        raise Conflict(_("快递尚未返回运单号，暂不能联系客服。"), code="no_waybill")
    message = CourierMessage.objects.create(
        shipment=shipment,
        store_id=shipment.store_id,
        topic=topic,
        sender=CourierMessage.Sender.MERCHANT,
        body=body[:1000],
        author=user_of(by),
    )
    courier, waybill = shipment.courier, shipment.waybill_no
    transaction.on_commit(
        lambda: adapter_for(courier).send_message(courier, waybill_no=waybill, topic=topic, body=message.body)
    )
    return message


@transaction.atomic
def ticket_report(*, shipment: Shipment, kind: str, description: str, by) -> PlatformTicket:
    """Report a courier's broken promise to the platform (one open ticket per parcel and kind)."""
    existing = PlatformTicket.objects.filter(shipment=shipment, kind=kind, status="open").first()
    if existing:
        return existing
    ticket = PlatformTicket.objects.create(
        store_id=shipment.store_id,
        shipment=shipment,
        kind=kind,
        description=description[:2000],
        created_by=user_of(by),
    )
    audit_record(ticket, "create", by=by, reason=ticket.description)
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: PlatformTicket, resolution: str, by) -> PlatformTicket:
    """Staff close a ticket with their resolution; audited."""
    ticket = PlatformTicket.objects.select_for_update().get(pk=ticket.pk)
    require_action(ticket, by, "resolve")
    ticket.resolution = resolution
    transition(ticket, "resolve", by=by, reason=resolution)
    return ticket
