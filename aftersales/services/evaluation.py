"""After-sales' part of store evaluation: the daily DSR snapshots, and the metrics its data describes
(DSR, after-sales rate, disputes lost, complaints), contributed to shop's evaluation through
`portal.hooks.store_metrics`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from shop.selectors.orders import paid_order_counts
from shop.services.evaluation import Metric, pct

from ..models import AftersalesRequest, Complaint, ComplaintStatus, Decision, DsrSnapshot
from ..selectors import dsr_rows


def store_metrics(*, store_ids: list[int], since: datetime, now: datetime) -> dict[int, dict[str, Decimal | int | None]]:
    """portal.hooks.store_metrics: DSR, after-sales rate (per paid order), disputes lost, upheld complaints."""
    ratings = dsr_rows(store_ids=store_ids, now=now)
    paid = paid_order_counts(store_ids=store_ids, since=since, now=now)
    requests = {
        r["store_id"]: r
        for r in AftersalesRequest.objects.filter(store_id__in=store_ids)
        .values("store_id")
        .annotate(
            opened=Count("id", filter=Q(created_at__gt=since, created_at__lte=now)),
            lost=Count(
                "id",
                filter=Q(
                    finished_at__gt=since,
                    finished_at__lte=now,
                    decision__in=[Decision.FULL_REFUND, Decision.PARTIAL_REFUND],
                ),
            ),
        )
    }
    complaints = dict(
        Complaint.objects.filter(
            store_id__in=store_ids, status=ComplaintStatus.UPHELD, handled_at__gt=since, handled_at__lte=now
        )
        .values("store_id")
        .annotate(n=Count("id"))
        .values_list("store_id", "n")
    )
    out = {}
    for pk in store_ids:
        r = ratings.get(pk, {})
        a = requests.get(pk, {"opened": 0, "lost": 0})
        out[pk] = {
            Metric.DSR_DESCRIPTION: r.get("description"),
            Metric.DSR_LOGISTICS: r.get("logistics"),
            Metric.DSR_SERVICE: r.get("service"),
            Metric.AFTERSALES_RATE: pct(a["opened"], paid.get(pk, 0)),
            Metric.DISPUTES_LOST: a["lost"],
            Metric.COMPLAINTS: complaints.get(pk, 0),
        }
    return out


def dsr_snapshot_all(*, day: date | None = None, now: datetime | None = None) -> int:
    """Store every store's rolling DSR for `day` (one aggregate query, one upsert). Idempotent."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    rows = dsr_rows(now=now)
    snapshots = [
        DsrSnapshot(
            store_id=pk,
            day=day,
            description=r["description"],
            logistics=r["logistics"],
            service=r["service"],
            review_count=r["count"],
        )
        for pk, r in rows.items()
    ]
    DsrSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["store", "day"],
        update_fields=["description", "logistics", "service", "review_count"],
    )
    return len(snapshots)


