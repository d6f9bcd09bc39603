"""The recipient's phone follows one rule everywhere (DOMAIN.md): in full while the order is to be shipped,
masked (138****5678) once it shipped: the order, the shipment page, the shipping API and the label."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils import timezone

from shipping.carriers.base import CourierUpdate
from shipping.models import Courier
from shipping.services import courier_updates_apply
from tests.shipping.conftest import book, paid_order

PHONE = "13812345678"
MASKED = "138****5678"


def pick_up(shipment) -> None:
    update = CourierUpdate(
        message_id=uuid.uuid4().hex, kind="track", waybill_no=shipment.waybill_no, occurred_at=timezone.now(),
        action="GOT", description="揽收", node="杭州",
    )  # fmt: skip
    courier_updates_apply(courier=Courier.objects.get(pk=shipment.courier_id), updates=[update])


def shown(merchant_client, api, shipment) -> dict[str, bool]:
    page = merchant_client.get(reverse("shipping:shipment_detail", args=[shipment.pk])).content.decode()
    resource = api.get(f"/api/v1/shipping/shipments/{shipment.pk}/").json()["recipient_phone"]
    labels = merchant_client.get(reverse("shipping:booking_labels", args=[shipment.booking.booking_no]))
    return {
        "page": PHONE in page,
        "api": resource == PHONE,
        "label": PHONE in labels.content.decode(),
        "masked everywhere": MASKED in page and resource == MASKED and MASKED in labels.content.decode(),
    }


def test_full_while_to_ship_masked_once_picked_up(merchant_client, api, store, sender, django_capture_on_commit_callbacks):
    # given a booked parcel of an order still to be shipped
    order = paid_order(store)
    order.recipient_phone = PHONE
    order.save(update_fields=["recipient_phone"])
    with django_capture_on_commit_callbacks(execute=True):
        shipment = book(store, [order]).shipments.get()
    shipment.refresh_from_db()
    # then the merchant sees the full number on every surface
    assert shown(merchant_client, api, shipment) == {"page": True, "api": True, "label": True, "masked everywhere": False}
    # when the courier picks it up (the order ships)
    pick_up(shipment)
    order.refresh_from_db()
    assert order.status == "shipped" and order.masked_phone() == MASKED
    # then it is masked on every surface
    assert shown(merchant_client, api, shipment) == {
        "page": False, "api": False, "label": False, "masked everywhere": True
    }  # fmt: skip
