"""`make bench`: the merchant order list and the staff admin at marketplace scale, against their floors.

Builds (or reuses) a data set in the configured PostgreSQL database (see aftersales/bench/dataset.py),
then for each case runs, interleaved and `--repeat` times, the real page through the test client, a
hand-written floor SQL that must return the same rows and numbers (asserted), and the admin changelist.
Prints medians and ratios; method and numbers are in docs/performance.md. Not part of `make test` (only a
tiny smoke run is).

The data set replaces the order tables' contents: the command refuses a database whose name does not say
"bench" (or "test"), unless --force.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from aftersales.bench import cases as bench
from aftersales.bench.dataset import Size, analyze, build, existing
from portal.sweeps import SWEEPS

TARGET_LIST = 2.0
TARGET_ADMIN = 3.0
MAX_QUERIES = 10


class Command(BaseCommand):
    help = "Time the order list and the admin against their floors on a marketplace-sized data set."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=2_000_000)
        parser.add_argument("--stores", type=int, default=5_000)
        parser.add_argument("--big", type=int, default=200_000, help="orders of the big store")
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--rebuild", action="store_true", help="build the data set even if it exists")
        parser.add_argument("--build-only", action="store_true")
        parser.add_argument("--force", action="store_true", help="allow a database not named *bench*/test*")
        parser.add_argument(
            "--sweeps", action="store_true", help="also time an idle tick and bulk due orders (rolled back)"
        )

    def handle(self, *args, orders, stores, big, repeat, rebuild, build_only, force, sweeps, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The bench needs PostgreSQL (DATABASE_URL=postgres://…/portal_bench).")
        name = connection.settings_dict["NAME"] or ""
        if not force and "bench" not in name and not name.startswith("test"):
            raise CommandError(f"Refusing to replace the orders of database {name!r}: use a *bench* database.")
        size = Size(orders=orders, stores=stores, big=min(big, orders))
        ds = None if rebuild else existing(size)
        if ds is None:
            self.stdout.write(f"Building {size.orders:,} orders / {size.stores:,} stores / big store {size.big:,}")
            with transaction.atomic():
                ds = build(size, self.stdout.write)
            analyze(vacuum=not connection.in_atomic_block)
        else:
            self.stdout.write(f"Reusing the data set of {size.orders:,} orders (--rebuild to build it again)")
        if build_only:
            return
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            self.run_cases(ds, repeat)
            self.run_booking(ds, repeat)
        if sweeps:
            self.run_sweeps(ds)

    def run_booking(self, ds, repeat: int) -> None:
        """在线下单's 未下单 of the big store (aftersales/bench/booking.py)."""
        from aftersales.bench import booking

        merchant, _staff = bench.clients(ds)
        merchant.get("/shop/orders/")  # the session learns the current store
        self.stdout.write(f"\n{'case (big store)':<28}{'page ms':>9}{'floor ms':>10}{'ratio':>7}{'queries':>9}  size")
        if booking.run(ds, merchant, repeat, self.stdout.write):
            self.stdout.write(self.style.WARNING("未下单 above target"))

    def run_sweeps(self, ds) -> None:
        """One idle tick of every registered sweep, then bulk due orders; all rolled back."""
        out = self.stdout
        with transaction.atomic():
            total = 0.0
            out.write(f"\n{'idle tick: sweep':<44}{'ms':>9}{'rows':>8}")
            for name, func in SWEEPS.items():
                ms, rows = bench.timed(func)
                total += ms
                out.write(f"{name:<44}{ms:>9.1f}{rows!s:>8}")
            out.write(f"{'idle tick, all sweeps':<44}{total:>9.1f}")
            due = bench.make_due(ds)
            out.write(f"\nmade due: {due}")
            for name in ("orders.cancel_unpaid", "orders.auto_confirm_receipt"):
                with CaptureQueriesContext(connection) as ctx:
                    ms, rows = bench.timed(SWEEPS[name])
                rate = rows / ms * 1000 if ms else 0
                out.write(f"{name:<44}{ms:>9.0f} ms {rows:>8,} rows {rate:>8,.0f} rows/s {len(ctx):>6} queries")
            transaction.set_rollback(True)
        out.write("Sweeps rolled back: the data set is unchanged.")

    def run_cases(self, ds, repeat: int) -> None:
        merchant, staff = bench.clients(ds)
        list_path, admin_path = "/shop/orders/", "/admin/shop/order/"
        merchant.get(list_path)  # the session learns the current store
        list_cases, admin_cases = bench.merchant_cases(ds), bench.admin_cases(ds)
        timing, queries, mismatches = bench.Timing(), {}, []
        # Correctness first: the page shows exactly the floor's rows, counts and total.
        for case in list_cases:
            page = bench.parse_list(merchant.get(bench.url(list_path, case.params)).content.decode())
            floor = bench.floor_list(ds, case)
            for key in ("rows", "counts", "total"):
                if page[key] != floor[key]:
                    mismatches.append(f"{case.name}: {key} page={page[key]!r} floor={floor[key]!r}")
            queries[case.name] = bench.count_queries(lambda c=case: merchant.get(bench.url(list_path, c.params)))
        for case in admin_cases:
            response = staff.get(bench.url(admin_path, case.params))
            rows = bench.ADMIN_ROW.findall(response.content.decode())
            if rows != bench.floor_admin(ds, case):
                mismatches.append(f"{case.name}: rows differ ({len(rows)} on the page)")
            queries[case.name] = bench.count_queries(lambda c=case: staff.get(bench.url(admin_path, c.params)))
        default_admin = bench.url(admin_path, {"store": ds.big_store_id})
        for _ in range(repeat):
            for case in list_cases:
                target = bench.url(list_path, case.params)
                timing.add(f"{case.name}|page", bench.timed(lambda t=target: merchant.get(t))[0])
                timing.add(f"{case.name}|floor", bench.timed(lambda c=case: bench.floor_list(ds, c))[0])
                timing.add(f"{case.name}|admin", bench.timed(lambda: staff.get(default_admin))[0])
            for case in admin_cases:
                target = bench.url(admin_path, case.params)
                timing.add(f"{case.name}|page", bench.timed(lambda t=target: staff.get(t))[0])
                timing.add(f"{case.name}|floor", bench.timed(lambda c=case: bench.floor_admin(ds, c))[0])
        self.report(list_cases, admin_cases, timing, queries, mismatches)

    def report(self, list_cases, admin_cases, timing, queries, mismatches) -> None:
        out = self.stdout
        out.write(f"\n{'case (big store)':<28}{'page ms':>9}{'floor ms':>10}{'ratio':>7}{'queries':>9}  verdict")
        slow = 0
        for case in [*list_cases, *admin_cases]:
            page, floor = timing.median(f"{case.name}|page"), timing.median(f"{case.name}|floor")
            ratio = page / floor if floor else float("inf")
            limit = TARGET_ADMIN if case.name.startswith("admin") else TARGET_LIST
            n = queries[case.name]
            ok = ratio <= limit and (case.name.startswith("admin") or n <= MAX_QUERIES)
            slow += not ok
            line = (
                f"{case.name:<28}{page:>9.1f}{floor:>10.1f}{ratio:>6.1f}×{n:>9}  {'OK' if ok else 'SLOW'} (≤{limit:g}×)"
            )
            out.write(self.style.SUCCESS(line) if ok else self.style.WARNING(line))
        admin_list = [timing.median(f"{c.name}|admin") for c in list_cases]
        out.write(
            f"admin changelist (store filter) alongside the list cases: median {sorted(admin_list)[len(admin_list) // 2]:.1f} ms"
        )
        if mismatches:
            for m in mismatches:
                out.write(self.style.ERROR(f"MISMATCH {m}"))
            raise CommandError(f"{len(mismatches)} case(s) differ from their floor")
        out.write("Rows, tab counts and totals match the floor in every case.")
        if slow:
            out.write(self.style.WARNING(f"{slow} case(s) above target"))
