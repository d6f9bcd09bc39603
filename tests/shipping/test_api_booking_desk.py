"""Online booking driven through the API alone (issue 15): sender addresses, the unbooked list with its
filters, couriers with their waybill formats and pickup days, re-book, cancel, courier conversation, tickets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shipping.models import Shipment

from .conftest import make_sender, paid_order
from .test_api import book_body

pytestmark = pytest.mark.django_db


def test_sender_addresses_list_and_create(api, store):
    assert api.get(reverse("api-shipping-sender-addresses")).json() == []
    body = {"label": "杭州仓", "contact_name": "王五", "phone": "13700001111", "province": "浙江省",
            "city": "杭州市", "district": "余杭区", "street": "仓前街道 1 号"}  # fmt: skip
    created = api.post(reverse("api-shipping-sender-addresses"), body, format="json")
    assert created.status_code == 201 and created.json()["is_default"] is True
    bad = api.post(reverse("api-shipping-sender-addresses"), body | {"phone": "123"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["error"]["fields"]
    assert [a["label"] for a in api.get(reverse("api-shipping-sender-addresses")).json()] == ["杭州仓"]


def test_unbooked_orders_and_their_filters(api, store):
    zhejiang, beijing = paid_order(store), paid_order(store, province="广东省", city="广州市")
    held = paid_order(store, risk_hold=True)
    listed = {o["order_sn"] for o in api.get(reverse("api-shipping-unbooked")).json()["results"]}
    assert listed == {zhejiang.order_sn, beijing.order_sn, held.order_sn}
    by_province = api.get(reverse("api-shipping-unbooked"), {"province": "广东省"}).json()["results"]
    assert [o["order_sn"] for o in by_province] == [beijing.order_sn]
    bookable = api.get(reverse("api-shipping-unbooked"), {"risk_hold": "0"}).json()["results"]
    assert held.order_sn not in {o["order_sn"] for o in bookable}
    assert api.get(reverse("api-shipping-unbooked"), {"failed": "maybe"}).status_code == 400


def test_couriers_carry_waybill_formats_and_pickup_days(api):
    couriers = {c["code"]: c for c in api.get(reverse("api-shipping-couriers")).json()}
    sf = couriers["SF"]
    assert sf["waybill_pattern"] and sf["pickup_days"] and sf["pickup_days"][0]["slots"]


def test_book_then_rebook_cancel_talk_and_report(api, store, django_capture_on_commit_callbacks):
    sender = make_sender(store)
    order = paid_order(store)
    with django_capture_on_commit_callbacks(execute=True):
        booked = api.post(reverse("api-shipping-bookings"), book_body([order], sender), format="json")
    assert booked.status_code == 201, booked.json()
    booking_no = booked.json()["booking_no"]
    assert order.order_sn not in {o["order_sn"] for o in api.get(reverse("api-shipping-unbooked")).json()["results"]}
    with django_capture_on_commit_callbacks(execute=True):
        rebooked = api.post(reverse("api-shipping-rebook", args=[booking_no]), {"courier_code": "YTO"}, format="json")
    assert rebooked.status_code == 201, rebooked.json()
    assert rebooked.json()["courier_code"] == "YTO" and rebooked.json()["booking_no"] != booking_no
    same = api.post(reverse("api-shipping-rebook", args=[rebooked.json()["booking_no"]]), {"courier_code": "YTO"},
                    format="json")  # fmt: skip
    assert same.status_code == 400 and same.json()["error"]["code"] == "same_courier"
    shipment = Shipment.objects.filter(booking__booking_no=rebooked.json()["booking_no"]).get()
    if shipment.waybill_no:
        with django_capture_on_commit_callbacks(execute=True):
            sent = api.post(
                reverse("api-shipping-messages", args=[shipment.pk]), {"topic": "pickup_delay", "body": "何时揽收？"},
                format="json",
            )  # fmt: skip
        assert sent.status_code == 201
        assert (
            api.get(reverse("api-shipping-messages", args=[shipment.pk])).json()["results"][0]["body"] == "何时揽收？"
        )
    ticket = api.post(reverse("api-shipping-tickets", args=[shipment.pk]), {"kind": "pickup_missed"}, format="json")
    assert ticket.status_code == 201 and ticket.json()["status"] == "open"
    assert len(api.get(reverse("api-shipping-tickets", args=[shipment.pk])).json()["results"]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api.post(reverse("api-shipping-booking-cancel", args=[rebooked.json()["booking_no"]]))
    assert cancelled.status_code == 200 and cancelled.json()["shipments"][0]["status"] == "cancelled"
    assert order.order_sn in {o["order_sn"] for o in api.get(reverse("api-shipping-unbooked")).json()["results"]}


def test_another_stores_parcels_are_404(api, other_store):
    order = paid_order(other_store)
    assert api.get(reverse("api-shipping-messages", args=[10**6])).status_code == 404
    assert (
        api.post(reverse("api-shipping-rebook", args=["NOPE"]), {"courier_code": "YTO"}, format="json").status_code
        == 404
    )
    assert order.order_sn not in str(api.get(reverse("api-shipping-unbooked")).json())
