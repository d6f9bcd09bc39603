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
from django.test.utils import override_settings

from aftersales.bench import api as bench_api
from aftersales.bench import cases as bench
from aftersales.bench.dataset import Size, analyze, build, existing
from portal.fsm import BATCH_SIZE
from portal.sweeps import SWEEPS

TARGET_LIST = 2.0
TARGET_IDLE_MS = 500
TARGET_API = 0.40
MAX_PLACE_QUERIES = 8
TARGET_DUE_MS = 60_000
# The four order sweeps the due-orders case times, in the order a tick runs them.
ORDER_SWEEPS = (
    "orders.cancel_unpaid",
    "orders.compensate_late_shipping",
    "orders.cancel_unshipped_past_hard_limit",
    "orders.auto_confirm_receipt",
)
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
        parser.add_argument("--no-cases", action="store_true", help="skip the list and admin cases")
        parser.add_argument(
            "--api", type=int, default=0, metavar="N", help="also time N API placements against a minimal create"
        )

    def handle(self, *args, orders, stores, big, repeat, rebuild, build_only, force, sweeps, api, no_cases, **options):
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
        if not no_cases:
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts, ROOT_URLCONF="aftersales.bench.urls"):
                self.run_cases(ds, repeat)
                self.run_booking(ds, repeat)
        if sweeps:
            self.run_sweeps(ds)
        if api:
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts, ROOT_URLCONF="aftersales.bench.urls"):
                self.run_api(ds, api)

    def run_booking(self, ds, repeat: int) -> None:
        """在线下单's 未下单 of the big store (aftersales/bench/booking.py)."""
        from aftersales.bench import booking

        merchant, _staff = bench.clients(ds)
        merchant.get("/shop/orders/")  # the session learns the current store
        self.stdout.write(f"\n{'case (big store)':<28}{'page ms':>9}{'floor ms':>10}{'ratio':>7}{'queries':>9}  size")
        if booking.run(ds, merchant, repeat, self.stdout.write):
            self.stdout.write(self.style.WARNING("未下单 above target"))
        # Its rolled-back backlog leaves dead order rows: vacuumed, so the next run's floors are what they were
        analyze(vacuum=not connection.in_atomic_block)

    def run_api(self, ds, n: int) -> None:
        """API placement against a minimal DRF create (the test client, one process); rolled back."""
        out = self.stdout
        with transaction.atomic():
            r = bench_api.run(ds, n)
            transaction.set_rollback(True)
        out.write(f"\n{'API create (test client, 1 process)':<40}{'req/s':>9}{'ms/req':>9}{'queries':>9}")
        out.write(f"{'order placement':<40}{r['place_rps']:>9.0f}{r['place_ms']:>9.2f}{r['place_queries']:>9}")
        out.write(f"{'minimal DRF create':<40}{r['minimal_rps']:>9.0f}{r['minimal_ms']:>9.2f}{r['minimal_queries']:>9}")
        ok = r["ratio"] >= TARGET_API and r["place_queries"] <= MAX_PLACE_QUERIES
        line = f"{'placement / minimal':<40}{r['ratio']:>8.0%}"
        target = f"(≥{TARGET_API:.0%}, ≤{MAX_PLACE_QUERIES} queries)"
        out.write(self.style.SUCCESS(f"{line}  OK {target}") if ok else self.style.WARNING(f"{line}  SLOW {target}"))

    def run_sweeps(self, ds) -> None:
        """Every registered sweep twice (the first tick does what became due since the build, the second is the
        idle tick: nothing due), then 100,000 due orders across the four order sweeps; all rolled back."""
        out = self.stdout
        with transaction.atomic():
            first, idle = {}, {}
            for name, func in SWEEPS.items():
                first[name] = bench.timed(func)
            for name, func in SWEEPS.items():
                with bench.counting() as n:
                    idle[name] = (*bench.timed(func), n[0])
            out.write(f"\n{'sweep':<40}{'first tick ms':>14}{'rows':>8}{'idle tick ms':>14}{'rows':>6}{'queries':>9}")
            for name in SWEEPS:
                (ms1, rows1), (ms2, rows2, n) = first[name], idle[name]
                out.write(f"{name:<40}{ms1:>14.1f}{rows1!s:>8}{ms2:>14.1f}{rows2!s:>6}{n:>9}")
            total = sum(v[0] for v in idle.values())
            line = f"{'idle tick, all sweeps':<40}{sum(v[0] for v in first.values()):>14.1f}{'':>8}{total:>14.1f}"
            ok = total <= TARGET_IDLE_MS
            out.write(
                self.style.SUCCESS(line + "  OK") if ok else self.style.WARNING(line + f"  SLOW (≤{TARGET_IDLE_MS} ms)")
            )
            busy = [name for name, (_ms, rows, _n) in idle.items() if rows]
            if busy:  # e.g. payout credits of a data set built without them: real work, shown apart
                quiet = sum(ms for name, (ms, rows, _n) in idle.items() if not rows)
                out.write(f"{'idle tick, sweeps with nothing due':<40}{'':>22}{quiet:>14.1f}")
                out.write(f"still working on the second tick: {', '.join(busy)}")
            made = bench.make_due(ds)
            out.write(f"\nmade due: {', '.join(f'{n:,} {kind}' for kind, n in made.items())} ({sum(made.values()):,})")
            out.write(f"{'order sweep':<40}{'ms':>9}{'rows':>9}{'rows/s':>9}{'queries':>9}{'batches':>9}")
            total_ms = 0.0
            for name in ORDER_SWEEPS:
                with bench.counting() as n:
                    ms, rows = bench.timed(SWEEPS[name])
                total_ms += ms
                rate = rows / ms * 1000 if ms else 0
                batches = -(-rows // BATCH_SIZE) if rows else 0
                out.write(f"{name:<40}{ms:>9.0f}{rows:>9,}{rate:>9,.0f}{n[0]:>9}{batches:>9}")
            line = f"{'four order sweeps, 100k due':<40}{total_ms:>9.0f}"
            ok = total_ms <= TARGET_DUE_MS
            out.write(
                self.style.SUCCESS(line + "  OK") if ok else self.style.WARNING(line + f"  SLOW (≤{TARGET_DUE_MS} ms)")
            )
            transaction.set_rollback(True)
        # The rolled-back updates leave dead rows and clear the visibility map: without a vacuum the next run's
        # tab counts are heap scans (a 20 ms index-only count became 480 ms).
        analyze(vacuum=not connection.in_atomic_block)
        out.write("Sweeps rolled back and the tables vacuumed: the data set is unchanged.")

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
            if rows != bench.floor_admin(ds.big_store_id, case):
                mismatches.append(f"{case.name}: rows differ ({len(rows)} on the page)")
            if "q" in case.params and staff.get(bench.url(bench.MINIMAL_STAFF_PATH, case.params)).content.split() != [
                sn.encode() for sn in rows
            ]:
                mismatches.append(f"{case.name}: the minimal staff page's rows differ")
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
                timing.add(f"{case.name}|floor", bench.timed(lambda c=case: bench.floor_admin(ds.big_store_id, c))[0])
                if "q" in case.params:
                    minimal = bench.url(bench.MINIMAL_STAFF_PATH, case.params)
                    timing.add(f"{case.name}|minimal", bench.timed(lambda t=minimal: staff.get(t))[0])
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
        for case in admin_cases:
            if "q" in case.params:
                minimal, floor = timing.median(f"{case.name}|minimal"), timing.median(f"{case.name}|floor")
                out.write(
                    f"  minimal staff page for {case.name.removeprefix('admin: ')} (session, user, the floor, no "
                    f"template): {minimal:.1f} ms, {minimal / floor:.1f}× the floor"
                )
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
