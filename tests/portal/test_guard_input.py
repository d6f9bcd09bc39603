"""Bad input on pages is a clear 4xx or a form field error, never a 500 (issue 10, finding 8).

NUL bytes in paths, query strings and form fields answer 400 (portal.guard.BadInputMiddleware); ids,
integers and overlong strings in query strings never reach a 500; forms refuse what overflows a column.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.bounds import INT_MAX, YUAN_MAX, parse_id, parse_ids
from shop.models import Sku
from tests.factories import MembershipFactory, OrderFactory, SkuFactory, StoreFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"

# Every merchant list page with search or filters, and detail pages with ids (13+ routes).
PATHS_WITH_NUL = [
    "/shop/orders/261121-00%00/",
    "/shop/orders/261121-00%00/ship/",
    "/shop/products/%00/",
    "/shipping/bookings/BK%00/",
    "/shipping/bookings/BK%00/labels/",
    "/shipping/bookings/BK%00/cancel/",
    "/shipping/shipments/%00/",
    "/shipping/addresses/%00/",
    "/aftersales/requests/%00/",
    "/settings/webhooks/%00/",
    "/shop/promotions/%00/1/end/",
    "/shop/store/documents/%00/",
    "/data/%00.csv",
    "/payments/sandbox/%00/",
]

LIST_PAGES = [
    ("shop:order_list", ["q", "tab", "date_from", "date_to", "product", "province", "size", "after", "before"]),
    ("shop:product_list", ["q", "status", "page"]),
    ("shop:promotion_list", ["tab", "page"]),
    ("shop:funds", ["kind", "page", "format"]),
    ("shop:deposit_ledger", ["page"]),
    ("shop:evaluation", ["page"]),
    ("shipping:booking_centre", ["tab", "page", "order"]),
    ("shipping:shipment_list", ["q", "status", "overdue", "page"]),
    ("shipping:address_list", ["page"]),
    ("aftersales:request_list", ["tab", "q", "page"]),
    ("aftersales:review_list", ["score", "photos", "unanswered", "page"]),
    ("inbox", ["kind", "filter", "page"]),
    ("data", ["days"]),
    ("home", ["days"]),
    ("webhook_list", ["page"]),
    ("api_keys", ["page"]),
]

# Values that are not NUL but have reached int(), a column or a loop before: none may give a 500.
ODD_VALUES = ["²", "٣", "-1", "99999999999999999999999", "1e9", "abc", "x" * 5000, "%", "'\"<>", "2026-99-99", " "]


@pytest.fixture
def lenient(merchant):
    """A merchant's client that returns a 500 as a response instead of raising, so a test can say which route."""
    client = Client(raise_request_exception=False)
    client.force_login(merchant)
    return client


@pytest.mark.parametrize("path", PATHS_WITH_NUL)
def test_nul_in_a_path_is_400(lenient, path):
    response = lenient.get(path)
    assert response.status_code == 400, path
    assert 'data-testid="bad-request"' in response.content.decode()


@pytest.mark.parametrize(("name", "params"), LIST_PAGES)
def test_nul_in_a_query_parameter_is_400(lenient, name, params):
    for param in params:
        response = lenient.get(reverse(name), {param: f"a{NUL}b"})
        assert response.status_code == 400, (name, param, response.status_code)
    assert lenient.get(reverse(name), {f"x{NUL}": "1"}).status_code == 400  # in a parameter's name too


@pytest.mark.parametrize(("name", "params"), LIST_PAGES)
def test_odd_query_values_never_500(lenient, name, params):
    for param in params:
        for value in ODD_VALUES:
            response = lenient.get(reverse(name), {param: value})
            assert response.status_code < 500, (name, param, value[:20], response.status_code)


def test_nul_in_a_form_field_is_400_and_nothing_is_written(merchant, lenient, store):
    address = {"label": "仓", "contact_name": f"张{NUL}三", "phone": "13812345678", "province": "浙江省"}
    address.update(city="杭州市", district="西湖区", street="文三路 1 号")
    response = lenient.post(reverse("shipping:address_create"), address)
    assert response.status_code == 400
    assert not store.sender_addresses.exists()
    multipart = lenient.post(reverse("shop:product_import"), {"note": NUL})  # multipart form fields too
    assert multipart.status_code == 400


def test_nul_on_the_api_is_400_with_the_error_body(lenient):
    response = lenient.get("/api/v1/orders/", {"q": NUL})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_store_switch_refuses_what_is_not_an_id(merchant, lenient):
    for value in ["abc", "²", "1" * 40, "", "-1", f"1{NUL}"]:
        response = lenient.post(reverse("store_switch"), {"store_id": value})
        assert response.status_code == 400, value


def test_store_switch_to_a_store_of_ones_own(merchant, lenient, store):
    second = MembershipFactory(user=merchant, store=StoreFactory()).store
    assert lenient.post(reverse("store_switch"), {"store_id": str(second.pk)}).status_code == 302
    assert lenient.session["current_store_id"] == second.pk
    stranger = StoreFactory()
    assert lenient.post(reverse("store_switch"), {"store_id": str(stranger.pk)}).status_code == 302
    assert lenient.session["current_store_id"] == second.pk  # not a member: nothing switched


def test_stock_form_refuses_what_overflows_the_column(lenient, store):
    sku = SkuFactory(product__store=store, stock=3)
    url = reverse("shop:product_stock", args=[sku.product.pk])
    for value in [str(INT_MAX + 1), "99999999999999999999999999", "²"]:
        response = lenient.post(url, {f"stock_{sku.pk}": value})
        assert response.status_code == 200, value
        assert f'data-field="stock_{sku.pk}"' in response.content.decode()  # a field error
    assert Sku.objects.get(pk=sku.pk).stock == 3
    lenient.post(url, {f"stock_{sku.pk}": str(INT_MAX)})
    assert Sku.objects.get(pk=sku.pk).stock == INT_MAX  # the column's own maximum still fits


def test_yuan_fields_are_bounded_so_their_fen_fit(lenient, store):
    from shop.forms.catalog import SkuRowForm

    row = {"price": str(YUAN_MAX), "group_price": "1", "stock": "1", "weight_g": "1"}
    row.update(length_mm="0", width_mm="0", height_mm="0")
    fits = SkuRowForm(row)
    assert fits.is_valid() and fits.cleaned_data["price"] == INT_MAX
    too_much = SkuRowForm({**row, "price": "21474836.48"})
    assert not too_much.is_valid() and "price" in too_much.errors


def test_sku_matrix_with_a_forged_form_count_answers_quickly(lenient, store):
    response = lenient.post(
        reverse("shop:product_sku_matrix"), {"specs": "颜色: 红", "form-TOTAL_FORMS": "99999999999"}
    )
    assert response.status_code < 500


def test_order_detail_with_an_overlong_or_odd_sn_is_404(lenient, store):
    OrderFactory(store=store)
    for sn in ["x" * 3000, "²", "'; --"]:
        assert lenient.get(reverse("shop:order_detail", args=[sn])).status_code == 404


def test_parse_id_takes_ascii_digits_within_the_column_only():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7
    assert [parse_id(v) for v in ["²", "٣", "-1", "1.0", "", None, "9" * 30]] == [None] * 7
    assert parse_id(str(INT_MAX + 1), max_value=INT_MAX) is None
    assert parse_ids(["1", "x", "²", "3"]) == [1, 3]
