"""Bench cases: the real page through the test client, its floor (hand-written SQL returning the same rows
and numbers, asserted) and the admin changelist, timed interleaved.

The floor of a merchant list is what any implementation must do: the tab counts (`GROUP BY status` and the
open after-sales count), the page's rows with their items, and the list's total when a filter narrows it.
The floor of an admin changelist is its page of rows joined to the store and the count of the filtered
rows. The page pays on top for the session, the user, the store, Python and the template.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden
from django.test import Client
from django.utils import timezone

from aftersales.models import OPEN_STATUSES
from portal.keyset import encode_cursor
from portal.models import User
from shop.models.orders import OrderStatus
from shop.selectors.orders import COUNT_CAP, local_midnight

from .dataset import Dataset

ORDER_ROW = re.compile(r'<tr data-order="([^"]+)"')
TAB_COUNT = re.compile(r'data-testid="count-([a-z_]+)">(\d+)<')
TOTAL = re.compile(r'data-testid="order-total">\D*?([\d,]+)')
ADMIN_ROW = re.compile(r'<th class="field-order_sn"><a href="[^"]*">([^<]+)</a>')
PAGE_SIZE = 20
ADMIN_PAGE = 50
OPEN = [str(s) for s in OPEN_STATUSES]
COLUMNS = (
    "o.id, o.order_sn, o.status, o.buy_mode, o.risk_hold, o.fake_shipping_at, o.paid_amount, o.recipient_name, "
    "o.recipient_phone, o.province, o.city, o.ship_by, o.created_at, o.shipped_at, o.receipt_deadline, o.group_id"
)


@dataclass
class Case:
    name: str
    params: dict
    where: str = ""  # extra SQL condition on shop_order o
    where_params: list = field(default_factory=list)
    after: tuple | None = None  # (created_at, id) cursor
    narrowed: bool = False  # a filter beyond the tab: the total is its own capped count
    tab: str = ""


@dataclass
class Timing:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, ms: float) -> None:
        self.samples.setdefault(key, []).append(ms)

    def median(self, key: str) -> float:
        return statistics.median(self.samples[key]) if self.samples.get(key) else float("nan")


def merchant_cases(ds: Dataset) -> list[Case]:
    big = ds.big_store_id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT order_sn, recipient_phone, recipient_name FROM shop_order WHERE store_id = %s "
            "ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
            [big, ds.size.big // 3],
        )
        sn, phone, name = cursor.fetchone()
        cursor.execute(
            "SELECT created_at, id FROM shop_order WHERE store_id = %s ORDER BY created_at DESC, id DESC "
            "OFFSET %s LIMIT 1",
            [big, min(10_000, ds.size.big // 2) - 1],
        )
        deep = cursor.fetchone()
    today = timezone.localdate()
    date_from, date_to = today - timedelta(days=10), today - timedelta(days=4)
    cases = [Case("default", {})]
    for status in OrderStatus:
        cases.append(Case(f"tab {status.value}", {"tab": status.value}, "o.status = %s", [status.value], tab=status))
    cases.append(
        Case(
            "tab aftersales",
            {"tab": "aftersales"},
            "o.id IN (SELECT order_id FROM aftersales_aftersalesrequest WHERE store_id = %s AND status = ANY(%s))",
            [big, OPEN],
            tab="aftersales",
        )
    )
    cases += [
        Case("search order number", {"q": sn}, "o.order_sn LIKE %s", [sn + "%"], narrowed=True),
        Case("search phone", {"q": phone}, "o.recipient_phone = %s", [phone], narrowed=True),
        Case("search name", {"q": name}, "o.recipient_name LIKE %s", [name + "%"], narrowed=True),
        Case(
            "7-day date range",
            {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
            "o.created_at >= %s AND o.created_at < %s",
            [local_midnight(date_from), local_midnight(date_to + timedelta(days=1))],
            narrowed=True,
        ),
        Case(f"deep page (row {min(10_000, ds.size.big // 2):,})", {"after": encode_cursor(*deep)}, after=deep),
    ]
    return cases


def floor_list(ds: Dataset, case: Case) -> dict:
    """The merchant list's floor: returns the rows (order numbers), the tab counts and the total."""
    big = ds.big_store_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM shop_order WHERE store_id = %s GROUP BY status", [big])
        counts = dict.fromkeys([s.value for s in OrderStatus], 0)
        counts.update(dict(cursor.fetchall()))
        cursor.execute(
            "SELECT count(DISTINCT order_id) FROM aftersales_aftersalesrequest WHERE store_id = %s "
            "AND status = ANY(%s)",
            [big, OPEN],
        )
        counts["aftersales"] = cursor.fetchone()[0]
        counts["all"] = sum(counts[s.value] for s in OrderStatus)
        where, params = ["o.store_id = %s"], [big]
        if case.where:
            where.append(case.where)
            params += case.where_params
        if case.after:
            where.append("(o.created_at, o.id) < (%s, %s)")
            params += list(case.after)
        cursor.execute(
            f"SELECT {COLUMNS}, EXISTS (SELECT 1 FROM aftersales_aftersalesrequest a WHERE a.order_id = o.id "
            f"AND a.status = ANY(%s)) FROM shop_order o WHERE {' AND '.join(where)} "
            f"ORDER BY o.created_at DESC, o.id DESC LIMIT {PAGE_SIZE + 1}",
            [OPEN, *params],
        )
        rows = cursor.fetchall()[:PAGE_SIZE]
        ids = [r[0] for r in rows]
        cursor.execute(
            "SELECT i.order_id, i.product_title, i.sku_spec, i.quantity FROM shop_orderitem i "
            "WHERE i.order_id = ANY(%s) ORDER BY i.order_id, i.id",
            [ids],
        )
        cursor.fetchall()
        if case.narrowed:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM shop_order o WHERE {' AND '.join(where)} "
                f"LIMIT {COUNT_CAP + 1}) t",
                params,
            )
            total = min(cursor.fetchone()[0], COUNT_CAP)
        elif case.tab:
            total = counts[case.tab]
        else:
            total = counts["all"]
    return {"rows": [r[1] for r in rows], "counts": counts, "total": total}


