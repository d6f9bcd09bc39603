"""Stock is never oversold: many buyers order the last units at once (real threads, PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from portal.exceptions import Conflict
from shop.models import Order
from tests.shop.orders_support import on_sale_sku, place

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_orders_never_oversell(store):
    # given 5 units and 20 buyers each wanting 1, plus a second SKU every order also takes (lock order)
    sku = on_sale_sku(store, stock=5)
    other = on_sale_sku(store, stock=100)
    from shop.services.orders import LineIn

    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def buy(n: int) -> None:
        try:
            barrier.wait()
            lines = [LineIn(sku_id=other.pk, quantity=1), LineIn(sku_id=sku.pk, quantity=1)]
            if n % 2:
                lines.reverse()
            place(store, sku, buyer=f"buyer-{n}", lines=lines)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=buy, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    sku.refresh_from_db()
    other.refresh_from_db()
    assert outcomes.count("ok") == 5
    assert outcomes.count("out_of_stock") == 15
    assert sku.stock == 0
    assert other.stock == 95
    assert Order.objects.count() == 5
