"""Every write of the payment flow: create, record the callback, refund."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from portal.actors import Actor
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import transition
from portal.models import Payment, PaymentStatus, Refund, RefundStatus

from . import HANDLERS, REFUND_HANDLERS
from .providers import CallbackResult, get_provider


def payment_create(*, purpose: str, reference: str, amount: int, store_id: int | None) -> Payment:
    """Open a pending payment; the payer goes to `checkout_url(payment)`."""
    if purpose not in HANDLERS:
        raise ValueError(f"No handler registered for payment purpose {purpose!r}")
    if amount <= 0:
        raise ValidationFailed("Amount must be positive.", fields={"amount": ["must be positive"]})
    return Payment.objects.create(
        purpose=purpose, reference=reference, amount=amount, store_id=store_id, provider=get_provider().name
    )


def checkout_url(payment: Payment) -> str:
    return get_provider(payment.provider).checkout(payment).checkout_url


@transaction.atomic
def payment_record_callback(*, result: CallbackResult, by: str = "payment:sandbox") -> Payment:
    """Apply a verified provider callback once: success runs the purpose's handler; repeats are no-ops."""
    payment = Payment.objects.select_for_update().filter(pk=result.payment_id).first()
    if payment is None:
        raise ValidationFailed("Unknown payment.", code="unknown_payment")
    if payment.status != PaymentStatus.PENDING:
        if payment.status == PaymentStatus.SUCCEEDED and payment.provider_txn == result.provider_txn:
            return payment  # duplicate delivery of the same callback
        if payment.status == PaymentStatus.SUCCEEDED and result.succeeded:
            raise Conflict("Payment already settled by another transaction.", code="already_paid")
        return payment
    if result.amount != payment.amount:
        raise ValidationFailed("Amount does not match the payment.", code="amount_mismatch")
    payment.provider_txn = result.provider_txn
    if result.succeeded:
        transition(payment, "succeed", by=by)
        HANDLERS[payment.purpose](payment, by)
    else:
        transition(payment, "fail", by=by, reason="provider reported failure")
    return payment


def refund_create(*, payment: Payment, amount: int, reference: str, reason: str, by) -> Refund:
    """Record a refund (inside the caller's transaction) and send it to the provider after commit."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict("Only a succeeded payment can be refunded.", code="payment_not_refundable")
    already = sum(r.amount for r in payment.refunds.exclude(status=RefundStatus.FAILED))
    if amount <= 0 or already + amount > payment.amount:
        raise ValidationFailed(
            "Refund exceeds what was paid.", code="refund_exceeds_payment", fields={"amount": ["too large"]}
        )
    refund = Refund.objects.create(
        payment=payment, store_id=payment.store_id, reference=reference, amount=amount, reason=reason
    )
    transaction.on_commit(lambda: refund_execute(refund_id=refund.pk))
    return refund


def refund_create_many(*, purpose: str, references: list[str], reason: str, by) -> list[Refund]:
    """`refund_create` of everything still refundable on the succeeded payments of `purpose` for `references`
    (sweeps cancelling many paid orders): one read with the amounts already refunded, one bulk insert; each
    refund goes to the provider after commit. A reference without a succeeded payment gets nothing."""
    if not references:
        return []
    payments = (
        Payment.objects.filter(purpose=purpose, reference__in=references, status=PaymentStatus.SUCCEEDED)
        .annotate(refunded=Coalesce(Sum("refunds__amount", filter=~Q(refunds__status=RefundStatus.FAILED)), 0))
        .values_list("pk", "store_id", "reference", "amount", "refunded")
    )
    refunds = Refund.objects.bulk_create(
        [
            Refund(payment_id=pk, store_id=store_id, reference=reference, amount=amount - refunded, reason=reason[:200])
            for pk, store_id, reference, amount, refunded in payments
            if amount > refunded
        ]
    )
    for refund in refunds:  # robust: one provider failure does not keep the others from being sent
        transaction.on_commit(partial(refund_execute, refund_id=refund.pk), robust=True)
    return refunds


def refund_execute(*, refund_id: int) -> Refund:
    """Call the provider outside any lock, then record the outcome (idempotent)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    result = get_provider(refund.payment.provider).refund(refund)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            return refund
        refund.provider_ref = result.provider_ref
        if result.succeeded:
            transition(refund, "succeed", by=Actor.payment_provider(refund.payment.provider))
            handler = REFUND_HANDLERS.get(refund.payment.purpose)
            if handler:
                handler(refund, "payment")
        else:
            refund.failure_reason = result.failure_reason[:200]
            transition(refund, "fail", by=Actor.payment_provider(refund.payment.provider), reason=result.failure_reason)
    return refund
