"""Bench case of 在线下单 (issue 13): 未下单 of the big store against its floor, in its own module.

The floor is what any implementation of the page must do: the tab counts (unbooked, and parcels by status),
the overdue parcels' count, the first keyset page of unbooked orders by ship-by (51 rows read) with the
last booking failure, and their items. The page must show the floor's rows, stay within 2× the floor's
time, 100 KB of HTML and 10 queries, whatever the size of the backlog.
"""

from __future__ import annotations

import re

from django.db import connection, transaction

from shipping.selectors import ACTIVE

from . import cases as bench
from .dataset import Dataset

PATH = "/shipping/booking/"
ROW = re.compile(r'data-testid="unbooked-row" data-order="([^"]+)"')
PAGE = 50
TARGET = 2.0
MAX_QUERIES = 10
MAX_BYTES = 100 * 1024
ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE)
UNBOOKED = (
    "FROM shop_order o WHERE o.store_id = %s AND o.status = 'paid' AND NOT o.no_logistics AND NOT EXISTS ("
    f"SELECT 1 FROM shipping_shipment s WHERE s.order_id = o.id AND s.status IN ({ACTIVE_SQL}))"
)


def floor_unbooked(ds: Dataset) -> list[str]:
    """The page's data in hand-written SQL: counts, overdue count, one keyset page and its items."""
    store = ds.big_store_id
    unbooked = UNBOOKED
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE NOT o.risk_hold) {unbooked}", [store])
        cursor.execute("SELECT status, count(*) FROM shipping_shipment WHERE store_id = %s GROUP BY status", [store])
        cursor.execute(
            "SELECT count(*) FROM shipping_shipment WHERE store_id = %s AND status IN ('requested', 'confirmed') "
            "AND (confirm_overdue OR pickup_overdue OR (status = 'requested' AND confirm_by < now()) "
            "OR pickup_by < now())",
            [store],
        )
        cursor.execute(
            "SELECT o.id, o.order_sn, o.recipient_name, o.recipient_phone, o.province, o.city, o.district, "
            "o.buyer_note, o.ship_by, o.risk_hold, (SELECT f.failure_reason FROM shipping_shipment f "
            "WHERE f.order_id = o.id AND f.status = 'failed' ORDER BY f.id DESC LIMIT 1) "
            f"{unbooked} ORDER BY o.ship_by, o.id LIMIT %s",
            [store, PAGE + 1],
        )
        rows = cursor.fetchall()[:PAGE]
        ids = [r[0] for r in rows]
        if ids:
            cursor.execute(
                "SELECT it.order_id, it.product_title, it.quantity, p.is_fresh, p.is_frozen, p.is_bulky, p.is_fragile "
                "FROM shop_orderitem it JOIN shop_sku k ON k.id = it.sku_id JOIN shop_product p ON p.id = k.product_id "
                "WHERE it.order_id = ANY(%s) ORDER BY it.id",
                [ids],
            )
            cursor.fetchall()
    return [r[1] for r in rows]


BACKLOG = 15_000


def make_backlog(ds: Dataset, target: int = BACKLOG) -> int:
    """Bring the big store's 未下单 up to `target` orders (inside the caller's rolled-back transaction):
    finished orders without a live parcel become paid again, due over the next two days. Returns the backlog."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {UNBOOKED}", [ds.big_store_id])
        have = cursor.fetchone()[0]
        if have < target:
            cursor.execute(
                "UPDATE shop_order SET status = 'paid', shipped_at = NULL, delivered_at = NULL, completed_at = NULL, "
                "cancelled_at = NULL, paid_at = now() - interval '1 hour', "
                "ship_by = now() + (id %% 2880) * interval '1 minute' WHERE id IN ("
                "SELECT o.id FROM shop_order o WHERE o.store_id = %s AND o.status IN ('completed', 'cancelled') "
                f"AND NOT EXISTS (SELECT 1 FROM shipping_shipment s WHERE s.order_id = o.id AND s.status IN ({ACTIVE_SQL})) "
                "ORDER BY o.id LIMIT %s)",
                [ds.big_store_id, target - have],
            )
        cursor.execute(f"SELECT count(*) {UNBOOKED}", [ds.big_store_id])
        return cursor.fetchone()[0]


def run(ds: Dataset, merchant, repeat: int, write) -> int:
    """Time 未下单 against its floor with a 15k backlog (made and rolled back); 1 when above target or wrong."""
    with transaction.atomic():
        failed = _run(ds, merchant, repeat, write)
        transaction.set_rollback(True)
    return failed


def _run(ds: Dataset, merchant, repeat: int, write) -> int:
    backlog = make_backlog(ds)
    response = merchant.get(PATH)
    html = response.content
    page_rows = ROW.findall(html.decode())
    floor_rows = floor_unbooked(ds)
    queries = bench.count_queries(lambda: merchant.get(PATH))
    timing = bench.Timing()
    for _ in range(repeat):
        timing.add("page", bench.timed(lambda: merchant.get(PATH))[0])
        timing.add("floor", bench.timed(lambda: floor_unbooked(ds))[0])
    page, floor = timing.median("page"), timing.median("floor")
    ratio = page / floor if floor else float("inf")
    ok = ratio <= TARGET and queries <= MAX_QUERIES and len(html) <= MAX_BYTES and page_rows == floor_rows
    write(
        f"{'未下单 (' + format(backlog, ',') + ' unbooked)':<28}{page:>9.1f}{floor:>10.1f}{ratio:>6.1f}×{queries:>9}"
        f"  {len(html) / 1024:.0f} KB  {'OK' if ok else 'SLOW'} (≤{TARGET:g}×, ≤{MAX_QUERIES} queries, ≤100 KB)"
    )
    if page_rows != floor_rows:
        write(f"MISMATCH 未下单: rows page={page_rows[:3]!r}… floor={floor_rows[:3]!r}…")
    return 0 if ok else 1
