"""The order list's rows (`shop.templatetags.order_rows`): the same markup the template wrote, escaped, with
the 售后中 flag from the store's open requests."""

import pytest
from django.urls import reverse

from shop.models import Order
from tests.aftersales.conftest import buyer_opens_request, make_order

pytestmark = pytest.mark.django_db


def row_of(page: str, sn: str) -> str:
    start = page.index(f'<tr data-order="{sn}">')
    return page[start : page.index("</tr>", start)]


def test_rows_flag_orders_in_aftersales_and_escape_what_people_typed(merchant_client, store):
    plain, disputed = make_order(store), make_order(store)
    buyer_opens_request(disputed, type="refund_only", amount=100, description="破了")
    Order.objects.filter(pk=plain.pk).update(merchant_memo='<script>alert("x")</script>', memo_flag="red")
    page = merchant_client.get(reverse("shop:order_list")).content.decode()
    assert 'data-testid="in-aftersales"' in row_of(page, disputed.order_sn)
    assert 'data-testid="in-aftersales"' not in row_of(page, plain.order_sn)
    memo = row_of(page, plain.order_sn)
    assert "<script>" not in memo and "&lt;script&gt;" in memo and 'class="flag flag-red"' in memo
    assert f'href="{reverse("shop:order_detail", args=[plain.order_sn])}"' in memo


def test_an_empty_list_says_so(merchant_client):
    page = merchant_client.get(reverse("shop:order_list"), {"q": "nothing-like-this"}).content.decode()
    assert 'colspan="8" class="empty"' in page


def test_the_filter_bar_keeps_the_dates_in_iso_for_the_date_inputs(merchant_client):
    page = merchant_client.get(reverse("shop:order_list"), {"date_from": "2026-11-01", "date_to": "2026-11-07"})
    html = page.content.decode()
    assert 'value="2026-11-01"' in html and 'value="2026-11-07"' in html  # a type=date input shows nothing else
    assert 'type="date"' in html
