"""The courier webhook endpoint: HMAC signature, timestamp window, replays and duplicates ignored."""

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shipping.carriers.base import CourierUpdate
from shipping.carriers.sandbox import SandboxAdapter
from shipping.models import TrackingEvent, WebhookReceipt

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db
URL = reverse("api-shipping-webhook", args=["ZTO"])


@pytest.fixture
def shipment(store, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)])
    return booking.shipments.get()


def accept(shipment, message_id="m1"):
    return CourierUpdate(
        message_id=message_id, kind="accept", waybill_no=shipment.waybill_no, occurred_at=timezone.now(),
        outlet="杭州西湖网点", courier_name="王师傅", courier_phone="13800000000",
    )  # fmt: skip


def post(client, body: bytes, headers: dict):
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_signed_message_is_applied(client, shipment):
    body, headers = SandboxAdapter().signed_request([accept(shipment)], courier_code="ZTO")
    response = post(client, body, headers)
    assert response.status_code == 200 and response.json() == {"applied": 1, "duplicates": 0}
    shipment.refresh_from_db()
    assert shipment.status == "confirmed" and shipment.courier_staff_name == "王师傅"


def test_a_bad_signature_is_refused_and_changes_nothing(client, shipment):
    body, headers = SandboxAdapter().signed_request([accept(shipment)], courier_code="ZTO")
    headers["HTTP_X_COURIER_SIGNATURE"] = "0" * 64
    response = post(client, body, headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_signature"
    tampered = body.replace("王师傅".encode(), "李师傅".encode())
    assert post(client, tampered, headers).status_code == 400
    shipment.refresh_from_db()
    assert shipment.status == "requested" and WebhookReceipt.objects.count() == 0


def test_a_stale_timestamp_replay_is_refused(client, shipment, time_machine):
    body, headers = SandboxAdapter().signed_request([accept(shipment)], courier_code="ZTO")
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    response = post(client, body, headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_timestamp"
    assert WebhookReceipt.objects.count() == 0


def test_a_duplicate_message_is_ignored(client, shipment):
    update = CourierUpdate(
        message_id="scan-1", kind="track", waybill_no=shipment.waybill_no, occurred_at=timezone.now(),
        action="GOT", description="已揽收", real_weight_g=900,
    )  # fmt: skip
    adapter = SandboxAdapter()
    assert post(client, *adapter.signed_request([update], courier_code="ZTO")).json() == {"applied": 1, "duplicates": 0}
    # the courier retries the same message (freshly signed): ignored
    assert post(client, *adapter.signed_request([update], courier_code="ZTO")).json() == {"applied": 0, "duplicates": 1}
    assert TrackingEvent.objects.filter(waybill_no=shipment.waybill_no).count() == 1
    shipment.refresh_from_db()
    assert shipment.status == "picked_up" and shipment.order.status == "shipped"


def test_malformed_bodies_and_unknown_couriers_are_4xx(client, shipment):
    adapter = SandboxAdapter()
    for payload in (b"not json", json.dumps({"messages": [{"kind": "track"}]}).encode(), b"{}"):
        ts = str(int(time.time()))
        headers = {"HTTP_X_COURIER_TIMESTAMP": ts, "HTTP_X_COURIER_SIGNATURE": adapter.sign(payload, ts, "ZTO")}
        response = post(client, payload, headers)
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_body"
    body, headers = adapter.signed_request([accept(shipment)], courier_code="ZTO")
    response = client.post(
        reverse("api-shipping-webhook", args=["NOPE"]), data=body, content_type="application/json", **headers
    )
    assert response.status_code == 400


def test_scans_of_unknown_waybills_are_kept_for_fake_shipping_checks(client, shipment):
    from shipping.selectors import has_pickup_scan

    update = CourierUpdate(
        message_id="x", kind="track", waybill_no="73100000000001", occurred_at=timezone.now(), action="GOT"
    )
    assert post(client, *SandboxAdapter().signed_request([update], courier_code="ZTO")).status_code == 200
    assert has_pickup_scan("ZTO", "73100000000001") and not has_pickup_scan("ZTO", "73100000000002")


def test_the_fake_shipping_hook_of_orders_is_answered_from_tracking_events(client, store):
    from portal import hooks

    from .conftest import paid_order

    scanned, silent = paid_order(store), paid_order(store)
    for order, waybill in ((scanned, "73100000000011"), (silent, "73100000000012")):
        order.courier_code, order.waybill_no = "ZTO", waybill
    update = CourierUpdate(
        message_id="y", kind="track", waybill_no="73100000000011", occurred_at=timezone.now(), action="GOT"
    )
    post(client, *SandboxAdapter().signed_request([update], courier_code="ZTO"))
    assert hooks.pickup_scanned_orders.call([scanned, silent]) == {scanned.pk}
