"""Deadline sweeps of after-sales, reviews and store evaluation (set-based, idempotent)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit
from portal.exceptions import DomainError
from portal.sweeps import sweep

from . import selectors, services
from .models import AftersalesRequest, AftersalesStatus, DsrSnapshot

logger = logging.getLogger(__name__)


def _each(requests: Iterable[AftersalesRequest], action: Callable[[AftersalesRequest], object]) -> int:
    """Apply `action` (a service, atomic) to each request; one it refuses is logged and skipped, never
    blocking the rest of the sweep. Returns how many moved."""
    done = 0
    for req in requests:
        try:
            action(req)
            done += 1
        except DomainError as exc:
            logger.warning("sweep skipped after-sales request %s: %s", req.request_sn, exc.message)
    return done


def _overdue(**filters):
    return AftersalesRequest.objects.filter(deadline_at__lte=timezone.now(), **filters).order_by("deadline_at")


@sweep("aftersales.auto_approve")
def auto_approve() -> int:
    """Requests unanswered past the response window are approved."""
    return _each(_overdue(status=AftersalesStatus.REQUESTED), lambda r: services.aftersales_auto_approve(request=r))


@sweep("aftersales.return_tracking")
def return_tracking() -> int:
    """Returns the courier reports signed for are marked delivered (the merchant is due to confirm)."""
    return _each(
        selectors.returns_signed_for(),
        lambda r: services.aftersales_return_delivered(request=r, by=f"courier:{r.return_courier_code}"),
    )


@sweep("aftersales.auto_receive")
def auto_receive() -> int:
    """Returns shipped but not confirmed within the receipt window are received (and refunded)."""
    return _each(
        _overdue(status=AftersalesStatus.AWAITING_RETURN).exclude(return_waybill_no=""),
        lambda r: services.aftersales_auto_receive(request=r),
    )


@sweep("aftersales.expire")
def expire() -> int:
    """Returns never shipped and rejections never escalated are closed."""
    return _each(
        list(
            _overdue(status=AftersalesStatus.AWAITING_RETURN, return_waybill_no="")
            | _overdue(status=AftersalesStatus.REJECTED)
        ),
        lambda r: services.aftersales_expire(request=r),
    )


@sweep("aftersales.near_timeout")
def near_timeout() -> int:
    """Warn the merchant once when a response deadline is near."""
    now = timezone.now()
    near = now + settings.PORTAL_TIME_RULES["aftersales_near_timeout"]
    with transaction.atomic():
        qs = AftersalesRequest.objects.select_for_update(skip_locked=True).filter(
            status=AftersalesStatus.REQUESTED, near_timeout_notified=False, deadline_at__gt=now, deadline_at__lte=near
        )
        requests = list(qs)
        for req in requests:
            emit(
                type="aftersales.near_timeout",
                store_id=req.store_id,
                title=_("售后申请即将超时：%(sn)s") % {"sn": req.request_sn},
                body=_("请在截止时间前处理，超时将自动同意。"),
                url=reverse("aftersales:request_detail", args=[req.pk]),
                data={"request_sn": req.request_sn, "deadline_at": req.deadline_at.isoformat()},
            )
        AftersalesRequest.objects.filter(pk__in=[r.pk for r in requests]).update(near_timeout_notified=True)
    return len(requests)


@sweep("reviews.default_positive")
def default_positive() -> int:
    return services.reviews_default_positive()


@sweep("evaluation.daily")
def evaluation_daily() -> int:
    """Today's DSR snapshots (once a day) and store evaluations (skips stores already evaluated today)."""
    from shop.services.evaluation import dsr_snapshot_all, evaluation_run

    if not DsrSnapshot.objects.filter(day=timezone.localdate()).exists():
        dsr_snapshot_all()
    return evaluation_run()