def parse_list(html: str) -> dict:
    totals = TOTAL.findall(html)
    return {
        "rows": ORDER_ROW.findall(html),
        "counts": {k: int(v) for k, v in TAB_COUNT.findall(html)},
        "total": int(totals[0].replace(",", "")) if totals else None,
    }


@dataclass
class AdminCase:
    name: str
    params: dict
    where: str = ""
    where_params: list = field(default_factory=list)


def admin_cases(ds: Dataset) -> list[AdminCase]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT order_sn, recipient_phone FROM shop_order WHERE store_id = %s ORDER BY id OFFSET %s LIMIT 1",
            [ds.big_store_id, ds.size.big // 2],
        )
        sn, phone = cursor.fetchone()
    return [
        AdminCase("admin: store filter", {"store": ds.big_store_id}),
        AdminCase("admin: store + order number", {"store": ds.big_store_id, "q": sn}, *admin_search(sn)),
        AdminCase("admin: store + phone", {"store": ds.big_store_id, "q": phone}, *admin_search(phone)),
    ]


def admin_search(term: str) -> tuple[str, list[str]]:
    """The order changelist's search as SQL: a prefix of the order number, or exactly a phone, waybill, buyer, name."""
    sql = (
        "(o.order_sn LIKE %s OR o.recipient_phone = %s OR o.waybill_no = %s OR o.buyer_ref = %s "
        "OR o.recipient_name = %s)"
    )
    return sql, [term + "%", *[term] * 4]


MINIMAL_STAFF_PATH = "/bench/minimal-staff-page/"


