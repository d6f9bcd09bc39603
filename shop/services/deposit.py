"""The deposit (保证金) ledger: every write is one append-only DepositEntry; balances are sums.

Other areas call `deposit_deduct` (penalties, after-sales decisions), `deposit_freeze` /
`deposit_unfreeze` (money held while a dispute runs) and read `deposit_balance` / `required_deposit`
(shop.selectors.stores). A deduction never fails for lack of funds: the balance may go negative,
which shows the merchant a shortfall to top up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import user_of
from portal.audit import audit_record
from portal.events import emit
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import actor_label, transition
from portal.models import Payment, PaymentStatus, RefundStatus
from portal.payments import on_payment_succeeded
from portal.payments.services import payment_create, refund_create
from shop.models import DepositEntry, DepositRefundRequest, Store, StoreStatus
from shop.selectors.stores import add_working_days, deposit_balance, deposit_sums, required_deposit

from .stores import require_perm

# Re-exported for other areas: the reads of the deposit live in the selectors.
__all__ = [
    "deposit_balance",
    "deposit_deduct",
    "deposit_freeze",
    "deposit_payment_start",
    "deposit_record_transfer",
    "deposit_refund_approve",
    "deposit_refund_open",
    "deposit_refund_reject",
    "deposit_refund_reopen",
    "deposit_settle",
    "deposit_top_up",
    "deposit_unfreeze",
    "required_deposit",
]

PAYABLE_STATUSES = (
    StoreStatus.APPROVED,
    StoreStatus.DEPOSIT_PAID,
    StoreStatus.AGREEMENT_SIGNED,
    StoreStatus.OPEN,
    StoreStatus.SUSPENDED,
)


def _check_amount(amount: Any) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(_("金额必须是正整数（分）。"), fields={"amount": [_("金额必须是正整数（分）。")]})
    return amount


def _lock(store: Store) -> Store:
    return Store.objects.select_for_update().get(pk=store.pk)


def _record(
    store: Store,
    kind: str,
    amount: int,
    *,
    by: Any,
    reason: str = "",
    ref: str = "",
    payment: Payment | None = None,
    refund=None,
) -> DepositEntry:
    entry = DepositEntry.objects.create(
        store=store,
        kind=kind,
        amount=amount,
        reason=(reason or "")[:200],
        ref=(ref or "")[:64],
        payment=payment,
        refund=refund,
        created_by=user_of(by),
        actor_label=actor_label(by),
    )
    balance, frozen = deposit_sums(store)
    emit(
        type="deposit.changed",
        store_id=store.pk,
        title=_("保证金%(kind)s %(amount)s") % {"kind": entry.get_kind_display(), "amount": f"¥{amount / 100:.2f}"},
        body=_("%(reason)s 当前保证金余额 ¥%(balance).2f。") % {"reason": entry.reason, "balance": balance / 100},
        url=reverse("shop:deposit_ledger"),
        data={"kind": kind, "amount": amount, "balance": balance, "frozen": frozen, "ref": entry.ref},
    )
    return entry


def outstanding_deposit(store: Store) -> int:
    """What the store still has to pay to hold the required deposit (available part), in fen."""
    balance, frozen = deposit_sums(store)
    return max(required_deposit(store) - (balance - frozen), 0)


@transaction.atomic
def deposit_top_up(
    *, store: Store, amount: int, by: Any, ref: str = "", reason: str = "", payment: Payment | None = None
) -> DepositEntry:
    """Money received for the deposit (payment or bank transfer). The first one is `pay`; a store
    waiting for its deposit moves to deposit_paid once the required amount is held."""
    _check_amount(amount)
    store = _lock(store)
    if store.status not in PAYABLE_STATUSES:
        raise Conflict(_("店铺当前状态不能缴纳保证金。"), code="deposit_not_payable")
    first = store.status == StoreStatus.APPROVED and not store.deposit_entries.exists()
    entry = _record(
        store,
        "pay" if first else "top_up",
        amount,
        by=by,
        reason=reason or (_("缴纳保证金") if first else _("补缴保证金")),
        ref=ref,
        payment=payment,
    )
    if store.status == StoreStatus.APPROVED and outstanding_deposit(store) == 0:
        transition(store, "mark_deposit_paid", by=by, reason=entry.ref, data={"entry_id": entry.pk})
    return entry


@transaction.atomic
def deposit_payment_start(*, store: Store, by: Any) -> Payment:
    """Open a payment for the outstanding deposit; the merchant continues at checkout_url(payment)."""
    store = _lock(store)
    if store.status not in PAYABLE_STATUSES:
        raise Conflict(_("店铺当前状态不能缴纳保证金。"), code="deposit_not_payable")
    amount = outstanding_deposit(store)
    if amount == 0:
        raise Conflict(_("保证金已足额，无需缴纳。"), code="deposit_not_due")
    pending = Payment.objects.filter(
        purpose="deposit", store=store, status=PaymentStatus.PENDING, amount=amount
    ).first()
    if pending is not None:
        return pending  # the merchant went back and clicked again: reuse the open payment
    return payment_create(purpose="deposit", reference=f"DEP{store.pk:06d}", amount=amount, store_id=store.pk)


@on_payment_succeeded("deposit")
def _deposit_payment_succeeded(payment: Payment, by: str) -> None:
    if payment.store is None:  # a deposit payment always names its store
        raise ValueError(f"deposit payment {payment.pk} has no store")
    store = _lock(payment.store)
    if store.status not in PAYABLE_STATUSES:
        # Paid after the store closed (a late callback): the money goes straight back.
        refund_create(
            payment=payment, amount=payment.amount, reference=payment.reference, reason=_("店铺已关闭，原路退回"), by=by
        )
        return
    deposit_top_up(store=store, amount=payment.amount, by=by, ref=payment.provider_txn, payment=payment)


@transaction.atomic
def deposit_record_transfer(*, store: Store, amount: int, ref: str, by: Any, reason: str = "") -> DepositEntry:
    """Finance records an offline bank transfer received for the store's deposit."""
    require_perm(by, "shop.settle_deposit")
    if not (ref or "").strip():
        raise ValidationFailed(_("请填写银行流水号。"), fields={"ref": [_("请填写银行流水号。")]})
    return deposit_top_up(store=store, amount=amount, by=by, ref=ref.strip(), reason=reason or _("线下转账"))


