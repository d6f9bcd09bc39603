"""Platform intervention: support staff decide an escalated request."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import By, require_perm, user_of
from portal.events import emit
from portal.exceptions import ValidationFailed
from portal.fsm import transition
from shop.selectors.funds import RefType
from shop.services.funds import penalty_charge
from shop.services.orders.items import (
    order_item_lock,
    order_item_refundable,
)

from ..models import (
    AftersalesRequest,
    Decision,
)
from .common import _lock, _url
from .refunds import _issue_refund


@transaction.atomic
def aftersales_decide(
    *,
    request: AftersalesRequest,
    decision: str,
    amount: int | None = None,
    note: str = "",
    deposit_deduction: int = 0,
    by: By,
) -> AftersalesRequest:
    """Support staff decide an intervention: full or partial refund (optionally from the deposit) or reject."""
    require_perm(by, "aftersales.change_aftersalesrequest")  # support decides (portal.roles)
    req = _lock(request)
    require_action(req, by, "decide")
    return _decide(req, decision=decision, amount=amount, note=note, deposit_deduction=deposit_deduction, by=by)


@transaction.atomic
def aftersales_force_refund(*, request: AftersalesRequest, cause: str, by: By = "system") -> AftersalesRequest:
    """The platform forces the refund (DOMAIN.md: refusing a seven-day return, or a wrong return address): a
    full refund decided by the platform itself, audited with the cause, the merchant notified."""
    req = _lock(request)
    require_action(req, by, "force_refund")
    return _decide(req, decision=Decision.FULL_REFUND, note=cause, by=by, verb="force_refund")


def _decide(
    req: AftersalesRequest,
    *,
    decision: str,
    amount: int | None = None,
    note: str = "",
    deposit_deduction: int = 0,
    by: By,
    verb: str = "decide",
) -> AftersalesRequest:
    if decision not in Decision.values:
        raise ValidationFailed(fields={"decision": [_("请选择裁决结果。")]})
    if deposit_deduction < 0 or (deposit_deduction and decision == Decision.REJECT):
        raise ValidationFailed(fields={"deposit_deduction": [_("驳回买家时不能扣除保证金。")]})
    refund_amount = 0
    if decision != Decision.REJECT:
        item = order_item_lock(item_id=req.item_id)
        assert item is not None  # the request's own item
        cap = req.amount if req.is_money_type() else order_item_refundable(item)
        refund_amount = cap if decision == Decision.FULL_REFUND else (amount or 0)
        if refund_amount <= 0 or refund_amount > cap:
            raise ValidationFailed(
                fields={"amount": [_("部分退款金额须在 0.01 至 %(cap).2f 元之间。") % {"cap": cap / 100}]}
            )
    req.decision, req.decision_note, req.deposit_deduction = decision, note[:500], deposit_deduction
    req.decided_by = user_of(by)
    transition(req, verb, by=by, reason=note, data={"decision": decision, "amount": refund_amount})
    if refund_amount:
        _issue_refund(req=req, amount=refund_amount, by=by)
    if deposit_deduction:  # the platform's penalty: payouts first, then the deposit (funds.penalty_charge)
        penalty_charge(
            store=req.store,
            amount=deposit_deduction,
            reason=_("售后纠纷平台判定：%(sn)s") % {"sn": req.request_sn},
            by=by,
            ref_type=RefType.AFTERSALES,
            ref_label=req.request_sn,
        )
    emit(
        type="aftersales.closed",
        store_id=req.store_id,
        title=_("平台已裁决：%(sn)s（%(d)s）") % {"sn": req.request_sn, "d": req.get_decision_display()},
        body=note[:200],
        url=_url(req),
        data={"request_sn": req.request_sn, "decision": decision, "deposit_deduction": deposit_deduction},
    )
    return req
