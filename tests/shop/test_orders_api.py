"""Order API: buyer side (place, pay, cancel, receipt, complaint), merchant side (list, retrieve, self-ship)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Payment
from portal.payments.providers import get_provider
from shop.models import Order
from tests.conftest import api_client_for
from tests.shop.orders_support import ADDRESS, on_sale_sku, pay, place

pytestmark = pytest.mark.django_db


def order_body(sku, **overrides):
    body = {
        "buyer_ref": "buyer-1",
        "items": [{"sku_id": sku.pk, "quantity": 2}],
        "recipient_name": "王五",
        "recipient_phone": "13812345678",
        **ADDRESS,
        "buyer_note": "放门口",
    }
    body.update(overrides)
    return body


def test_place_pay_callback_and_retrieve(api, client, store, storefront):
    # given
    sku = on_sale_sku(store, stock=10)
    # when the storefront places and pays
    response = storefront.post("/api/v1/orders/", order_body(sku), format="json")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "pending_payment"
    assert (order["deal_status"], order["shipping_status"], order["group_status"]) == (0, 1, 1)
    pay_response = storefront.post(f"/api/v1/orders/{order['order_sn']}/pay/")
    assert pay_response.status_code == 200
    checkout = pay_response.json()
    assert checkout["checkout_url"].startswith("/payments/sandbox/")
    payment = Payment.objects.get(pk=checkout["payment_id"])
    assert payment.reference == order["order_sn"]
    body, headers = get_provider().callback_request(payment)
    callback = client.post("/api/v1/payments/callback/sandbox/", body, content_type="application/json", **headers)
    assert callback.status_code == 200
    # then
    got = api.get(f"/api/v1/orders/{order['order_sn']}/").json()
    assert got["status"] == "paid"
    assert (got["deal_status"], got["shipping_status"], got["refund_status"], got["risk_status"]) == (1, 1, 1, 0)
    assert got["recipient_phone"] == "13812345678"
    assert got["items"][0]["quantity"] == 2
    assert got["ship_by"]


def test_place_is_idempotent(store, storefront):
    sku = on_sale_sku(store, stock=10)
    first = storefront.post("/api/v1/orders/", order_body(sku), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = storefront.post("/api/v1/orders/", order_body(sku), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["order_sn"] == again.json()["order_sn"]
    assert Order.objects.count() == 1
    sku.refresh_from_db()
    assert sku.stock == 8
    other = storefront.post(
        "/api/v1/orders/", order_body(sku, buyer_note="x"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"sku_id": 1, "quantity": 0}]}, "items[0].quantity"),
        ({"buy_mode": "auction"}, "buy_mode"),
        ({"recipient_phone": "1381234567x"}, "recipient_phone"),
        ({"province": "火星省"}, "province"),
        ({"district": "不存在区"}, "district"),
        ({"recipient_name": ""}, "recipient_name"),
        ({"group_id": "abc"}, "group_id"),
    ],
)
def test_place_bad_input_answers_400_with_field_errors(store, overrides, field, storefront):
    sku = on_sale_sku(store)
    response = storefront.post("/api/v1/orders/", order_body(sku, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_place_conflicts_answer_409(store, storefront):
    sku = on_sale_sku(store, stock=1)
    response = storefront.post("/api/v1/orders/", order_body(sku), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"


def test_scopes_are_enforced(store):
    sku = on_sale_sku(store)
    reader = api_client_for(store, scopes=["orders:read"], kind="storefront")
    assert reader.post("/api/v1/orders/", order_body(sku), format="json").status_code == 403
    assert api_client_for(store, scopes=["orders:read"]).get("/api/v1/orders/").status_code == 200
    writer = api_client_for(store, scopes=["orders:write"], kind="storefront")
    assert api_client_for(store, scopes=["orders:write"]).get("/api/v1/orders/").status_code == 403
    assert writer.post("/api/v1/orders/", order_body(sku), format="json").status_code == 201
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/orders/").status_code in (401, 403)


def test_another_stores_order_is_404_everywhere(store, other_api, other_storefront):
    order = pay(place(store, on_sale_sku(store)))
    sn = order.order_sn
    assert other_api.get(f"/api/v1/orders/{sn}/").status_code == 404
    for action, body in [
        ("pay", {}),
        ("cancel", {"reason": "x"}),
        ("confirm-receipt", {}),
        ("extend-receipt", {}),
        ("complain-not-shipped", {}),
        ("ship", {"courier_code": "SF", "waybill_no": "SF1234567890123"}),
    ]:
        client = other_api if action == "ship" else other_storefront
        response = client.post(f"/api/v1/orders/{sn}/{action}/", body, format="json")
        assert response.status_code == 404, action
        assert response.json()["error"]["code"] == "not_found"
    assert other_api.get("/api/v1/orders/").json()["results"] == []
    order.refresh_from_db()
    assert order.status == "paid"


def test_self_ship_through_the_api(api, store):
    order = pay(place(store, on_sale_sku(store)))
    bad = api.post(f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "x"}, format="json")
    assert bad.status_code == 400
    assert "waybill_no" in bad.json()["error"]["fields"]
    missing = api.post(f"/api/v1/orders/{order.order_sn}/ship/", {}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"courier_code", "waybill_no"}
    ok = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}, format="json"
    )
    assert ok.status_code == 200
    data = ok.json()
    assert (data["status"], data["shipping_status"], data["recipient_phone"]) == ("shipped", 2, "138****5678")
    again = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}, format="json"
    )
    assert again.status_code == 200  # the same shipment again changes nothing
    other = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890999"}, format="json"
    )
    assert other.status_code == 409  # a different waybill is a re-ship, a separate action


def test_buyer_cancel_receipt_and_extension(api, store, storefront):
    unpaid = place(store, on_sale_sku(store))
    assert storefront.post(f"/api/v1/orders/{unpaid.order_sn}/cancel/", {}, format="json").status_code == 400
    cancelled = storefront.post(f"/api/v1/orders/{unpaid.order_sn}/cancel/", {"reason": "不要了"}, format="json")
    assert (cancelled.json()["status"], cancelled.json()["deal_status"]) == ("cancelled", 2)
    assert storefront.post(f"/api/v1/orders/{unpaid.order_sn}/pay/").status_code == 409
    order = pay(place(store, on_sale_sku(store)))
    assert storefront.post(f"/api/v1/orders/{order.order_sn}/confirm-receipt/").status_code == 409
    assert storefront.post(f"/api/v1/orders/{order.order_sn}/complain-not-shipped/").status_code == 409
    api.post(f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"})
    extended = storefront.post(f"/api/v1/orders/{order.order_sn}/extend-receipt/")
    assert extended.json()["receipt_extended"] is True
    assert storefront.post(f"/api/v1/orders/{order.order_sn}/extend-receipt/").status_code == 409
    done = storefront.post(f"/api/v1/orders/{order.order_sn}/confirm-receipt/")
    assert (done.json()["status"], done.json()["shipping_status"]) == ("completed", 3)


def test_group_orders_expose_the_group_status(api, store, storefront):
    sku = on_sale_sku(store, product__group_size=2)
    leader = storefront.post(
        "/api/v1/orders/",
        order_body(sku, buy_mode="group", items=[{"sku_id": sku.pk, "quantity": 1}]),
        format="json",
    ).json()
    assert leader["group_status"] == 0 and leader["group_id"]
    pay(Order.objects.get(order_sn=leader["order_sn"]))
    friend = storefront.post(
        "/api/v1/orders/",
        order_body(
            sku,
            buyer_ref="friend",
            buy_mode="group",
            group_id=leader["group_id"],
            items=[{"sku_id": sku.pk, "quantity": 1}],
        ),
        format="json",
    ).json()
    pay(Order.objects.get(order_sn=friend["order_sn"]))
    got = api.get(f"/api/v1/orders/{leader['order_sn']}/").json()
    assert (got["status"], got["group_status"], got["deal_status"]) == ("paid", 1, 1)


def test_list_filters_and_cursor_pagination(api, store, time_machine):
    sku = on_sale_sku(store, stock=100)
    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    old = place(store, sku, buyer="old")
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    paid = [pay(place(store, sku, buyer=f"b{i}")) for i in range(3)]
    listing = api.get("/api/v1/orders/", {"page_size": 2}).json()
    assert len(listing["results"]) == 2 and listing["next"]
    rest = api.get(listing["next"]).json()
    assert len(rest["results"]) == 2 and not rest["next"]
    assert {o["order_sn"] for o in listing["results"] + rest["results"]} == {old.order_sn, *(o.order_sn for o in paid)}
    by_status = api.get("/api/v1/orders/", {"status": "paid"}).json()["results"]
    assert {o["order_sn"] for o in by_status} == {o.order_sn for o in paid}
    since = api.get("/api/v1/orders/", {"updated_since": "2026-03-02T00:00:00+08:00"}).json()["results"]
    assert old.order_sn not in {o["order_sn"] for o in since}
    bad = api.get("/api/v1/orders/", {"status": "nope", "updated_since": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"status", "updated_since"}


def count_queries(callable_) -> int:
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


def test_list_uses_a_constant_number_of_queries(api, store, django_assert_max_num_queries):
    def make(n):
        for i in range(n):
            sku = on_sale_sku(store, stock=5)
            pay(place(store, sku, buyer=f"q{Order.objects.count()}-{i}", buy_mode="group" if i % 2 else "single"))

    make(2)
    small = count_queries(lambda: api.get("/api/v1/orders/", {"page_size": 200}))
    make(12)
    with django_assert_max_num_queries(small):
        response = api.get("/api/v1/orders/", {"page_size": 200})
    assert len(response.json()["results"]) == 14


def test_openapi_schema_generates(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/orders/" in response.content


def test_paying_twice_reuses_the_open_payment(store, storefront):
    order = place(store, on_sale_sku(store))
    first = storefront.post(f"/api/v1/orders/{order.order_sn}/pay/").json()
    second = storefront.post(f"/api/v1/orders/{order.order_sn}/pay/").json()
    assert first["payment_id"] == second["payment_id"]
    assert first["amount"] == order.paid_amount


def test_cross_border_products_and_orders_say_so(api, store):
    """跨境直邮 is written on the product through the API and read back on the order it makes."""
    sku = on_sale_sku(store)
    flagged = api.patch(f"/api/v1/products/{sku.product_id}/", {"is_cross_border": True}, format="json")
    assert flagged.status_code == 200 and flagged.json()["is_cross_border"] is True
    order = pay(place(store, sku))
    body = api.get(f"/api/v1/orders/{order.order_sn}/").json()
    assert body["cross_border"] is True and body["ship_by"]


def test_the_buyer_changes_the_address_before_shipping_only(api, store, storefront, django_capture_on_commit_callbacks):
    from portal.models import AuditEntry, Event

    order = pay(place(store, on_sale_sku(store)))
    new = {"recipient_name": "钱七", "recipient_phone": "13700001111", **ADDRESS, "street": "文一路 1 号"}
    url = f"/api/v1/orders/{order.order_sn}/address/"
    bad = storefront.post(url, {**new, "recipient_phone": "123"}, format="json")
    assert bad.status_code == 400 and "recipient_phone" in bad.json()["error"]["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        changed = storefront.post(url, new, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["recipient_name"], changed.json()["street"]) == ("钱七", "文一路 1 号")
    entry = AuditEntry.objects.get(object_id=order.pk, transition="change_address")
    assert "钱七" in entry.reason and "13700001111" not in str(entry.data)
    event = Event.objects.get(type="order.address_changed", store=store)
    assert event.payload["data"] == {"order_sn": order.order_sn, "province": "浙江省", "city": "杭州市",
                                     "district": "西湖区"}  # fmt: skip
    api.post(f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"})
    assert storefront.post(url, {**new, "street": "别处"}, format="json").status_code == 409
    assert Order.objects.get(pk=order.pk).street == "文一路 1 号"


def test_the_buyer_changes_the_note_before_shipping_only(api, store, storefront, django_capture_on_commit_callbacks):
    from portal.models import AuditEntry, Event

    order = pay(place(store, on_sale_sku(store)))
    url = f"/api/v1/orders/{order.order_sn}/buyer-note/"
    assert storefront.post(url, {"buyer_note": "x" * 201}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        changed = storefront.post(url, {"buyer_note": "请用顺丰"}, format="json")
    assert changed.status_code == 200 and changed.json()["buyer_note"] == "请用顺丰"
    assert AuditEntry.objects.filter(object_id=order.pk, transition="change_buyer_note", reason="请用顺丰").exists()
    event = Event.objects.get(type="order.buyer_note_changed", store=store)
    assert event.payload["data"] == {"order_sn": order.order_sn, "buyer_note": "请用顺丰"}
    api.post(f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"})
    assert storefront.post(url, {"buyer_note": "晚了"}, format="json").status_code == 409


def test_the_detail_offers_each_side_its_own_actions(store, storefront, api):
    """A storefront key is the buyer's side: the detail's `actions` are the buyer's, never the merchant's who made
    the key (it listed ship, book and cancel to the storefront)."""
    from tests.shop.orders_support import on_sale_sku, pay, place

    order = pay(place(store, on_sale_sku(store)))
    buyer = set(storefront.get(f"/api/v1/orders/{order.order_sn}/").json()["actions"])
    merchant = set(api.get(f"/api/v1/orders/{order.order_sn}/").json()["actions"])
    assert {"buyer_cancel", "change_address", "change_buyer_note"} <= buyer
    assert not buyer & {"ship", "book", "cancel", "ship_no_logistics"}
    assert {"ship", "book", "cancel"} <= merchant and not merchant & {"buyer_cancel", "change_address"}
