"""`make bench`: seed many orders into a throwaway store and time the dashboard and the order list.

Everything runs inside one transaction that is rolled back at the end, so the database is left as
it was. Targets are for PostgreSQL; SQLite numbers are indicative.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import dashboard
from portal.models import Membership, User
from shop.models import Order, Store
from shop.models.orders import OrderStatus

STATUSES = [
    (OrderStatus.COMPLETED, 50),
    (OrderStatus.SHIPPED, 15),
    (OrderStatus.DELIVERED, 10),
    (OrderStatus.PAID, 10),
    (OrderStatus.CANCELLED, 10),
    (OrderStatus.PENDING_PAYMENT, 5),
]


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the dashboard selectors and pages on a store with many orders (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--target-ms", type=float, default=300.0, help="target per dashboard call")

    def handle(self, *args, orders: int, repeat: int, target_ms: float, **options):
        self.repeat, self.target_ms, self.failures = repeat, target_ms, 0
        try:
            with transaction.atomic():
                store, user = self._seed(orders)
                self._run(store, user)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write("Rolled back: the database is unchanged.")
        if self.failures:
            self.stdout.write(self.style.WARNING(f"{self.failures} measurement(s) above target"))

    def _seed(self, n: int) -> tuple[Store, User]:
        started = time.perf_counter()
        store = Store.objects.create(name=f"bench-{timezone.now():%H%M%S%f}"[:30], store_type="enterprise")
        Store.objects.filter(pk=store.pk).update(status="open")
        user = User.objects.create(username=f"bench-{store.pk}")
        Membership.objects.create(user=user, store=store, role="owner")
        now, rng = timezone.now(), random.Random(42)
        statuses = [s for s, weight in STATUSES for _ in range(weight)]
        batch: list[Order] = []
        for i in range(n):
            status = rng.choice(statuses)
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            paid = created + timedelta(minutes=5) if status != OrderStatus.PENDING_PAYMENT else None
            shipped = (
                paid + timedelta(hours=rng.randrange(1, 60)) if paid and status not in ("paid", "cancelled") else None
            )
            amount = rng.randrange(990, 29900)
            batch.append(
                Order(
                    order_sn=f"B{store.pk:05d}-{i:015d}",
                    store=store,
                    buyer_ref=f"b{i % 5000}",
                    status=status,
                    recipient_name="张三",
                    recipient_phone="13800138000",
                    province="浙江省",
                    city="杭州市",
                    district="西湖区",
                    street="文三路 1 号",
                    goods_amount=amount,
                    paid_amount=amount,
                    created_at=created,
                    paid_at=paid,
                    ship_by=paid + timedelta(hours=48) if paid else None,
                    shipped_at=shipped,
                    delivered_at=shipped + timedelta(days=2)
                    if shipped and status in ("delivered", "completed")
                    else None,
                    completed_at=shipped + timedelta(days=5) if shipped and status == "completed" else None,
                )
            )
            if len(batch) == 5000:
                Order.objects.bulk_create(batch)
                batch = []
        Order.objects.bulk_create(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE shop_order")
        self.stdout.write(f"Seeded {n:,} orders in {time.perf_counter() - started:.1f}s on {connection.vendor}")
        return store, user

    def _run(self, store: Store, user: User) -> None:
        client = Client()
        client.force_login(user)
        client.get("/")  # stores the current store in the session
        checks: list[tuple[str, Callable[[], object], float]] = [
            ("dashboard.todo", lambda: dashboard.todo(store), self.target_ms),
        ]
        for days in dashboard.PERIODS:
            checks.append((f"dashboard.charts {days}d", lambda d=days: dashboard.charts(store, d), self.target_ms))
        checks.append(("page / (dashboard)", lambda: client.get("/"), self.target_ms * 2))
        checks.append(("page /data/?days=90", lambda: client.get("/data/?days=90"), self.target_ms * 2))
        order_list = reverse("shop:order_list")
        checks.append(("page order list", lambda: client.get(order_list), self.target_ms * 2))
        self.stdout.write(f"{'measurement':<28}{'median ms':>10}{'max ms':>10}{'queries':>9}{'target':>9}")
        for name, call, target in checks:
            timings = []
            for _ in range(self.repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    call()
                    timings.append((time.perf_counter() - started) * 1000)
            median = statistics.median(timings)
            ok = median <= target
            self.failures += not ok
            line = f"{name:<28}{median:>10.1f}{max(timings):>10.1f}{len(queries):>9}{target:>9.0f}  {'OK' if ok else 'SLOW'}"
            self.stdout.write(self.style.SUCCESS(line) if ok else self.style.WARNING(line))
