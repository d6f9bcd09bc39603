"""Deadline sweeps of after-sales, reviews and store evaluation, registered with portal.sweeps.

Each one calls the app's deadline rules (`aftersales.services.deadlines`): set-based where it can be,
idempotent, and one refused request never blocks the rest.
"""

from __future__ import annotations

from django.utils import timezone

from portal.sweeps import sweep
from shop.services.evaluation import evaluation_run

from .models import DsrSnapshot
from .services import deadlines
from .services.evaluation import dsr_snapshot_all


@sweep("aftersales.auto_approve")
def auto_approve() -> int:
    return deadlines.auto_approve_overdue()


@sweep("aftersales.offers_expire")
def offers_expire() -> int:
    return deadlines.offers_expire_overdue()


@sweep("aftersales.return_tracking")
def return_tracking() -> int:
    return deadlines.returns_mark_delivered() + deadlines.returns_force_refund_bounced()


@sweep("aftersales.auto_receive")
def auto_receive() -> int:
    return deadlines.auto_receive_overdue()


@sweep("aftersales.expire")
def expire() -> int:
    return deadlines.expire_overdue()


@sweep("aftersales.near_timeout")
def near_timeout() -> int:
    return deadlines.warn_near_timeout()


@sweep("reviews.default_positive")
def default_positive() -> int:
    return deadlines.reviews_default_positive()


@sweep("evaluation.daily")
def evaluation_daily() -> int:
    """Today's DSR snapshots (once a day) and store evaluations (skips stores already evaluated today)."""
    if not DsrSnapshot.objects.filter(day=timezone.localdate()).exists():
        dsr_snapshot_all()
    return evaluation_run()
