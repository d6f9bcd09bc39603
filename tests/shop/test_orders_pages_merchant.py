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