def minimal_staff_page(request) -> HttpResponse:
    """The least an authenticated staff search page can cost: the middleware with the session and the user, the
    admin search's floor (its count and rows), a plain answer with no template. The admin cases are judged
    against the floor alone; this says how much of a page is the request itself."""
    if not request.user.is_staff:
        return HttpResponseForbidden()
    case = AdminCase("minimal", {}, *admin_search(request.GET.get("q", "")))
    return HttpResponse(" ".join(floor_admin(int(request.GET["store"]), case)))


def floor_admin(store_id: int, case: AdminCase) -> list[str]:
    where, params = ["o.store_id = %s"], [store_id]
    if case.where:
        where.append(case.where)
        params += case.where_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM shop_order o WHERE {' AND '.join(where)}", params)
        cursor.fetchone()
        cursor.execute(
            f"SELECT o.*, s.* FROM shop_order o JOIN shop_store s ON s.id = o.store_id WHERE {' AND '.join(where)} "
            f"ORDER BY o.created_at DESC, o.id DESC LIMIT {ADMIN_PAGE}",
            params,
        )
        return [r[1] for r in cursor.fetchall()]


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def count_queries(call: Callable[[], object]) -> int:
    with counting() as n:
        call()
    return n[0]


@contextmanager
def counting() -> Iterator[list[int]]:
    """Counts the statements run inside (CaptureQueriesContext keeps only the last 9,000, so a sweep's
    count would come out wrong)."""
    n = [0]

    def count(execute, sql, params, many, context):
        n[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield n


def url(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def clients(ds: Dataset) -> tuple[Client, Client]:
    merchant, staff = Client(), Client()
    merchant.force_login(User.objects.get(pk=ds.owner_id))
    staff.force_login(User.objects.get(pk=ds.staff_id))
    return merchant, staff


# The due work of the sweeps case: 100,000 orders across the four order sweeps.
DUE = {"unpaid": 30_000, "late": 34_000, "hard_limit": 3_000, "to_confirm": 33_000}

_MAKE_DUE = {
    # unpaid an hour ago: past the 30-minute window
    "unpaid": "status = 'pending_payment', paid_at = NULL, ship_by = NULL, shipped_at = NULL, delivered_at = NULL, "
    "completed_at = NULL, receipt_deadline = NULL, shipped_via = '', waybill_at = NULL, "
    "created_at = now() - interval '1 hour'",
    # paid 50 hours ago and unshipped: past ship-by (48 h), before the hard limit
    "late": "status = 'paid', grouped_at = NULL, paid_at = now() - interval '50 hours', "
    "ship_by = now() - interval '2 hours', shipped_at = NULL, delivered_at = NULL, completed_at = NULL, "
    "receipt_deadline = NULL, shipped_via = '', waybill_at = NULL",
    # paid 130 hours ago and unshipped: past the hard limit (120 h)
    "hard_limit": "status = 'paid', grouped_at = NULL, paid_at = now() - interval '130 hours', "
    "ship_by = now() - interval '82 hours', shipped_at = NULL, delivered_at = NULL, completed_at = NULL, "
    "receipt_deadline = NULL, shipped_via = '', waybill_at = NULL",
    # shipped, past the receipt deadline
    "to_confirm": "status = 'shipped', completed_at = NULL, receipt_deadline = now() - interval '1 hour'",
}


def make_due(ds: Dataset, due: dict[str, int] | None = None) -> dict[str, int]:
    """Turn completed orders (each with its item and payment) into due work for the order sweeps, inside the
    caller's rolled-back transaction; disjoint slices of the completed orders, spread over every store."""
    due = due or DUE
    made = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM shop_order WHERE status = 'completed'")
        scale = min(1.0, cursor.fetchone()[0] / sum(due.values()))  # a small data set gets its share of each
        for kind, n in due.items():
            n = int(n * scale)
            cursor.execute(
                f"UPDATE shop_order SET {_MAKE_DUE[kind]} WHERE id IN (SELECT id FROM shop_order "  # noqa: S608
                "WHERE status = 'completed' ORDER BY id DESC LIMIT %s)",
                [n],
            )
            made[kind] = cursor.rowcount
        cursor.execute("ANALYZE shop_order")
    return made
