"""Payment provider adapters: one interface, a registry, and the sandbox provider.

A real provider (WeChat Pay, Alipay) would be one more class here; none is reachable from this machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.exceptions import DomainError, ValidationFailed
from portal.models import Payment, Refund


@dataclass(frozen=True)
class Checkout:
    checkout_url: str


@dataclass(frozen=True)
class CallbackResult:
    payment_id: int
    provider_txn: str
    succeeded: bool
    amount: int


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    provider_ref: str = ""
    failure_reason: str = ""


class PaymentProvider:
    name = "base"

    def checkout(self, payment: Payment) -> Checkout:
        raise NotImplementedError

    def parse_callback(self, body: bytes, headers: dict) -> CallbackResult:
        """Verify the signature and timestamp, then parse. Raises ValidationFailed."""
        raise NotImplementedError

    def refund(self, refund: Refund) -> RefundResult:
        raise NotImplementedError


class SandboxProvider(PaymentProvider):
    """Behaves like a provider: a cashier page, HMAC-signed callbacks, instant refunds."""

    name = "sandbox"
    signature_header = "HTTP_X_SANDBOX_SIGNATURE"
    timestamp_header = "HTTP_X_SANDBOX_TIMESTAMP"

    @staticmethod
    def sign(body: bytes, timestamp: str) -> str:
        secret = settings.PAYMENT_SANDBOX_SECRET.encode()
        return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def callback_request(self, payment: Payment, *, succeeded: bool = True) -> tuple[bytes, dict]:
        """The signed callback the sandbox sends when the payer confirms (body, headers)."""
        body = json.dumps(
            {
                "payment_id": payment.pk,
                "provider_txn": f"SBX{uuid.uuid4().hex[:20].upper()}",
                "status": "SUCCESS" if succeeded else "FAIL",
                "amount": payment.amount,
            }
        ).encode()
        timestamp = str(int(time.time()))
        return body, {self.timestamp_header: timestamp, self.signature_header: self.sign(body, timestamp)}

    def checkout(self, payment: Payment) -> Checkout:
        return Checkout(checkout_url=reverse("payment_sandbox_cashier", args=[payment.token]))

    def parse_callback(self, body: bytes, headers: dict) -> CallbackResult:
        timestamp = headers.get(self.timestamp_header, "")
        signature = headers.get(self.signature_header, "")
        if (
            not (timestamp.isascii() and timestamp.isdigit())
            or abs(time.time() - int(timestamp)) > settings.WEBHOOK_TOLERANCE_SECONDS
        ):
            raise ValidationFailed("Stale or missing timestamp.", code="bad_timestamp")
        if not hmac.compare_digest(self.sign(body, timestamp), signature):
            raise ValidationFailed("Bad signature.", code="bad_signature")
        try:
            data = json.loads(body)
            return CallbackResult(
                payment_id=int(data["payment_id"]),
                provider_txn=str(data["provider_txn"]),
                succeeded=data["status"] == "SUCCESS",
                amount=int(data["amount"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ValidationFailed("Malformed callback body.", code="bad_body")

    def refund(self, refund: Refund) -> RefundResult:
        return RefundResult(succeeded=True, provider_ref=f"SBXR{uuid.uuid4().hex[:16].upper()}")


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider()}


class UnknownProvider(DomainError):
    status_code = 404
    default_code = "unknown_provider"


def enabled_providers() -> dict[str, PaymentProvider]:
    """The providers this deployment accepts: the sandbox only where PAYMENT_SANDBOX_ENABLED."""
    return {n: p for n, p in PROVIDERS.items() if n != "sandbox" or settings.PAYMENT_SANDBOX_ENABLED}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The named (or configured) provider; an unknown or disabled name is a 404 `unknown_provider`."""
    provider = enabled_providers().get(name or settings.PAYMENT_PROVIDER)
    if provider is None:
        raise UnknownProvider(_("未知的支付渠道。"), code="unknown_provider")
    return provider