@transaction.atomic
def deposit_deduct(*, store: Store, amount: int, reason: str, by: Any, ref: str = "") -> DepositEntry:
    """Take a penalty or compensation from the deposit (may leave a shortfall to top up); notifies by SMS."""
    _check_amount(amount)
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写扣除原因。"), fields={"reason": [_("请填写扣除原因。")]})
    store = _lock(store)
    return _record(store, "deduct", amount, by=by, reason=reason.strip(), ref=ref)


@transaction.atomic
def deposit_freeze(*, store: Store, amount: int, reason: str, by: Any, ref: str = "") -> DepositEntry:
    """Hold part of the deposit (e.g. while a dispute runs); it stays in the balance but is not available."""
    _check_amount(amount)
    store = _lock(store)
    return _record(store, "freeze", amount, by=by, reason=reason, ref=ref)


@transaction.atomic
def deposit_unfreeze(*, store: Store, amount: int, reason: str, by: Any, ref: str = "") -> DepositEntry:
    """Release held money (at most what is frozen)."""
    _check_amount(amount)
    store = _lock(store)
    if amount > deposit_sums(store)[1]:
        raise ValidationFailed(
            _("解冻金额超过已冻结金额。"),
            code="unfreeze_exceeds_frozen",
            fields={"amount": [_("解冻金额超过已冻结金额。")]},
        )
    return _record(store, "unfreeze", amount, by=by, reason=reason, ref=ref)


def _settleable_balance(store: Store) -> int:
    """The balance a closing store gets back; refused while part is frozen or the deposit is short."""
    if store.status != StoreStatus.CLOSING:
        raise Conflict(_("只有关店中的店铺可以结算保证金。"), code="deposit_not_settleable")
    balance, frozen = deposit_sums(store)
    if frozen:
        raise Conflict(_("还有冻结中的保证金，处理完纠纷后才能关店。"), code="deposit_frozen")
    if balance < 0:
        raise Conflict(_("保证金余额不足，请先补缴欠款。"), code="deposit_shortfall")
    return balance


def deposit_refund_open(*, store: Store, by: Any, reason: str = "") -> DepositRefundRequest:
    """A closing store asks for its deposit back (inside store_close's transaction): finance reviews it within
    settings.DEPOSIT_REFUND_REVIEW_WORKING_DAYS working days; the merchant sees the expected date."""
    amount = _settleable_balance(store)
    expected = add_working_days(timezone.localdate(), settings.DEPOSIT_REFUND_REVIEW_WORKING_DAYS)
    request = DepositRefundRequest.objects.create(store=store, amount=amount, expected_on=expected)
    audit_record(
        request, "create", by=by, reason=(reason or "").strip(), data={"amount": amount, "expected_on": str(expected)}
    )
    emit(
        type="deposit.refund_review",
        store_id=store.pk,
        title=_("保证金退还申请已提交"),
        body=_("财务将在 %(date)s 前审核退还 ¥%(amount).2f。") % {"date": expected.isoformat(), "amount": amount / 100},
        url=reverse("shop:store_detail"),
        data={"request_id": request.pk, "amount": amount, "expected_on": expected.isoformat()},
    )
    return request


