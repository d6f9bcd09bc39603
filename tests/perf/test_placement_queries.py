"""API order placement within its query budget (issue 12: ≤ 8 queries per placement; counted, not timed):
serialised from the objects in hand, promotions cached per store and dropped when they change."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.services.promotions import discount_create, discount_end
from tests.shop.orders_support import ADDRESS, on_sale_sku

pytestmark = pytest.mark.django_db

PLACE = "/api/v1/orders/"


def body(sku, buyer, quantity=1):
    return {"buyer_ref": buyer, "items": [{"sku_id": sku.pk, "quantity": quantity}], "recipient_name": "王五",
            "recipient_phone": "13812345678", **ADDRESS}  # fmt: skip


def placed(storefront, sku, buyer):
    with CaptureQueriesContext(connection) as ctx:
        response = storefront.post(PLACE, body(sku, buyer), format="json")
    assert response.status_code == 201, response.json()
    statements = [q["sql"] for q in ctx.captured_queries]
    return response.json(), statements


def test_placement_runs_at_most_eight_queries_and_answers_what_a_read_answers(store, storefront, api):
    sku = on_sale_sku(store, stock=100)
    placed(storefront, sku, "warm")  # the store's promotions are cached now
    order, statements = placed(storefront, sku, "b1")
    assert len(statements) <= 8, statements
    assert not any("shop_limitedtimediscount" in s or "shop_spendandsave" in s for s in statements)
    assert not any(s.startswith("SELECT") and 'FROM "shop_order"' in s for s in statements)  # no re-read
    read = api.get(f"/api/v1/orders/{order['order_sn']}/").json()
    assert order == {key: read[key] for key in order}


def test_a_new_or_ended_discount_reaches_the_next_order_at_once(store, storefront):
    sku = on_sale_sku(store, price=10000, group_price=8000, stock=100)
    first, _ = placed(storefront, sku, "b1")
    now = timezone.now()
    discount = discount_create(store=store, sku=sku, kind="price", price=7000, starts_at=now - timedelta(minutes=1),
                               ends_at=now + timedelta(days=1), by="t")  # fmt: skip
    second, _ = placed(storefront, sku, "b2")
    discount_end(discount=discount, by="t")
    third, _ = placed(storefront, sku, "b3")
    assert [o["paid_amount"] for o in (first, second, third)] == [10000, 7000, 10000]
