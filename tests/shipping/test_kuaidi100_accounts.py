"""Courier accounts: the settings page (connect, test, couriers, disconnect), secrets encrypted and never
shown or logged, staff see who uses which account, and the kuaidi100 flow through the API."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlparse

import pytest
from django.db import connection
from django.urls import reverse

from portal.models import AuditEntry
from shipping.models import Courier, CourierAccount
from tests.conftest import api_client_for
from tests.factories import MembershipFactory

from .conftest import K100_KEY, K100_SALT, K100_SECRET, connect_kuaidi100, make_sender, paid_order

pytestmark = pytest.mark.django_db
URL = reverse("shipping:courier_account")


def connect_form(**overrides):
    ids = list(Courier.objects.filter(code__in=["ZTO", "SF"]).values_list("pk", flat=True))
    return {"action": "connect", "environment": "test", "key": K100_KEY, "secret": K100_SECRET, "salt": K100_SALT,
            "couriers": ids, **overrides}  # fmt: skip


def test_the_owner_connects_and_tests_an_account(merchant_client, store, fake_kuaidi100, caplog):
    caplog.set_level(logging.DEBUG)
    response = merchant_client.post(URL, connect_form(), follow=True)
    page = response.content.decode()
    account = CourierAccount.objects.get(store=store)
    # then it is saved, tested with a free price query and never shown again
    assert account.is_active and account.verified_at is not None and account.key_hint == "0001"
    assert "连接成功" in page and "••••0001" in page
    assert K100_SECRET not in page and K100_SALT not in page and K100_KEY not in page
    assert [m for m, _p in fake_kuaidi100.calls] == ["batchPrice"]
    assert {c.code for c in account.couriers.all()} == {"ZTO", "SF"}
    # and the secrets are encrypted at rest, never logged
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, secret, salt FROM shipping_courieraccount WHERE id = %s", [account.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("gAAAA") for value in raw) and K100_SECRET not in "".join(raw)
    assert account.secret.reveal() == K100_SECRET and repr(account.secret) == "Secret('***')"
    assert K100_SECRET not in caplog.text and K100_SALT not in caplog.text
    assert AuditEntry.objects.filter(object_id=account.pk, transition__in=["connect", "test"]).count() == 2


def test_a_wrong_secret_says_what_to_check(merchant_client, store, fake_kuaidi100):
    page = merchant_client.post(URL, connect_form(secret="wrong"), follow=True).content.decode()
    account = CourierAccount.objects.get(store=store)
    assert account.verified_at is None and "签名" in account.last_error and "签名" in page


def test_an_expired_key_and_an_unknown_key(merchant_client, store, fake_kuaidi100):
    fake_kuaidi100.accounts["OLDKEY"] = "EXPIRED"
    merchant_client.post(URL, connect_form(key="OLDKEY"))
    assert "过期" in CourierAccount.objects.get(store=store, is_active=True).last_error
    merchant_client.post(URL, connect_form(key="NOSUCHKEY"))
    assert "非法用户" in CourierAccount.objects.get(store=store, is_active=True).last_error
    assert CourierAccount.objects.filter(store=store).count() == 2  # a new key is a new account row


def test_choose_couriers_and_disconnect(merchant_client, store, fake_kuaidi100):
    account = connect_kuaidi100(store, codes=("ZTO",))
    sf = Courier.objects.get(code="SF")
    merchant_client.post(URL, {"action": "couriers", "couriers": [sf.pk]})
    assert [c.code for c in account.couriers.all()] == ["SF"]
    china_post = Courier.objects.get(code="POSTB")  # not offered by kuaidi100 商家寄件
    assert merchant_client.post(URL, {"action": "couriers", "couriers": [china_post.pk]}).status_code == 400
    merchant_client.post(URL, {"action": "disconnect"})
    account.refresh_from_db()
    assert not account.is_active


def test_a_staff_member_who_is_not_the_owner_cannot_open_it(client, store):
    member = MembershipFactory(store=store, role="staff").user
    client.force_login(member)
    assert client.get(URL).status_code == 403


def test_each_store_sees_only_its_own_account(merchant_client, store, other_store, fake_kuaidi100):
    connect_kuaidi100(other_store)
    page = merchant_client.get(URL).content.decode()
    assert 'data-testid="account"' not in page
    assert merchant_client.post(URL, {"action": "disconnect"}).status_code == 404
    assert CourierAccount.objects.get(store=other_store).is_active


def test_staff_see_which_store_uses_which_account_not_the_secrets(admin_client, store, fake_kuaidi100):
    account = connect_kuaidi100(store)
    listing = admin_client.get(reverse("admin:shipping_courieraccount_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:shipping_courieraccount_change", args=[account.pk])).content.decode()
    assert store.name in listing and "••••0001" in listing
    for page in (listing, detail):
        assert K100_SECRET not in page and K100_SALT not in page and "gAAAA" not in page


def test_the_whole_flow_through_the_api(store, fake_kuaidi100, client, django_capture_on_commit_callbacks):
    connect_kuaidi100(store)
    api = api_client_for(store)
    sender = make_sender(store)
    orders = [paid_order(store) for _ in range(30)]
    from shipping.selectors import pickup_days

    day, _label, slots = pickup_days(Courier.objects.get(code="ZTO"))[0]
    body = {"courier_code": "ZTO", "sender_address_id": sender.pk, "pickup_date": day.isoformat(),
            "pickup_slot": slots[0], "orders": [{"order_sn": o.order_sn} for o in orders]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(reverse("api-shipping-bookings"), body, format="json")
    assert created.status_code == 201
    shipments = api.get(reverse("api-shipping-shipments"), {"booking_no": created.json()["booking_no"]}).json()
    rows = shipments["results"]
    assert len(rows) == 30 and all(r["waybill_no"] for r in rows)

    def send(url, form):
        return client.post(
            urlparse(url).path, data=urlencode(form), content_type="application/x-www-form-urlencoded"
        ).json()

    tasks = {o.third_order_id: o.task_id for o in fake_kuaidi100.orders.values()}
    from shipping.models import Shipment

    for s in Shipment.objects.filter(store=store):
        task = tasks[f"{s.booking.booking_no}-{s.pk}"]
        fake_kuaidi100.push(task, 1, deliver=send, courierName="周师傅")
        fake_kuaidi100.push(task, 10, deliver=send, weight="0.9")
        fake_kuaidi100.push(task, 15, deliver=send, feeDetails=[
            {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": "5.50", "payStatus": 1}])  # fmt: skip
    one = api.get(reverse("api-shipping-shipment", args=[rows[0]["id"]])).json()
    assert one["status"] == "picked_up" and one["courier_staff_name"] == "周师傅" and one["carrier_status"] == 15
    assert one["real_price"] == 550 and one["fees"][0]["amount"] == 550 and one["real_weight_g"] == 900


def test_quotes_come_from_kuaidi100_for_the_accounts_couriers(store, fake_kuaidi100, merchant_client):
    connect_kuaidi100(store, codes=("ZTO",))
    sender = make_sender(store)
    orders = [paid_order(store, weight_g=800), paid_order(store, weight_g=800, city="宁波市")]
    api = api_client_for(store)
    body = api.post(reverse("api-shipping-quote"), {"order_sns": [o.order_sn for o in orders],
                                                    "sender_address_id": sender.pk}, format="json").json()  # fmt: skip
    by_code = {row["courier_code"]: row for row in body}
    # then ZTO is priced by kuaidi100 (5.50 yuan first kg, 20 % off), others by the table
    assert [p["price"] for p in by_code["ZTO"]["prices"]] == [440, 440]
    assert by_code["SF"]["total"] == sum(
        Courier.objects.get(code="SF").price_for(weight_g=800, from_province="浙江省", to_province="浙江省")
        for _ in orders
    )
    assert len([m for m, _p in fake_kuaidi100.calls if m == "batchPrice"]) == 2  # two destination cities
    page = merchant_client.get(reverse("shipping:booking_courier"), {"order": [o.pk for o in orders]})
    assert page.status_code == 200 and "4.40" in page.content.decode()
    # when kuaidi100 is down, the table price stands
    fake_kuaidi100.http_error_next("batchPrice", times=4)
    body = api.post(reverse("api-shipping-quote"), {"order_sns": [o.order_sn for o in orders]}, format="json").json()
    assert {r["courier_code"]: r for r in body}["ZTO"]["total"] > 0


def test_cancel_through_the_api_tells_kuaidi100(store, merchant, fake_kuaidi100, django_capture_on_commit_callbacks):
    connect_kuaidi100(store)
    api = api_client_for(store, user=merchant)
    sender = make_sender(store)
    from shipping.selectors import pickup_days

    day, _label, slots = pickup_days(Courier.objects.get(code="SF"))[0]
    body = {"courier_code": "SF", "sender_address_id": sender.pk, "pickup_date": day.isoformat(),
            "pickup_slot": slots[0], "orders": [{"order_sn": paid_order(store).order_sn}]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        shipment = api.post(reverse("api-shipping-bookings"), body, format="json").json()["shipments"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-shipping-cancel", args=[shipment["id"]]), HTTP_IDEMPOTENCY_KEY="k100-c1")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    [order] = fake_kuaidi100.orders.values()
    assert order.status == 99 and order.param["pickupStartTime"] == slots[0][:5]
