"""Shipping API: quote, book (30 limit), cancel, read bookings / shipments / events, tracking; isolation; schema."""

import pytest
from django.urls import reverse

from shipping.carriers import sandbox
from tests.conftest import api_client_for

from .conftest import make_sender, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender(store):
    return make_sender(store)


def book_body(orders, sender, courier="ZTO"):
    from shipping.models import Courier
    from shipping.selectors import pickup_days

    day, _label, slots = pickup_days(Courier.objects.get(code=courier))[0]
    return {
        "courier_code": courier,
        "sender_address_id": sender.pk,
        "pickup_date": day.isoformat(),
        "pickup_slot": slots[0],
        "orders": [{"order_sn": o.order_sn} for o in orders],
    }


def test_quote_lists_every_courier_with_prices_or_reason(api, store, sender):
    orders = [paid_order(store, flags=["frozen"]), paid_order(store)]
    response = api.post(reverse("api-shipping-quote"), {"order_sns": [o.order_sn for o in orders]}, format="json")
    assert response.status_code == 200
    by_code = {q["courier_code"]: q for q in response.json()}
    assert by_code["SF"]["available"] and by_code["SF"]["total"] == 2400
    assert not by_code["ZTO"]["available"] and "冷冻" in by_code["ZTO"]["reason"]


def test_book_read_track_and_cancel(api, store, sender, fast_sandbox, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api-shipping-bookings"), book_body(orders, sender), format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )
    assert response.status_code == 201, response.json()
    booking = api.get(reverse("api-shipping-booking", args=[response.json()["booking_no"]])).json()
    assert len(booking["shipments"]) == 2 and all(
        s["waybill_no"] and s["booking_status"] == 0 for s in booking["shipments"]
    )
    # a retry with the same key replays, books nothing twice
    again = api.post(
        reverse("api-shipping-bookings"), book_body(orders, sender), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    # without the key, the orders are already booked
    conflict = api.post(reverse("api-shipping-bookings"), book_body(orders, sender), format="json")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "already_booked"
    assert (
        api.get(reverse("api-shipping-booking", args=[booking["booking_no"]])).json()["booking_no"]
        == booking["booking_no"]
    )
    assert len(api.get(reverse("api-shipping-bookings")).json()["results"]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()
        sandbox.tick()
    first, second = booking["shipments"]
    detail = api.get(reverse("api-shipping-shipment", args=[first["id"]])).json()
    assert (
        detail["status"] == "picked_up" and detail["booking_status"] == 200 and detail["events"][0]["action"] == "GOT"
    )
    tracking = api.get(reverse("api-shipping-tracking", args=[first["order_sn"]])).json()
    assert tracking["order_status"] == "shipped" and tracking["shipments"][0]["events"][0]["action"] == "GOT"
    # tracking events come newest first on the shipment and on the buyer's endpoint alike
    times = [e["occurred_at"] for e in detail["events"]]
    assert times == sorted(times, reverse=True) and tracking["shipments"][0]["events"] == detail["events"]
    listed = api.get(reverse("api-shipping-shipments"), {"status": "picked_up"}).json()["results"]
    assert len(listed) == 2
    # collected parcels cannot be cancelled
    refused = api.post(reverse("api-shipping-cancel", args=[second["id"]]))
    assert refused.status_code == 409


def test_cancel_through_the_api(api, store, sender):
    orders = [paid_order(store)]
    shipment = api.post(reverse("api-shipping-bookings"), book_body(orders, sender), format="json").json()["shipments"][
        0
    ]
    response = api.post(reverse("api-shipping-cancel", args=[shipment["id"]]), HTTP_IDEMPOTENCY_KEY="c1")
    assert response.status_code == 200 and response.json()["booking_status"] == 400


def test_the_30_limit_and_bad_input_are_4xx_with_the_error_body(api, store, sender):
    orders = [paid_order(store) for _ in range(31)]
    response = api.post(reverse("api-shipping-bookings"), book_body(orders, sender), format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_orders"
    bad = api.post(reverse("api-shipping-bookings"), {"courier_code": "ZTO"}, format="json")
    assert bad.status_code == 400 and "orders" in bad.json()["error"]["fields"]
    unknown = api.post(
        reverse("api-shipping-bookings"), {**book_body(orders[:1], sender), "courier_code": "XX"}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_courier"
    slot = api.post(
        reverse("api-shipping-bookings"), {**book_body(orders[:1], sender), "pickup_slot": "03:00-04:00"}, format="json"
    )
    assert slot.status_code == 400 and slot.json()["error"]["code"] == "bad_pickup_slot"


def test_another_store_sees_nothing(api, other_api, store, other_store, sender):
    orders = [paid_order(store)]
    booking = api.post(reverse("api-shipping-bookings"), book_body(orders, sender), format="json").json()
    shipment_id = booking["shipments"][0]["id"]
    assert other_api.get(reverse("api-shipping-booking", args=[booking["booking_no"]])).status_code == 404
    assert other_api.get(reverse("api-shipping-shipment", args=[shipment_id])).status_code == 404
    assert other_api.post(reverse("api-shipping-cancel", args=[shipment_id])).status_code == 404
    assert other_api.get(reverse("api-shipping-tracking", args=[orders[0].order_sn])).status_code == 404
    assert other_api.get(reverse("api-shipping-shipments")).json()["results"] == []
    other_sender = make_sender(other_store)
    stolen = other_api.post(reverse("api-shipping-bookings"), book_body(orders, other_sender), format="json")
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "order_not_found"
    foreign_sender = api.post(
        reverse("api-shipping-bookings"), book_body([paid_order(store)], other_sender), format="json"
    )
    assert foreign_sender.status_code == 400


def test_a_key_without_the_shipping_scope_is_refused(store, sender):
    client = api_client_for(store, scopes=["catalog"])
    assert client.get(reverse("api-shipping-shipments")).status_code == 403


def test_list_queries_are_constant(api, store, sender, django_assert_max_num_queries):
    from .conftest import book

    book(store, [paid_order(store) for _ in range(3)])
    with django_assert_max_num_queries(8):
        assert len(api.get(reverse("api-shipping-shipments")).json()["results"]) == 3
    book(store, [paid_order(store) for _ in range(20)])
    with django_assert_max_num_queries(8):
        assert len(api.get(reverse("api-shipping-shipments")).json()["results"]) == 23
    with django_assert_max_num_queries(8):
        assert len(api.get(reverse("api-shipping-bookings")).json()["results"]) == 2


def test_couriers_and_schema(api, client):
    assert {c["code"] for c in api.get(reverse("api-shipping-couriers")).json()} >= {"SF", "ZTO", "JTSD", "EMS"}
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200 and b"/api/v1/shipping/bookings/" in schema.content


def test_booking_leaves_out_an_order_already_booked_and_names_it(api, store, sender):
    booked, fresh = paid_order(store), paid_order(store)
    assert api.post(reverse("api-shipping-bookings"), book_body([booked], sender), format="json").status_code == 201
    response = api.post(reverse("api-shipping-bookings"), book_body([booked, fresh], sender), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [s["order_sn"] for s in body["shipments"]] == [fresh.order_sn]
    assert list(body["refused"]) == [booked.order_sn] and "已下单" in body["refused"][booked.order_sn][0]
