"""Staff screens: every shipping model listed; actions call the services."""

import pytest
from django.urls import reverse

from shipping.models import PlatformTicket

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    [
        "courier",
        "senderaddress",
        "booking",
        "shipment",
        "platformticket",
        "couriermessage",
        "trackingevent",
        "webhookreceipt",
        "sandboxparcel",
    ],
)
def test_changelists_render(admin_client, model):
    assert admin_client.get(reverse(f"admin:shipping_{model}_changelist")).status_code == 200


def test_actions_cancel_and_resolve(admin_client, store, sender):
    from shipping import services

    booking = book(store, [paid_order(store)])
    shipment = booking.shipments.get()
    assert admin_client.get(reverse("admin:shipping_booking_change", args=[booking.pk])).status_code == 200
    ticket = services.ticket_report(shipment=shipment, kind="confirm_late", description="", by="m")
    admin_client.post(
        reverse("admin:shipping_platformticket_changelist"), {"action": "resolve", "_selected_action": [ticket.pk]}
    )
    assert PlatformTicket.objects.get().status == "resolved"
    admin_client.post(
        reverse("admin:shipping_shipment_changelist"), {"action": "cancel", "_selected_action": [shipment.pk]}
    )
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
