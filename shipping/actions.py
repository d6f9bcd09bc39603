"""What people may do to parcels and platform tickets, from the FSM (portal.actions)."""

from __future__ import annotations

from portal.actions import Action, available_actions, declare, is_member, staff_with

from .models import Shipment

declare(
    "shipping.Shipment",
    [
        # merchant: cancel while unweighed (the FSM's guard); re-booking goes through the booking
        Action("cancel", transition="cancel", who=is_member),
        # platform staff
        Action("staff_cancel", transition="cancel", who=staff_with("shipping.change_shipment")),
    ],
)
declare(
    "shipping.PlatformTicket",
    [Action("resolve", transition="resolve", who=staff_with("shipping.change_platformticket"))],
)


def shipment_actions(shipment: Shipment, actor) -> frozenset[str]:
    """What `actor` may do to the parcel now (the selector pages, admin and API ask)."""
    return available_actions(shipment, actor)
