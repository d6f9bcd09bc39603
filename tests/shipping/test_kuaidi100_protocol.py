"""The kuaidi100 adapter over real HTTP against the protocol double: signatures, shapes, faults, reasons."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.exceptions import ValidationFailed
from shipping.carriers import kuaidi100
from shipping.carriers.base import Address, BatchRequest, ParcelRequest
from shipping.carriers.kuaidi100 import (
    Kuaidi100Adapter,
    Kuaidi100Client,
    Kuaidi100Error,
    Kuaidi100Unavailable,
    merchant_reason,
    parse_status_callback,
    parse_trace_callback,
)
from shipping.models import Courier

from .conftest import K100_KEY, K100_SALT, K100_SECRET

pytestmark = pytest.mark.django_db

SENDER = Address("王五", "13700001111", "浙江省", "杭州市", "余杭区", "仓前街道 1 号")


def request_for(courier: Courier, n: int = 1, *, street: str = "文三路 100 号") -> BatchRequest:
    day = timezone.localdate() + timedelta(days=1)
    return BatchRequest(
        booking_no="BK2612010000001",
        courier_code=courier.code,
        sender=SENDER,
        pickup_date=day,
        pickup_slot=courier.pickup_slots[0],
        parcels=[
            ParcelRequest(
                order_ref=f"261201-{i:015d}",
                recipient=Address("张三", "13800001111", "上海市", "上海市", "浦东新区", street),
                weight_g=1200,
                goods="纸巾",
                ref=f"BK2612010000001-{i}",
            )
            for i in range(n)
        ],
    )


def test_a_call_is_signed_as_documented(fake_kuaidi100):
    # given a client with the account's key and secret
    client = Kuaidi100Client(endpoint=fake_kuaidi100.url, key=K100_KEY, secret=K100_SECRET)
    form = client.form("batchPrice", {"kuaidiComList": ["zhongtong"]})
    # then sign = upper MD5(param + t + key + secret)
    assert form["sign"] == kuaidi100.md5_upper(form["param"] + form["t"] + K100_KEY + K100_SECRET)
    assert form["sign"].isupper() and len(form["sign"]) == 32
    # and the double accepts it
    data = client.call(
        "batchPrice", {"kuaidiComList": ["zhongtong"], "sendManPrintAddr": "杭州", "recManPrintAddr": "上海"}
    )
    assert data[0]["kuaidiCom"] == "zhongtong" and data[0]["price"]


def test_a_wrong_secret_is_a_signature_error_with_a_reason(fake_kuaidi100):
    client = Kuaidi100Client(endpoint=fake_kuaidi100.url, key=K100_KEY, secret="wrong")
    with pytest.raises(Kuaidi100Error) as err:
        client.call(
            "batchPrice", {"kuaidiComList": ["zhongtong"], "sendManPrintAddr": "杭州", "recManPrintAddr": "上海"}
        )
    assert err.value.return_code == "503" and "secret" in err.value.reason
    assert fake_kuaidi100.calls == [] and fake_kuaidi100.rejected == [("batchPrice", "503")]


def test_batch_price_is_at_most_15_couriers_a_call(fake_kuaidi100, k100_account):
    # given 20 couriers to quote
    couriers = [type("C", (), {"kuaidi100_code": c})() for c in list(kuaidi100_codes()) * 3][:20]
    quotes = Kuaidi100Adapter(k100_account).quote_many(couriers, weight_g=2500, from_address="杭州", to_address="上海")
    # then two calls (15 + 5), every call within the limit
    sizes = [len(p["kuaidiComList"]) for m, p in fake_kuaidi100.calls if m == "batchPrice"]
    assert sizes == [15, 5]
    assert quotes["shunfeng"].price == 1600 and quotes["shunfeng"].list_price == 2000  # 12 + 2 × 4 yuan, 20 % off


def kuaidi100_codes():
    return list(Courier.objects.exclude(kuaidi100_code="").values_list("kuaidi100_code", flat=True))


def test_book_each_calls_border_once_per_parcel_concurrently(fake_kuaidi100, k100_account, settings):
    settings.KUAIDI100_BOOKING_CONCURRENCY = 4
    courier = Courier.objects.get(code="ZTO")
    results = list(Kuaidi100Adapter(k100_account).book_each(courier, request_for(courier, 30)))
    borders = [p for m, p in fake_kuaidi100.calls if m == "bOrder"]
    assert len(results) == 30 and all(r.ok and r.carrier_task_id and r.waybill_no for r in results)
    assert len(borders) == 30 and len({p["thirdOrderId"] for p in borders}) == 30
    first = borders[0]
    assert first["salt"] == K100_SALT and first["callBackUrl"].endswith("/status/") and first["op"] == "1"
    assert first["dayType"] == "明天" and first["payment"] == "SHIPPER"
    assert all(r.predicted_price for r in results)


def test_sf_requires_a_slot_and_gets_it(fake_kuaidi100, k100_account):
    courier = Courier.objects.get(code="SF")
    [result] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    param = next(p for m, p in fake_kuaidi100.calls if m == "bOrder")
    assert result.ok and param["pickupStartTime"] == "09:00" and param["pickupEndTime"] == "10:00"


def test_same_day_couriers_send_only_the_day(k100_account):
    courier = Courier.objects.get(code="ZTO")  # one all-day slot: no slot confirmation
    assert kuaidi100.pickup_fields(courier, timezone.localdate(), "09:00-19:00") == {"dayType": "今天"}
    with pytest.raises(ValidationFailed):
        kuaidi100.pickup_fields(courier, timezone.localdate() + timedelta(days=3), "09:00-19:00")


def test_cargo_is_sent_for_couriers_that_need_it(fake_kuaidi100, k100_account):
    courier = Courier.objects.get(code="JD")
    req = request_for(courier)
    req = BatchRequest(**{**req.__dict__, "parcels": [ParcelRequest(**{**req.parcels[0].__dict__, "goods": ""})]})
    [result] = Kuaidi100Adapter(k100_account).book_batch(courier, req)
    assert result.ok and next(p for m, p in fake_kuaidi100.calls if m == "bOrder")["cargo"]


def test_yunda_gives_no_waybill_at_booking(fake_kuaidi100, k100_account):
    courier = Courier.objects.get(code="YUNDA")
    [result] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    assert result.ok and result.waybill_no == "" and result.carrier_task_id


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("承运快递在当前订单的寄收地因风控暂不支持下单，请更换其他快递", "风控"),
        ("收件人详细地址中含有的中文字符个数较少", "地址太短"),
        ("目的网点停派", "暂停派送"),
        ("该区域暂时不开放", "暂未开放"),
        ("大于 2.49 公斤,请用德邦大件360", "德邦"),
        ("当前线路未设置价格", "暂无报价"),
    ],
)
def test_business_failures_become_reasons_with_another_courier(fake_kuaidi100, k100_account, message, expected):
    courier = Courier.objects.get(code="ZTO")
    fake_kuaidi100.business_failures["zhongtong"] = message
    [result] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    assert not result.ok and not result.unknown and expected in result.failure_reason
    assert fake_kuaidi100.orders == {}


@pytest.mark.parametrize("code", ["400", "500", "501", "503", "600", "601", "700", "999"])
def test_every_return_code_has_a_reason(code):
    assert merchant_reason(code, "x")


def test_a_5xx_or_a_timeout_is_an_unknown_outcome_not_a_failure(fake_kuaidi100, k100_account, settings):
    settings.KUAIDI100_TIMEOUT_SECONDS = 0.3
    courier = Courier.objects.get(code="ZTO")
    fake_kuaidi100.http_error_next("bOrder", status=502)
    [r1] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    assert r1.unknown and not r1.ok and fake_kuaidi100.orders == {}
    # a slow answer: kuaidi100 booked it, we never heard
    fake_kuaidi100.slow_next("bOrder", seconds=1)
    [r2] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    assert r2.unknown and len(fake_kuaidi100.orders) == 1
    # the retry with the same thirdOrderId finds the first booking (501 with its data): not booked twice
    [r3] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    assert r3.ok and r3.carrier_task_id == next(iter(fake_kuaidi100.orders)) and len(fake_kuaidi100.orders) == 1


def test_an_unreachable_endpoint_is_unavailable():
    client = Kuaidi100Client(endpoint="http://127.0.0.1:9/api/order/borderapi.do", key="k", secret="s", timeout=0.5)
    with pytest.raises(Kuaidi100Unavailable):
        client.call("detail", {"taskId": "T1"})


def test_cancel_and_detail(fake_kuaidi100, k100_account):
    courier = Courier.objects.get(code="ZTO")
    adapter = Kuaidi100Adapter(k100_account)
    [result] = adapter.book_batch(courier, request_for(courier))
    assert adapter.detail(task_id=result.carrier_task_id)["status"] == 0
    assert adapter.cancel(courier, task_id=result.carrier_task_id, order_id=result.carrier_order_id, reason="x" * 50)
    assert adapter.detail(task_id=result.carrier_task_id)["status"] == 99
    assert next(p for m, p in fake_kuaidi100.calls if m == "cancel")["cancelMsg"] == "x" * 30


def test_callbacks_are_verified_with_the_salt(fake_kuaidi100, k100_account):
    courier = Courier.objects.get(code="ZTO")
    [result] = Kuaidi100Adapter(k100_account).book_batch(courier, request_for(courier))
    url, form = fake_kuaidi100.callback(
        result.carrier_task_id, 15, weight="1.35", freight="8.80", feeDetails=[
            {"feeType": "TRANSPORT", "feeDesc": "运费", "amount": "8.80", "payStatus": 1},
            {"feeType": "INSURANCE", "feeDesc": "保价费", "amount": "1.00", "payStatus": 1},
        ],
    )  # fmt: skip
    push = parse_status_callback(form, salt=K100_SALT)
    assert push.status == 15 and push.weight_g == 1350 and push.fee_total == 980 and push.name == "settled"
    assert push.third_order_id == result.ref
    with pytest.raises(ValidationFailed):
        parse_status_callback(form, salt="another-salt")
    tampered = {**form, "param": form["param"].replace("8.80", "0.01")}
    with pytest.raises(ValidationFailed):
        parse_status_callback(tampered, salt=K100_SALT)
    url, form = fake_kuaidi100.trace(
        result.carrier_task_id, [("揽收", "已揽收"), ("在途", "到达杭州"), ("签收", "已签收")]
    )
    trace = parse_trace_callback(form, salt=K100_SALT)
    assert [p.action for p in trace.points] == ["GOT", "DEPARTURE", "SIGN"] and url.endswith("/trace/")
    assert json.loads(form["param"])["lastResult"]["nu"] == result.waybill_no


@pytest.mark.parametrize(("clock", "today_slots"), [("16:59", ["16:00-19:00"]), ("17:01", [])])
def test_no_booking_within_2_hours_of_a_slots_end(clock, today_slots):
    from datetime import datetime, time

    from shipping.selectors import pickup_days

    courier = Courier.objects.get(code="YTO")  # 09–12 / 12–16 / 16–19
    now = timezone.make_aware(datetime.combine(timezone.localdate(), time.fromisoformat(clock)))
    days = pickup_days(courier, now=now)
    today = [slots for day, _label, slots in days if day == now.date()]
    assert (today[0] if today else []) == today_slots
    assert days[-1][2] == courier.pickup_slots  # the day after tomorrow: every slot
