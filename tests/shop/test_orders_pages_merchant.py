"""The order pages as a merchant reads them: words for platform codes, courier names, labelled deadlines,
merchant memos with flags, batch actions on a selection."""

import csv
import io
import re

import pytest

from shop.services.orders import order_ship
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db

LIST = "/shop/orders/"


def detail(order) -> str:
    return f"/shop/orders/{order.order_sn}/"


@pytest.fixture
def shipped(store):
    sku = on_sale_sku(store, stock=20)
    order = pay(place(store, sku))
    order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="m")
    return order


def test_platform_status_reads_as_words_not_codes(merchant_client, shipped):
    html = merchant_client.get(detail(shipped)).content.decode()
    platform = re.search(r'data-testid="platform-status">(.*?)</dd>', html, re.S).group(1)
    assert "已发货" in platform and "已成交" in platform and "无售后" in platform and "正常" in platform
    assert not re.search(r"\d", platform)


def test_waybill_shows_the_courier_name(merchant_client, shipped):
    html = merchant_client.get(detail(shipped)).content.decode()
    assert "顺丰速运 SF1234567890123" in html


def test_csv_names_the_courier(merchant_client, shipped):
    response = merchant_client.get(LIST, {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "顺丰速运 SF1234567890123"


@pytest.fixture
def two_to_ship(store):
    sku = on_sale_sku(store, stock=20)
    return [pay(place(store, sku, buyer=b, recipient_phone="13900002222")) for b in ("a", "b")]


def test_deadline_column_says_which_deadline(merchant_client, two_to_ship, shipped):
    html = merchant_client.get(LIST).content.decode()
    cells = re.findall(r'data-testid="deadline"[^>]*>(.*?)</td>', html, re.S)
    assert any("发货截止" in c for c in cells) and any("自动确认收货" in c for c in cells)


def test_memo_with_flag_on_one_order_is_audited(merchant_client, shipped):
    from portal.models import AuditEntry

    response = merchant_client.post(f"{detail(shipped)}memo/", {"memo": "客户要求周末送", "flag": "red"})
    assert response.status_code == 302
    shipped.refresh_from_db()
    assert (shipped.merchant_memo, shipped.memo_flag) == ("客户要求周末送", "red")
    entry = AuditEntry.objects.filter(object_id=shipped.pk, transition="memo").get()
    assert entry.reason == "客户要求周末送" and entry.data["flag"] == "red"
    html = merchant_client.get(LIST).content.decode()
    assert 'class="flag flag-red"' in html and "客户要求周末送" in html
    assert merchant_client.post(f"{detail(shipped)}memo/", {"memo": "x", "flag": "pink"}).status_code == 400


def test_batch_memo_sets_each_selected_order_only(merchant_client, two_to_ship, shipped):
    a, b = two_to_ship
    response = merchant_client.post(
        "/shop/orders/batch/", {"op": "memo", "order": [a.pk, b.pk], "memo": "加急", "flag": "yellow"}, follow=True
    )
    assert "已更新 2 个订单的商家备注" in response.content.decode()
    a.refresh_from_db(), b.refresh_from_db(), shipped.refresh_from_db()
    assert a.memo_flag == b.memo_flag == "yellow" and shipped.memo_flag == ""


def test_batch_ignores_other_stores_orders(merchant_client, other_store):
    foreign = pay(place(other_store, on_sale_sku(other_store)))
    response = merchant_client.post(
        "/shop/orders/batch/", {"op": "memo", "order": [foreign.pk], "memo": "x"}, follow=True
    )
    foreign.refresh_from_db()
    assert foreign.merchant_memo == "" and "请先勾选订单" in response.content.decode()


def test_batch_export_is_the_selection_with_the_phone_rule(merchant_client, two_to_ship, shipped):
    a, _b = two_to_ship
    response = merchant_client.post("/shop/orders/batch/", {"op": "export", "order": [a.pk, shipped.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_sn = {row[0]: row for row in rows[1:]}
    assert set(by_sn) == {a.order_sn, shipped.order_sn}
    assert by_sn[a.order_sn][6] == "13900002222"  # to ship: shown in full
    assert by_sn[shipped.order_sn][6] == "138****5678"  # shipped: masked


def test_batch_book_goes_to_the_booking_flow_with_the_bookable_selection(merchant_client, two_to_ship, shipped):
    a, b = two_to_ship
    response = merchant_client.post("/shop/orders/batch/", {"op": "book", "order": [a.pk, b.pk, shipped.pk]})
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith("/shipping/booking/courier/")
    assert f"order={a.pk}" in target and f"order={b.pk}" in target and f"order={shipped.pk}" not in target


def test_the_list_filters_by_memo_flag_in_constant_queries(merchant_client, store, two_to_ship, shipped):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shop.models import Order

    a, b = two_to_ship
    Order.objects.filter(pk__in=[a.pk, shipped.pk]).update(memo_flag="red")
    Order.objects.filter(pk=b.pk).update(memo_flag="green")
    with CaptureQueriesContext(connection) as ctx:
        red = merchant_client.get(LIST, {"memo_flag": "red"})
    assert {o.pk for o in red.context["page"]} == {a.pk, shipped.pk}
    Order.objects.filter(pk=b.pk).update(memo_flag="red")
    with CaptureQueriesContext(connection) as more:
        again = merchant_client.get(LIST, {"memo_flag": "red"})
    assert len(again.context["page"]) == 3 and len(more.captured_queries) <= len(ctx.captured_queries)
    assert {o.pk for o in merchant_client.get(LIST, {"memo_flag": "green"}).context["page"]} == set()
