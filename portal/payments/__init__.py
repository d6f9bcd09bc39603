"""Payments through a provider adapter (sandbox included): pay, signed callback, refund.

Apps register what a succeeded payment means for them:

    @on_payment_succeeded("deposit")
    def _deposit_paid(payment, by): ...

The handler runs inside the transaction that records the payment, exactly once.

`payer` says who may open the sandbox cashier of such a payment: "member" (a logged-in member of the
payment's store, e.g. a deposit; the default) or "buyer" (the storefront's buyer, who has no portal session:
the unguessable token in the checkout URL is the capability, as with a real provider's cashier).
"""

from __future__ import annotations

from collections.abc import Callable

from portal.models import Payment, Refund

HANDLERS: dict[str, Callable[[Payment, str], None]] = {}
REFUND_HANDLERS: dict[str, Callable[[Refund, str], None]] = {}
PAYERS: dict[str, str] = {}


def on_payment_succeeded(purpose: str, *, payer: str = "member"):
    if payer not in {"member", "buyer"}:
        raise ValueError(f"Unknown payer {payer!r}")

    def register(func: Callable[[Payment, str], None]):
        HANDLERS[purpose] = func
        PAYERS[purpose] = payer
        return func

    return register


def on_refund_succeeded(purpose: str):
    """Optional: what a succeeded refund means for the app whose payment it refunds."""

    def register(func: Callable[[Refund, str], None]):
        REFUND_HANDLERS[purpose] = func
        return func

    return register
