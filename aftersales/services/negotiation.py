"""Negotiation (协商): the merchant offers a partial refund instead of answering yes or no; the buyer accepts
(refunded at once, the buyer keeps the goods) or declines (the request waits on the merchant again)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.events import emit
from portal.exceptions import IllegalTransition, ValidationFailed
from portal.fsm import transition
from shop.services.orders.items import order_item_lock

from ..models import AftersalesRequest, AftersalesStatus
from .common import _check_buyer, _lock, _url
from .refunds import _issue_refund, refundable_amount


def negotiation_refundable(req: AftersalesRequest) -> int:
    """The most an offer may refund: what the buyer asked for, and no more than the item may still refund."""
    return min(req.amount, refundable_amount(req.item, exclude_pk=req.pk))


@transaction.atomic
def aftersales_negotiate(*, request: AftersalesRequest, amount: int, note: str = "", by) -> AftersalesRequest:
    """The merchant offers to refund `amount` (fen); the request waits on the buyer's answer."""
    req = _lock(request)
    order_item_lock(item_id=req.item_id)  # serialise with the item's other requests and refunds
    if req.status != AftersalesStatus.REQUESTED or not req.is_money_type():
        raise IllegalTransition()
    most = negotiation_refundable(req)
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("协商金额必须大于 0。")]}, code="invalid_amount")
    if amount > most:
        raise ValidationFailed(
            _("协商金额超过可退金额。"),
            code="refund_exceeds_paid",
            fields={"amount": [_("最多可退 %(amount).2f 元。") % {"amount": most / 100}]},
        )
    if not note.strip():
        raise ValidationFailed(fields={"note": [_("请向买家说明协商方案。")]}, code="reason_required")
    transition(
        req,
        "propose_offer",
        by=by,
        reason=note[:200],
        data={"offer_amount": amount, "requested_amount": req.amount},
        amount=amount,
        note=note[:200],
    )
    return req


@transaction.atomic
def aftersales_offer_accept(*, request: AftersalesRequest, buyer_ref: str, by) -> AftersalesRequest:
    """The buyer accepts the offer: the agreed amount is refunded now and the request is finished."""
    req = _lock(request)
    _check_buyer(req, buyer_ref)
    order_item_lock(item_id=req.item_id)
    if req.status == AftersalesStatus.NEGOTIATING and req.offer_amount > refundable_amount(req.item, req.pk):
        raise IllegalTransition(_("可退金额已变化，请等待商家重新处理。"), code="refund_exceeds_paid")
    transition(req, "accept_offer", by=by, data={"amount": req.offer_amount})
    _issue_refund(req=req, amount=req.amount, by=by)
    transition(req, "mark_refunded", by=by)
    _announce(req, accepted=True)
    return req


@transaction.atomic
def aftersales_offer_decline(*, request: AftersalesRequest, buyer_ref: str, reason: str = "", by) -> AftersalesRequest:
    """The buyer declines the offer: the request waits on the merchant again (answer window restarts)."""
    req = _lock(request)
    _check_buyer(req, buyer_ref)
    offered = req.offer_amount
    transition(req, "decline_offer", by=by, reason=reason[:200], data={"offer_amount": offered})
    _announce(req, accepted=False)
    return req


@transaction.atomic
def aftersales_offer_expire(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """An offer the buyer left unanswered past its window counts as declined (the merchant answers again)."""
    req = _lock(request)
    if req.status != AftersalesStatus.NEGOTIATING or req.deadline_at is None or req.deadline_at > timezone.now():
        return req
    transition(req, "decline_offer", by=by, data={"offer_amount": req.offer_amount, "expired": True})
    _announce(req, accepted=False)
    return req


def _announce(req: AftersalesRequest, *, accepted: bool) -> None:
    emit(
        type="aftersales.offer_answered",
        store_id=req.store_id,
        title=(_("买家已接受协商：%(sn)s") if accepted else _("买家拒绝了协商：%(sn)s")) % {"sn": req.request_sn},
        url=_url(req),
        data={"request_sn": req.request_sn, "accepted": accepted, "amount": req.amount},
    )
