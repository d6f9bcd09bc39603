"""Deadline sweeps of after-sales, reviews and store evaluation (set-based, idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit
from portal.sweeps import sweep

from . import services
from .models import AftersalesRequest, AftersalesStatus, DsrSnapshot


def _overdue(**filters):
    return AftersalesRequest.objects.filter(deadline_at__lte=timezone.now(), **filters).order_by("deadline_at")


@sweep("aftersales.auto_approve")
def auto_approve() -> int:
    """Requests unanswered past the response window are approved."""
    requests = list(_overdue(status=AftersalesStatus.REQUESTED))
    for req in requests:
        services.aftersales_auto_approve(request=req)
    return len(requests)


@sweep("aftersales.auto_receive")
def auto_receive() -> int:
    """Returns shipped but not confirmed within the receipt window are received (and refunded)."""
    requests = list(_overdue(status=AftersalesStatus.AWAITING_RETURN).exclude(return_waybill_no=""))
    for req in requests:
        services.aftersales_auto_receive(request=req)
    return len(requests)


@sweep("aftersales.expire")
def expire() -> int:
    """Returns never shipped and rejections never escalated are closed."""
    requests = list(
        _overdue(status=AftersalesStatus.AWAITING_RETURN, return_waybill_no="")
        | _overdue(status=AftersalesStatus.REJECTED)
    )
    for req in requests:
        services.aftersales_expire(request=req)
    return len(requests)


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
