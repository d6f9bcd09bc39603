"""Payments through a provider adapter (sandbox included): pay, signed callback, refund.

Apps register what a succeeded payment means for them:

    @on_payment_succeeded("deposit")
    def _deposit_paid(payment, by): ...

The handler runs inside the transaction that records the payment, exactly once.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.models import Payment, Refund

HANDLERS: dict[str, Callable[[Payment, str], None]] = {}
REFUND_HANDLERS: dict[str, Callable[[Refund, str], None]] = {}


def on_payment_succeeded(purpose: str):
    def register(func: Callable[[Payment, str], None]):
        HANDLERS[purpose] = func
        return func

    return register


def on_refund_succeeded(purpose: str):
    """Optional: what a succeeded refund means for the app whose payment it refunds."""

    def register(func: Callable[[Refund, str], None]):
        REFUND_HANDLERS[purpose] = func
        return func

    return register
