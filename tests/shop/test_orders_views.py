"""Merchant order pages (tabs with live counts, filters, search, CSV, detail, ship, re-ship, cancel) and the admin."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import AuditEntry
from shop.models import Order
from shop.services.orders import order_set_risk_hold, order_ship
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db

LIST = "/shop/orders/"


def detail(order) -> str:
    return f"/shop/orders/{order.order_sn}/"


@pytest.fixture
def orders(store):
    """One to ship, one shipped, one unpaid."""
    sku = on_sale_sku(store, stock=50)
    to_ship = pay(place(store, sku, buyer="a", recipient_name="赵六", recipient_phone="13900001111"))
    shipped = pay(place(store, sku, buyer="b", province="广东省", city="深圳市", district="南山区"))
    order_ship(order=shipped, courier_code="SF", waybill_no="SF1234567890123", by="m")
    unpaid = place(store, sku, buyer="c")
    return {"to_ship": to_ship, "shipped": shipped, "unpaid": unpaid}


def listed(response) -> set[str]:
    return {o.order_sn for o in response.context["page"]}


def test_list_shows_tabs_with_live_counts(merchant_client, orders):
    response = merchant_client.get(LIST)
    assert response.status_code == 200
    counts = {key: n for key, _label, n in response.context["tabs"]}
    assert counts == {
        "pending_payment": 1, "grouping": 0, "paid": 1, "shipped": 1,
        "delivered": 0, "completed": 0, "cancelled": 0, "aftersales": 0,
    }  # fmt: skip
    assert listed(merchant_client.get(LIST, {"tab": "paid"})) == {orders["to_ship"].order_sn}
    html = merchant_client.get(LIST, {"tab": "paid"}).content.decode()
    assert 'class="countdown' in html
    partial = merchant_client.get(LIST, {"part": "tabs"}, HTTP_HX_REQUEST="true")
    assert b'data-testid="count-paid">1<' in partial.content and b"<table" not in partial.content


def test_search_and_filters(merchant_client, orders, store):
    to_ship = orders["to_ship"]
    assert listed(merchant_client.get(LIST, {"q": to_ship.order_sn})) == {to_ship.order_sn}
    assert listed(merchant_client.get(LIST, {"q": "13900001111"})) == {to_ship.order_sn}
    assert listed(merchant_client.get(LIST, {"q": "赵六"})) == {to_ship.order_sn}
    assert listed(merchant_client.get(LIST, {"province": "广东省"})) == {orders["shipped"].order_sn}
    product = to_ship.items.get().sku.product
    assert len(listed(merchant_client.get(LIST, {"product": product.pk}))) == 3
    assert listed(merchant_client.get(LIST, {"overdue": "on"})) == set()


def test_overdue_filter_uses_the_clock(merchant_client, orders, time_machine):
    from datetime import timedelta

    time_machine.move_to(orders["to_ship"].ship_by + timedelta(minutes=1), tick=False)
    response = merchant_client.get(LIST, {"overdue": "on"})
    assert listed(response) == {orders["to_ship"].order_sn}
    assert "已超时" in response.content.decode()


def test_bad_filters_show_field_errors(merchant_client, orders, other_store):
    foreign_product = on_sale_sku(other_store).product
    response = merchant_client.get(
        LIST, {"date_from": "2026-03-05", "date_to": "2026-03-01", "product": foreign_product.pk, "province": "火星"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"date_to", "product", "province"} <= set(errors)


def test_csv_export_of_the_filtered_list(merchant_client, orders):
    response = merchant_client.get(LIST, {"tab": "shipped", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][0] == orders["shipped"].order_sn
    assert rows[1][6] == "138****5678"  # shipped: masked


def test_list_uses_a_constant_number_of_queries(merchant_client, store, django_assert_max_num_queries):
    def make(n):
        for i in range(n):
            pay(
                place(
                    store,
                    on_sale_sku(store),
                    buyer=f"x{Order.objects.count()}",
                    buy_mode="group" if i % 2 else "single",
                )
            )

    make(2)
    with CaptureQueriesContext(connection) as ctx:
        merchant_client.get(LIST)
    make(15)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        response = merchant_client.get(LIST)
    assert len(response.context["page"]) == 17


def test_detail_shows_items_price_address_countdown_and_timeline(merchant_client, orders):
    response = merchant_client.get(detail(orders["to_ship"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "赵六" in html and "13900001111" in html and "西湖区" in html
    assert 'data-testid="ship-countdown"' in html and 'data-testid="timeline"' in html
    shipped = merchant_client.get(detail(orders["shipped"])).content.decode()
    assert "138****5678" in shipped and "13812345678" not in shipped
    assert 'value="SF1234567890123"' in shipped  # the re-ship form starts from the current waybill


def test_other_stores_orders_are_404(client, other_store, orders):
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(store=other_store).user
    client.force_login(outsider)
    order = orders["to_ship"]
    assert client.get(detail(order)).status_code == 404
    assert (
        client.post(detail(order) + "ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}).status_code == 404
    )
    assert (
        client.post(detail(order) + "reship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}).status_code
        == 404
    )
    assert client.post(detail(order) + "cancel/", {"reason": "x"}).status_code == 404
    response = client.get(LIST)
    assert len(response.context["page"]) == 0 and response.context["total"] == 0
    order.refresh_from_db()
    assert order.status == "paid"


def test_self_ship_from_the_detail_page(merchant_client, orders):
    order = orders["to_ship"]
    bad = merchant_client.post(detail(order) + "ship/", {"courier_code": "SF", "waybill_no": "123"})
    assert bad.status_code == 400
    assert "waybill_no" in bad.context["ship_form"].errors
    empty = merchant_client.post(detail(order) + "ship/", {})
    assert {"courier_code", "waybill_no"} <= set(empty.context["ship_form"].errors)
    order.refresh_from_db()
    assert order.status == "paid"
    ok = merchant_client.post(detail(order) + "ship/", {"courier_code": "SF", "waybill_no": "SF1234567890456"})
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"


def test_risk_hold_is_shown_and_refused(merchant_client, orders):
    order = orders["to_ship"]
    order_set_risk_hold(order=order, hold=True, reason="风控", by="staff")
    assert "风控审核中" in merchant_client.get(detail(order)).content.decode()
    response = merchant_client.post(detail(order) + "ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "paid"


def test_reship_and_cancel_from_the_detail_page(merchant_client, orders):
    shipped = orders["shipped"]
    bad = merchant_client.post(detail(shipped) + "reship/", {"courier_code": "ZTO", "waybill_no": "ZT-1"})
    assert bad.status_code == 400
    assert "waybill_no" in bad.context["ship_form"].errors
    unchanged = merchant_client.post(
        detail(shipped) + "reship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}
    )
    assert unchanged.status_code == 400
    response = merchant_client.post(detail(shipped) + "reship/", {"courier_code": "ZTO", "waybill_no": "773012345678"})
    assert response.status_code == 302
    shipped.refresh_from_db()
    assert shipped.waybill_no == "773012345678"
    refused = merchant_client.post(detail(shipped) + "cancel/", {"reason": "晚了"})
    assert refused.status_code == 400
    unpaid = orders["unpaid"]
    assert merchant_client.post(detail(unpaid) + "cancel/", {"reason": ""}).status_code == 400
    assert merchant_client.post(detail(unpaid) + "cancel/", {"reason": "买家要求"}).status_code == 302
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.cancel_reason) == ("cancelled", "买家要求")


def test_admin_lists_searches_and_runs_transitions(admin_client, orders):
    order = orders["to_ship"]
    assert admin_client.get("/admin/shop/order/", {"q": order.order_sn}).status_code == 200
    assert admin_client.get(f"/admin/shop/order/{order.pk}/change/").status_code == 200
    for path in ("/admin/shop/groupbuy/", "/admin/shop/compensation/"):
        assert admin_client.get(path).status_code == 200
    admin_client.post("/admin/shop/order/", {"action": "hold_for_risk", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.risk_hold is True
    admin_client.post("/admin/shop/order/", {"action": "release_risk_hold", "_selected_action": [order.pk]})
    admin_client.post("/admin/shop/order/", {"action": "cancel_and_refund", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert (order.risk_hold, order.status) == (False, "cancelled")
    # a refused transition is reported, not a 500
    response = admin_client.post(
        "/admin/shop/order/", {"action": "confirm_receipt", "_selected_action": [order.pk]}, follow=True
    )
    assert response.status_code == 200
    assert AuditEntry.objects.filter(object_id=order.pk, transition="complete").count() == 0


def test_an_open_aftersales_request_shows_under_the_aftersales_tab(merchant_client, api, orders):
    from aftersales.services import aftersales_open

    order = orders["to_ship"]
    item = order.items.get()
    aftersales_open(
        order=order,
        item_id=item.pk,
        buyer_ref=order.buyer_ref,
        type="refund_only",
        reason="quality",
        amount=item.paid_amount,  # before shipment: the whole item
        by="buyer",
    )
    response = merchant_client.get(LIST, {"tab": "aftersales"})
    assert listed(response) == {order.order_sn}
    assert {key: n for key, _label, n in response.context["tabs"]}["aftersales"] == 1
    assert api.get(f"/api/v1/orders/{order.order_sn}/").json()["refund_status"] == 2
    listed_api = {o["order_sn"]: o["refund_status"] for o in api.get("/api/v1/orders/").json()["results"]}
    assert listed_api[order.order_sn] == 2
    assert listed_api[orders["shipped"].order_sn] == 1


def test_cross_border_orders_are_marked_on_the_detail_page(merchant_client, store):
    order = pay(place(store, on_sale_sku(store, product__is_cross_border=True)))
    html = merchant_client.get(detail(order)).content.decode()
    assert 'data-testid="cross-border"' in html and "跨境直邮" in html
    plain = merchant_client.get(detail(pay(place(store, on_sale_sku(store), buyer="b2")))).content.decode()
    assert 'data-testid="cross-border"' not in plain
