"""The order list at scale: keyset pages (上一页/下一页, page size), search classified by the term, date
bounds at local midnight, the total from the tab count, the cheap 30-second tab refresh, constant queries."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.keyset import decode_cursor, encode_cursor
from shop.models import Order
from shop.selectors.orders import search_q
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

LIST = "/shop/orders/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def listed(response) -> list[str]:
    return [o.order_sn for o in response.context["page"]]


@pytest.fixture
def many(store):
    """45 orders, one a minute, newest last; two share the newest minute to test ties on the key."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI)
    orders = [
        OrderFactory(store=store, order_sn=f"261101-{i:015d}", created_at=start + timedelta(minutes=min(i, 43)))
        for i in range(45)
    ]
    return sorted(orders, key=lambda o: (o.created_at, o.pk), reverse=True)


def test_keyset_pages_walk_forward_and_back_without_gaps(merchant_client, many):
    # given 45 orders and pages of 20
    newest_first = [o.order_sn for o in many]
    # when the merchant walks 下一页 twice and 上一页 once
    first = merchant_client.get(LIST)
    second = merchant_client.get(LIST, {"after": first.context["page"].next_cursor})
    third = merchant_client.get(LIST, {"after": second.context["page"].next_cursor})
    back = merchant_client.get(LIST, {"before": second.context["page"].prev_cursor})
    # then every order is seen once, in order, and 上一页 lands on the first page again
    assert listed(first) + listed(second) + listed(third) == newest_first
    assert not first.context["page"].has_previous and first.context["page"].has_next
    assert not third.context["page"].has_next and third.context["page"].has_previous
    assert listed(back) == newest_first[:20] and not back.context["page"].has_previous
    html = second.content.decode()
    assert 'data-testid="page-prev"' in html and 'data-testid="page-next"' in html
    assert first.context["total"] == 45


def test_page_size_choice(merchant_client, many):
    response = merchant_client.get(LIST, {"size": "50"})
    assert len(listed(response)) == 45 and not response.context["page"].has_next
    assert merchant_client.get(LIST, {"size": "7"}).context["form"].errors.keys() == {"size"}


def test_a_malformed_cursor_shows_the_first_page(merchant_client, many):
    response = merchant_client.get(LIST, {"after": "not-a-cursor"})
    assert response.status_code == 200 and listed(response) == [o.order_sn for o in many[:20]]


def test_cursor_round_trips_to_the_microsecond():
    moment = datetime(2026, 11, 1, 8, 0, 0, 123457, tzinfo=SHANGHAI)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    assert decode_cursor("12.x") is None and decode_cursor("9" * 30 + ".1") is None


def test_search_looks_at_one_column_chosen_by_the_term():
    assert str(search_q("13900001111")) == str(search_q(" 13900001111 "))
    assert "recipient_phone" in str(search_q("13900001111"))
    assert "order_sn__startswith" in str(search_q("261101-0000"))
    assert "recipient_name__startswith" in str(search_q("赵"))


def test_search_by_order_number_prefix_phone_and_name(merchant_client, store):
    a = OrderFactory(
        store=store, order_sn="261101-000000000000001", recipient_name="赵六", recipient_phone="13900001111"
    )
    OrderFactory(store=store, order_sn="261102-000000000000002", recipient_name="钱七")
    assert listed(merchant_client.get(LIST, {"q": "261101"})) == [a.order_sn]
    assert listed(merchant_client.get(LIST, {"q": "13900001111"})) == [a.order_sn]
    assert listed(merchant_client.get(LIST, {"q": "赵"})) == [a.order_sn]
    response = merchant_client.get(LIST, {"q": "赵"})
    assert response.context["total"] == 1  # a filtered list counts its own total


def test_date_filter_uses_local_midnight(merchant_client, store):
    # given orders just before and just after midnight in Shanghai (16:00 UTC)
    late = OrderFactory(store=store, created_at=datetime(2026, 11, 1, 23, 59, tzinfo=SHANGHAI))
    early = OrderFactory(store=store, created_at=datetime(2026, 11, 2, 0, 1, tzinfo=SHANGHAI))
    # when filtering on 2 November only
    response = merchant_client.get(LIST, {"date_from": "2026-11-02", "date_to": "2026-11-02"})
    # then only the order placed after local midnight is listed
    assert listed(response) == [early.order_sn]
    assert listed(merchant_client.get(LIST, {"date_to": date(2026, 11, 1).isoformat()})) == [late.order_sn]


def test_unfiltered_total_comes_from_the_tab_counts_without_a_second_count(merchant_client, many):
    with CaptureQueriesContext(connection) as ctx:
        response = merchant_client.get(LIST, {"tab": "pending_payment"})
    assert response.context["total"] == 45
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "notification" not in q["sql"]]
    assert len(counts) == 1  # GROUP BY status, nothing else (the open after-sales come as their few order ids)
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)


def test_tab_refresh_answers_204_when_nothing_changed(merchant_client, store, many):
    # given the tabs as last rendered
    first = merchant_client.get(LIST, {"part": "tabs"}, HTTP_HX_REQUEST="true")
    version = first.context["counts_version"]
    assert b"<table" not in first.content and f"v={version}".encode() in first.content
    # when nothing changed, the refresh is empty
    same = merchant_client.get(LIST, {"part": "tabs", "v": version}, HTTP_HX_REQUEST="true")
    assert same.status_code == 204 and same.content == b""
    # when an order arrives, the refresh returns the new counts
    OrderFactory(store=store)
    changed = merchant_client.get(LIST, {"part": "tabs", "v": version}, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200 and b'data-testid="count-pending_payment">46<' in changed.content


def test_tab_refresh_runs_only_the_count_queries(merchant_client, many, django_assert_max_num_queries):
    merchant_client.get(LIST)  # session and store settled
    with CaptureQueriesContext(connection) as ctx:
        merchant_client.get(LIST, {"part": "tabs"}, HTTP_HX_REQUEST="true")
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not any('"shop_orderitem"' in sql for sql in sqls), sqls
    assert not any('FROM "shop_order"' in sql and "LIMIT 21" in sql for sql in sqls), sqls


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tab": "paid"},
        {"tab": "aftersales"},
        {"q": "261101-0000"},
        {"q": "13912345678"},
        {"q": "李"},
        {"date_from": "2026-11-01", "date_to": "2026-11-07"},
        {"size": "100"},
    ],
)
def test_each_list_path_uses_at_most_ten_queries_whatever_the_volume(
    merchant_client, store, many, params, django_assert_max_num_queries
):
    deep = merchant_client.get(LIST, params)
    assert deep.status_code == 200
    with django_assert_max_num_queries(10):
        response = merchant_client.get(LIST, params)
    cursor = response.context["page"].next_cursor
    if cursor:
        with django_assert_max_num_queries(10):
            assert merchant_client.get(LIST, {**params, "after": cursor}).status_code == 200


def test_another_stores_cursor_shows_nothing_of_that_store(merchant_client, store, other_store):
    foreign = OrderFactory(store=other_store)
    cursor = encode_cursor(foreign.created_at + timedelta(seconds=1), foreign.pk + 1)
    response = merchant_client.get(LIST, {"after": cursor})
    assert foreign.order_sn not in listed(response)
    assert Order.objects.filter(store=store).count() == 0 and listed(response) == []
