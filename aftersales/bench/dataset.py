"""A marketplace-sized data set built in PostgreSQL with `INSERT … SELECT generate_series` (no Python rows).

Orders are inserted in time order, so one store's rows are spread through the heap as in production; one
"big" store receives every `orders / big`-th order. Every table an order touches is filled: items,
payments, bookings and parcels, tracking scans, after-sales requests (about 1,000 open in the big store at
full size) and reviews. Nothing is due for a sweep: the data set is a quiet marketplace.

Column lists come from the models: a column the bench does not set gets its model default (or NULL, or ''
for a blank text column), so a new field elsewhere does not break the build; a new required column without
a default stops it with its name.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone

from aftersales.models import OPEN_STATUSES, AftersalesRequest, Review
from portal.models import Membership, Payment, User
from portal.regions import PROVINCE_ZONES
from shipping.models import Booking, Courier, Shipment, TrackingEvent
from shop.models import Category, GroupBuy, Order, OrderItem, Product, Sku, Store

META_TABLE = "bench_dataset"
SURNAMES = list("张李王赵刘陈杨黄周吴徐孙胡朱高林何郭马罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉")
OWNER = "bench-owner"
STAFF = "bench-staff"


@dataclass(frozen=True)
class Size:
    orders: int
    stores: int
    big: int


@dataclass(frozen=True)
class Dataset:
    size: Size
    big_store_id: int
    owner_id: int
    staff_id: int


Override = str | tuple[str, list]
_MODULO = re.compile(r"%(?!s)")


def _sql(text: str) -> str:
    """Bench SQL writes `%` for modulo and `%s` for a parameter; the driver wants `%%` for the former."""
    return _MODULO.sub("%%", text)


def _value_sql(field: models.Field, overrides: dict[str, Override]) -> tuple[str, list]:
    if field.column in overrides:
        value = overrides[field.column]
        sql, params = value if isinstance(value, tuple) else (value, [])
        return _sql(sql), list(params)
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()", []
    if field.has_default():
        if isinstance(field, models.JSONField):
            return "%s::jsonb", [json.dumps(field.get_default())]
        return "%s", [field.get_db_prep_save(field.get_default(), connection)]
    if field.null:
        return "NULL", []
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return "''", []
    raise RuntimeError(f"bench: {field.model._meta.db_table}.{field.column} needs a value")


def insert_select(
    model: type[models.Model], source: str, overrides: dict[str, Override], params: list | None = None
) -> int:
    """`INSERT INTO <model> (<every column>) SELECT <overrides or defaults> <source>`; returns the row count."""
    unknown = set(overrides) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise RuntimeError(f"bench: {model._meta.db_table} has no column {sorted(unknown)}")
    columns, values, value_params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in overrides:
            continue
        sql, p = _value_sql(field, overrides)
        columns.append(connection.ops.quote_name(field.column))
        values.append(sql)
        value_params.extend(p)
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} {_sql(source)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, value_params + list(params or []))
        rows = cursor.rowcount
        # Statistics at once: the next step joins this table and must not plan it as empty.
        cursor.execute(f"ANALYZE {model._meta.db_table}")
        return rows


def drop_secondary_indexes() -> list[str]:
    """Drop the indexes that back no constraint on the filled tables; returns their definitions.

    Building an index once over the loaded rows is much cheaper than maintaining it row by row."""
    tables = [m._meta.db_table for m in TABLES_TO_EMPTY]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
               WHERE i.indrelid = ANY(%s::regclass[])
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def existing(size: Size) -> Dataset | None:
    """The data set already in the database when it was built at this size."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT orders, stores, big, big_store_id, owner_id, staff_id FROM {META_TABLE}")
        row = cursor.fetchone()
    if not row or Size(*row[:3]) != size or not Store.objects.filter(pk=row[3]).exists():
        return None
    return Dataset(size=size, big_store_id=row[3], owner_id=row[4], staff_id=row[5])


TABLES_TO_EMPTY = [
    Review,
    AftersalesRequest,
    TrackingEvent,
    Shipment,
    Booking,
    Payment,
    OrderItem,
    Order,
    GroupBuy,
    Sku,
    Product,
    Membership,
    Store,
]


