"""The after-sales deadlines, run by aftersales.sweeps.

Each one is idempotent, and one refused request never stops the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit
from portal.exceptions import DomainError
from portal.fsm import BATCH_SIZE, transition
from shop.selectors.orders import items_received_before

from .. import selectors
from ..models import (
    AftersalesRequest,
    AftersalesStatus,
    AftersalesType,
    CloseReason,
    Review,
)
from .common import _lock, rules
from .intervention import aftersales_force_refund
from .negotiation import aftersales_offer_expire
from .refunds import _issue_refund
from .requests import _request_return, aftersales_return_delivered, default_return_address

logger = logging.getLogger(__name__)


@transaction.atomic
def aftersales_auto_approve(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """The response window passed: approve as the merchant would (return address: the store's last one)."""
    req = _lock(request)
    if req.status != AftersalesStatus.REQUESTED or req.deadline_at is None or req.deadline_at > timezone.now():
        return req
    reason = _("商家超时未处理，系统自动同意")
    transition(req, "approve", by=by, reason=reason)
    if req.type == AftersalesType.REFUND_ONLY:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    elif req.is_return_type() and (address := default_return_address(req.store)):
        _request_return(req, address, by)
    return req


@transaction.atomic
def aftersales_expire(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """A deadline on the buyer's side passed: return not shipped (closed) or no escalation (closed)."""
    req = _lock(request)
    if req.deadline_at is None or req.deadline_at > timezone.now():
        return req
    if req.status == AftersalesStatus.AWAITING_RETURN and not req.return_waybill_no:
        req.close_reason = CloseReason.BUYER_OVERDUE
    elif req.status == AftersalesStatus.REJECTED:
        req.close_reason = CloseReason.EXPIRED
    else:
        return req
    transition(req, "close", by=by, reason=req.get_close_reason_display())
    return req


@transaction.atomic
def aftersales_auto_receive(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """The merchant did not confirm the returned goods in time: receipt confirmed (and refunded) automatically."""
    req = _lock(request)
    if (
        req.status != AftersalesStatus.AWAITING_RETURN
        or not req.return_waybill_no
        or req.deadline_at is None
        or req.deadline_at > timezone.now()
    ):
        return req
    transition(req, "receive_return", by=by, reason=_("商家超时未确认收货，系统自动确认"))
    if req.type == AftersalesType.RETURN_REFUND:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    return req


def reviews_default_positive(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Items received longer than the review window ago and never reviewed get a default 5/5/5: set-based, in
    batches, and only over the orders whose window ended within the lookback (an idle tick reads a few index
    pages of `order_received_at`, not every item ever received). Not a documented platform rule: does nothing
    unless settings.REVIEWS_DEFAULT_POSITIVE is on (off by default)."""
    if not settings.REVIEWS_DEFAULT_POSITIVE:
        return 0
    now = now or timezone.now()
    cutoff = now - rules()["review_window"]
    items = (
        items_received_before(cutoff, since=cutoff - settings.PORTAL_TIME_RULES["sweep_lookback"])
        .filter(review__isnull=True)
        .order_by("pk")
    )
    made, last_pk = 0, 0
    while batch := list(items.filter(pk__gt=last_pk)[:batch_size]):
        last_pk = batch[-1].pk
        reviews = [
            Review(
                store_id=i.order.store_id,
                order_id=i.order_id,
                item=i,
                product_id=i.sku.product_id,
                buyer_ref=i.order.buyer_ref,
                score_description=5,
                score_logistics=5,
                score_service=5,
                is_default=True,
                created_at=now,
            )
            for i in batch
        ]
        made += len(Review.objects.bulk_create(reviews, ignore_conflicts=True))
    return made


# ---------------------------------------------------------------------------- the sweeps' entry points


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
    """Overdue requests, oldest deadline first, at most one batch per tick (memory stays bounded; the next
    tick takes the rest)."""
    return AftersalesRequest.objects.filter(deadline_at__lte=timezone.now(), **filters).order_by("deadline_at")


def offers_expire_overdue() -> int:
    """Negotiation offers the buyer left unanswered past their window return to the merchant."""
    return _each(_overdue(status=AftersalesStatus.NEGOTIATING), lambda r: aftersales_offer_expire(request=r))


def auto_approve_overdue() -> int:
    """Requests unanswered past the response window are approved."""
    return _each(_overdue(status=AftersalesStatus.REQUESTED)[:BATCH_SIZE], lambda r: aftersales_auto_approve(request=r))


def returns_mark_delivered() -> int:
    """Returns the courier reports signed for are marked delivered (the merchant is due to confirm)."""
    return _each(
        selectors.returns_signed_for(),
        lambda r: aftersales_return_delivered(request=r, by=f"courier:{r.return_courier_code}"),
    )


def returns_force_refund_bounced() -> int:
    """Returns the courier reports refused or sent back from the merchant's return address: the platform
    forces the refund (DOMAIN.md: a wrong return address)."""
    cause = _("退货包裹被退回（退货地址错误或商家拒收），平台强制退款")
    return _each(
        selectors.returns_bounced()[:BATCH_SIZE],
        lambda r: aftersales_force_refund(request=r, cause=cause, by=f"courier:{r.return_courier_code}"),
    )


def auto_receive_overdue() -> int:
    """Returns shipped but not confirmed within the receipt window are received (and refunded)."""
    return _each(
        _overdue(status=AftersalesStatus.AWAITING_RETURN).exclude(return_waybill_no="")[:BATCH_SIZE],
        lambda r: aftersales_auto_receive(request=r),
    )


def expire_overdue() -> int:
    """Returns never shipped and rejections never escalated are closed."""
    return _each(
        list(
            (
                _overdue(status=AftersalesStatus.AWAITING_RETURN, return_waybill_no="")
                | _overdue(status=AftersalesStatus.REJECTED)
            )[:BATCH_SIZE]
        ),
        lambda r: aftersales_expire(request=r),
    )


def warn_near_timeout() -> int:
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
                data={
                    "request_sn": req.request_sn,
                    "deadline_at": req.deadline_at.isoformat() if req.deadline_at else None,
                },
            )
        AftersalesRequest.objects.filter(pk__in=[r.pk for r in requests]).update(near_timeout_notified=True)
    return len(requests)