def _finance_locked(store: Store, by: Any, action: str) -> Store:
    """The store locked for a finance decision on its deposit refund (permission and action checked)."""
    require_perm(by, "shop.settle_deposit")
    store = _lock(store)
    require_action(store, by, action)
    return store


def _pending_refund(store: Store) -> DepositRefundRequest:
    request = DepositRefundRequest.objects.select_for_update().filter(store=store, status="pending").first()
    if request is None:
        raise Conflict(_("没有待审核的保证金退还申请。"), code="no_pending_refund")
    return request


@transaction.atomic
def deposit_refund_approve(*, store: Store, reason: str, by: Any) -> DepositRefundRequest:
    """Finance approves: the deposit goes back (deposit_settle) and the store is closed; the merchant is told."""
    store = _finance_locked(store, by, "approve_refund")
    request = _pending_refund(store)
    refunded = deposit_settle(store=store, by=by)
    request.decided_by, request.decision_reason = user_of(by), (reason or "").strip()[:500]
    transition(request, "approve", by=by, reason=request.decision_reason, data={"refunded": refunded})
    transition(store, "close", by=by, reason=store.status_reason, data={"deposit_refunded": refunded})
    _notify_refund(store, request, _("保证金已退还，店铺已关闭"))
    return request


@transaction.atomic
def deposit_refund_reject(*, store: Store, reason: str, by: Any) -> DepositRefundRequest:
    """Finance rejects with a reason: the deposit stays, the store stays closing; the merchant is told."""
    store = _finance_locked(store, by, "reject_refund")
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写驳回原因。"), fields={"reason": [_("请填写驳回原因。")]})
    request = _pending_refund(store)
    request.decided_by, request.decision_reason = user_of(by), reason.strip()[:500]
    transition(request, "reject", by=by, reason=request.decision_reason)
    _notify_refund(store, request, _("保证金退还申请被驳回"))
    return request


@transaction.atomic
def deposit_refund_reopen(*, store: Store, reason: str, by: Any) -> DepositRefundRequest:
    """After a rejection (the dispute settled, say), finance opens a new refund request for the closing store."""
    store = _finance_locked(store, by, "reopen_refund")
    if DepositRefundRequest.objects.filter(store=store, status="pending").exists():
        raise Conflict(_("已有待审核的保证金退还申请。"), code="refund_pending")
    return deposit_refund_open(store=store, by=by, reason=reason)


def _notify_refund(store: Store, request: DepositRefundRequest, title: str) -> None:
    emit(
        type="deposit.refund_review",
        store_id=store.pk,
        title=title,
        body=request.decision_reason,
        url=reverse("shop:store_detail"),
        data={"request_id": request.pk, "status": request.status, "amount": request.amount},
    )


def deposit_settle(*, store: Store, by: Any) -> int:
    """Refund the whole balance of a closing store (inside deposit_refund_approve's transaction); returns fen.

    Money paid through the provider goes back as refunds of those payments, newest first; the rest
    (bank transfers) is a refund entry that finance pays out offline.
    """
    balance = _settleable_balance(store)
    remaining = balance
    payments = Payment.objects.filter(purpose="deposit", store=store, status=PaymentStatus.SUCCEEDED).order_by(
        "-paid_at", "-id"
    )
    for payment in payments.prefetch_related("refunds"):
        if remaining == 0:
            break
        refunded = sum(r.amount for r in payment.refunds.all() if r.status != RefundStatus.FAILED)
        amount = min(remaining, payment.amount - refunded)
        if amount <= 0:
            continue
        refund = refund_create(
            payment=payment, amount=amount, reference=f"DEPR{store.pk:06d}", reason=_("关店退还保证金"), by=by
        )
        _record(
            store, "refund", amount, by=by, reason=_("关店退还保证金（原路退回）"), ref=refund.reference, refund=refund
        )
        remaining -= amount
    if remaining:
        _record(store, "refund", remaining, by=by, reason=_("关店退还保证金（财务线下转账）"))
    return balance