def build(size: Size, log: Callable[[str], None]) -> Dataset:
    """Empty the order tables and fill them at `size` (PostgreSQL only; minutes for 2M orders on 2 cores)."""
    started = time.perf_counter()
    n, s, b = size.orders, size.stores, size.big
    tables = ", ".join(m._meta.db_table for m in TABLES_TO_EMPTY)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        cursor.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
    User.objects.filter(username__in=[OWNER, STAFF]).delete()
    with connection.cursor() as cursor:
        # The generated rows are consistent by construction: skip the per-row foreign-key triggers (superuser;
        # the bench database only; LOCAL ends with the transaction).
        cursor.execute("SET LOCAL session_replication_role = replica")
    indexes = drop_secondary_indexes()

    def step_done(what: str, rows: int, t0: float) -> None:
        log(f"  {what:<22}{rows:>12,} rows {time.perf_counter() - t0:>7.1f}s")

    category = Category.objects.order_by("pk").first() or Category.objects.create(code="bench", name="bench")
    t0 = time.perf_counter()
    rows = insert_select(
        Store,
        "FROM generate_series(1, %s) AS g(i)",
        {
            "name": "CASE WHEN g.i = 1 THEN 'bench-big' ELSE 'bench-' || g.i END",
            "store_type": "'enterprise'",
            "main_category_id": str(category.pk),
            "status": "'open'",
            "brand_name": "'bench'",
            "contact_name": "'店长'",
            "contact_phone": "'13800000000'",
            "company_name": "'bench'",
            "credit_code": "''",
            "status_reason": "''",
            "created_at": "now() - interval '400 days'",
            "opened_at": "now() - interval '390 days'",
        },
        [s],
    )
    step_done("stores", rows, t0)
    big_id = Store.objects.get(name="bench-big").pk
    t0 = time.perf_counter()
    rows = insert_select(
        Product,
        "FROM shop_store st CROSS JOIN generate_series(1, 2) AS g(i)",
        {
            "store_id": "st.id",
            "title": "'商品 ' || st.id || '-' || g.i",
            "category_id": str(category.pk),
            "brand": "'bench'",
            "description": "''",
            "status": "'on_sale'",
            "created_at": "now() - interval '300 days'",
            "updated_at": "now() - interval '300 days'",
        },
    )
    rows += insert_select(
        Sku,
        "FROM shop_product p",
        {"product_id": "p.id", "code": "'SKU' || p.id", "price": "9900", "group_price": "8900", "stock": "100000"},
    )
    step_done("products and SKUs", rows, t0)

    # Orders: i = 1..n in time order over 90 days; the big store takes every step-th, the others the rest.
    t0 = time.perf_counter()
    provinces = list(PROVINCE_ZONES)
    status = """CASE
        WHEN y.age < interval '30 minutes' THEN (ARRAY['pending_payment','paid'])[1 + y.r % 2]
        WHEN y.age < interval '2 days' THEN
            (ARRAY['paid','paid','paid','paid','paid','paid','paid','cancelled','shipped','shipped'])[1 + y.r % 10]
        WHEN y.age < interval '14 days' THEN
            (ARRAY['shipped','shipped','shipped','shipped','delivered','delivered','delivered','delivered',
                   'cancelled','completed'])[1 + y.r % 10]
        WHEN y.r < 88 THEN 'completed' ELSE 'cancelled' END"""
    shipped = "o.st IN ('shipped','delivered','completed')"
    unpaid = "(o.st = 'pending_payment' OR (o.st = 'cancelled' AND o.r % 2 = 0))"
    # Group buys (拼团), in the big store: two of its consecutive orders make a group; 6 of 10 such pairs are group
    # buys (the paid orders of the pair; an unpaid one stays a single buy). The group's id is the pair's number.
    pair = f"(o.i / {2 * max(n // max(b, 1), 1)})"
    grouped = f"(o.store = {big_id} AND {pair} % 10 < 6 AND NOT {unpaid})"
    rows = insert_select(
        Order,
        f"""FROM (
            SELECT y.*, {status} AS st FROM (
                SELECT g.i, (g.i::bigint * 7919) % 100 AS r,
                       now() - interval '90 days' * ((%s - g.i)::float8 / %s) AS created,
                       interval '90 days' * ((%s - g.i)::float8 / %s) AS age,
                       CASE WHEN (g.i::bigint * %s) / %s > ((g.i - 1)::bigint * %s) / %s THEN %s
                            ELSE %s + 1 + (g.i * 2654435761) % %s END AS store
                FROM generate_series(1, %s) AS g(i)
            ) y
        ) o""",
        {
            "order_sn": "to_char(o.created AT TIME ZONE 'Asia/Shanghai', 'YYMMDD') || '-' || lpad(o.i::text, 15, '0')",
            "store_id": "o.store",
            "buyer_ref": "'b' || (o.i * 13) % 500000",
            "buy_mode": f"CASE WHEN {grouped} THEN 'group' ELSE 'single' END",
            "group_id": f"CASE WHEN {grouped} THEN {pair} + 1 END",
            "grouped_at": f"CASE WHEN {grouped} THEN o.created + interval '2 minutes' END",
            "status": "o.st",
            "recipient_name": (
                f"(%s::text[])[1 + o.i % {len(SURNAMES)}] || (%s::text[])[1 + (o.i / {len(SURNAMES)}) % {len(GIVEN)}]",
                [SURNAMES, GIVEN],
            ),
            "recipient_phone": "'1' || (30 + o.i % 60)::text || lpad(((o.i::bigint * 104729) % 100000000)::text, 8, '0')",
            "province": (f"(%s::text[])[1 + (o.i * 31) % {len(provinces)}]", [provinces]),
            "city": "'市区'",
            "district": "'中心区'",
            "street": "'人民路 ' || (o.i % 999) || ' 号'",
            "goods_amount": "990 + (o.i * 37) % 29000",
            "paid_amount": "990 + (o.i * 37) % 29000",
            "created_at": "o.created",
            "updated_at": "o.created + CASE o.st WHEN 'completed' THEN interval '12 days' ELSE interval '2 minutes' END",
            "paid_at": f"CASE WHEN {unpaid} THEN NULL ELSE o.created + interval '2 minutes' END",
            "ship_by": f"CASE WHEN {unpaid} THEN NULL ELSE o.created + interval '48 hours 2 minutes' END",
            "cancelled_at": "CASE WHEN o.st = 'cancelled' THEN o.created + interval '20 minutes' END",
            "shipped_at": f"CASE WHEN {shipped} THEN o.created + interval '10 hours' END",
            "waybill_at": f"CASE WHEN {shipped} THEN o.created + interval '10 hours' END",
            "receipt_deadline": f"CASE WHEN {shipped} THEN o.created + interval '15 days 10 hours' END",
            "delivered_at": "CASE WHEN o.st IN ('delivered','completed') THEN o.created + interval '3 days' END",
            "completed_at": "CASE WHEN o.st = 'completed' THEN o.created + interval '12 days' END",
            # payouts as the sweep leaves them (credited at completion, settled 7 days later; no ledger rows)
            "payout_credited_at": "CASE WHEN o.st = 'completed' THEN o.created + interval '12 days' END",
            "payout_available_at": "CASE WHEN o.st = 'completed' THEN o.created + interval '19 days' END",
            "payout_settled_at": (
                "CASE WHEN o.st = 'completed' AND o.created + interval '19 days' <= now() "
                "THEN o.created + interval '19 days' END"
            ),
            "courier_code": f"CASE WHEN {shipped} THEN 'SF' ELSE '' END",
            "waybill_no": f"CASE WHEN {shipped} THEN 'SF' || lpad(o.i::text, 13, '0') ELSE '' END",
            "shipped_via": f"CASE WHEN NOT {shipped} THEN '' WHEN o.i % 10 < 7 THEN 'booking' ELSE 'self' END",
            "cancel_reason": "CASE WHEN o.st = 'cancelled' THEN '买家取消' ELSE '' END",
        },
        [n, n, n, n, b, n, b, n, big_id, big_id, max(s - 1, 1), n],
    )
    step_done("orders", rows, t0)

    t0 = time.perf_counter()
    product = Product.objects.filter(store_id=big_id).order_by("pk").values_list("pk", flat=True).first()
    rows = insert_select(
        GroupBuy,
        """FROM (SELECT o.group_id AS id, min(o.buyer_ref) AS leader, count(*) AS members, min(o.created_at) AS opened,
                        max(o.paid_at) AS formed
                 FROM shop_order o WHERE o.group_id IS NOT NULL GROUP BY o.group_id) g""",
        {
            "id": "g.id",
            "store_id": str(big_id),
            "product_id": str(product),
            "leader_ref": "g.leader",
            "size": "greatest(g.members, 2)",
            "status": "'formed'",
            "created_at": "g.opened",
            "expires_at": "g.opened + interval '24 hours'",
            "formed_at": "g.formed",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('shop_groupbuy', 'id'), coalesce(max(id), 1)) FROM shop_groupbuy"
        )
    step_done("group buys", rows, t0)

    t0 = time.perf_counter()
    rows = insert_select(
        OrderItem,
        """FROM shop_order o
           JOIN (SELECT p.store_id, k.id AS sku_id, p.title, row_number() OVER (PARTITION BY p.store_id ORDER BY p.id)
                        - 1 AS n
                 FROM shop_product p JOIN shop_sku k ON k.product_id = p.id) k
             ON k.store_id = o.store_id AND k.n = o.id % 2""",
        {
            "order_id": "o.id",
            "sku_id": "k.sku_id",
            "product_title": "k.title",
            "sku_spec": "''",
            "quantity": "1",
            "unit_price": "o.goods_amount",
            "paid_amount": "o.paid_amount",
        },
    )
    step_done("order items", rows, t0)

    t0 = time.perf_counter()
    rows = insert_select(
        Payment,
        "FROM shop_order o WHERE o.paid_at IS NOT NULL",
        {
            "purpose": "'order'",
            "reference": "o.order_sn",
            "store_id": "o.store_id",
            "amount": "o.paid_amount",
            "provider_txn": "'T' || o.id",
            "token": "md5(o.id::text || random()::text)",  # unique per payment (the cashier's token, trust)
            "status": "'succeeded'",
            "created_at": "o.created_at + interval '1 minute'",
            "paid_at": "o.paid_at",
        },
    )
    step_done("payments", rows, t0)

    t0 = time.perf_counter()
    courier = Courier.objects.filter(code="SF").first() or Courier.objects.order_by("pk").first()
    if courier is None:
        raise RuntimeError("bench: no courier in the database (run migrate)")
    rows = insert_select(
        Booking,
        """FROM (SELECT o.store_id, (o.shipped_at AT TIME ZONE 'Asia/Shanghai')::date AS day, min(o.shipped_at) AS at
                 FROM shop_order o WHERE o.shipped_via = 'booking' GROUP BY 1, 2) d""",
        {
            "store_id": "d.store_id",
            "booking_no": "'BK' || d.store_id || '-' || to_char(d.day, 'YYMMDD')",
            "courier_id": str(courier.pk),
            "sender_name": "'店长'",
            "sender_phone": "'13800000000'",
            "sender_province": "'浙江省'",
            "sender_city": "'杭州市'",
            "sender_district": "'西湖区'",
            "sender_street": "'文三路 1 号'",
            "pickup_date": "d.day",
            "pickup_slot": "'09:00-12:00'",
            "created_at": "d.at - interval '1 hour'",
            "dispatched_at": "d.at - interval '1 hour'",
        },
    )
    rows += insert_select(
        Shipment,
        """FROM shop_order o JOIN shipping_booking bk
             ON bk.store_id = o.store_id AND bk.pickup_date = (o.shipped_at AT TIME ZONE 'Asia/Shanghai')::date
           WHERE o.shipped_via = 'booking'""",
        {
            "store_id": "o.store_id",
            "booking_id": "bk.id",
            "order_id": "o.id",
            "courier_id": str(courier.pk),
            "waybill_no": "o.waybill_no",
            "parcel_code": "lpad((o.id % 1000000)::text, 6, '0')",
            "status": "CASE o.status WHEN 'shipped' THEN 'in_transit' ELSE 'delivered' END",
            "recipient_name": "o.recipient_name",
            "recipient_phone": "o.recipient_phone",
            "province": "o.province",
            "city": "o.city",
            "district": "o.district",
            "street": "o.street",
            "goods_summary": "'商品 ×1'",
            "predicted_weight_g": "500",
            "predicted_price": "800",
            "outlet": "'网点'",
            "courier_staff_name": "'快递员'",
            "courier_staff_phone": "'13900000000'",
            "failure_reason": "''",
            "confirm_by": "o.shipped_at - interval '2 hours'",
            "pickup_by": "o.shipped_at + interval '20 hours'",
            "created_at": "o.shipped_at - interval '3 hours'",
            "delivered_at": "o.delivered_at",
        },
    )
    step_done("bookings and parcels", rows, t0)

    t0 = time.perf_counter()
    rows = insert_select(
        TrackingEvent,
        """FROM shop_order o CROSS JOIN LATERAL (VALUES ('GOT', o.shipped_at + interval '1 hour'),
                                                      ('SIGN', o.delivered_at)) AS e(action, at)
           LEFT JOIN shipping_shipment sh ON sh.order_id = o.id
           WHERE o.shipped_at IS NOT NULL AND e.at IS NOT NULL""",
        {
            "shipment_id": "sh.id",
            "courier_code": "o.courier_code",
            "waybill_no": "o.waybill_no",
            "action": "e.action",
            "occurred_at": "e.at",
            "description": "CASE e.action WHEN 'GOT' THEN '已揽收' ELSE '已签收' END",
            "node": "o.city",
            "created_at": "e.at",
        },
    )
    step_done("tracking scans", rows, t0)

    # After-sales: ~4% of the big store's parcels on the way or just delivered are open (about 1,000 at
    # 200k), and 0.5% of every store's orders have a finished request.
    t0 = time.perf_counter()
    open_statuses = [str(x) for x in OPEN_STATUSES if x != "rejected"]
    rows = insert_select(
        AftersalesRequest,
        """FROM shop_order o JOIN shop_orderitem it ON it.order_id = o.id
           WHERE (o.store_id = %s AND o.status IN ('shipped', 'delivered') AND o.id % 25 = 0)
              OR (o.id % 200 = 0 AND o.status = 'completed')""",
        {
            "request_sn": "'AS' || lpad(o.id::text, 14, '0')",
            "store_id": "o.store_id",
            "order_id": "o.id",
            "item_id": "it.id",
            "buyer_ref": "o.buyer_ref",
            "type": "CASE WHEN o.id % 2 = 0 THEN 'refund_only' ELSE 'return_refund' END",
            "reason": "'quality'",
            "amount": "it.paid_amount",
            "description": "'质量问题'",
            "status": (
                f"CASE WHEN o.status = 'completed' THEN 'refunded' "
                f"ELSE (%s::text[])[1 + (o.id / 25) % {len(open_statuses)}] END",
                [open_statuses],
            ),
            "created_at": "now() - interval '1 hour'",
            "updated_at": "now() - interval '1 hour'",
            "deadline_at": "now() + interval '47 hours'",
        },
        [big_id],
    )
    step_done("after-sales requests", rows, t0)

    t0 = time.perf_counter()
    rows = insert_select(
        Review,
        """FROM shop_order o JOIN shop_orderitem it ON it.order_id = o.id JOIN shop_sku k ON k.id = it.sku_id
           WHERE o.status = 'completed' AND o.id % 5 = 0""",
        {
            "store_id": "o.store_id",
            "order_id": "o.id",
            "item_id": "it.id",
            "product_id": "k.product_id",
            "buyer_ref": "o.buyer_ref",
            "score_description": "5 - o.id % 2",
            "score_logistics": "5",
            "score_service": "5 - o.id % 3",
            "text": "'好评'",
            "reply": "''",
            "followup_text": "''",
            "followup_reply": "''",
            "hidden_reason": "''",
            "created_at": "o.completed_at",
        },
    )
    step_done("reviews", rows, t0)

    t0 = time.perf_counter()
    create_indexes(indexes)
    step_done("indexes", len(indexes), t0)

    owner = User.objects.create_user(username=OWNER, password=None)
    Membership.objects.create(user=owner, store_id=big_id, role="owner")
    staff = User.objects.create_user(username=STAFF, password=None, is_staff=True, is_superuser=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {META_TABLE} (orders int, stores int, big int, big_store_id bigint, owner_id bigint, "
            "staff_id bigint, built_at timestamptz)"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [n, s, b, big_id, owner.pk, staff.pk, timezone.now()],
        )
    log(f"Built {n:,} orders over {s:,} stores in {time.perf_counter() - started:.0f}s")
    return Dataset(size=size, big_store_id=big_id, owner_id=owner.pk, staff_id=staff.pk)


def analyze(*, vacuum: bool) -> None:
    """Fresh statistics (and, outside a transaction, the visibility map index-only scans need)."""
    with connection.cursor() as cursor:
        for model in TABLES_TO_EMPTY:
            cursor.execute(f"{'VACUUM ' if vacuum else ''}ANALYZE {model._meta.db_table}")
