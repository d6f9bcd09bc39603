"""The one interface every courier integration implements, and the data it speaks.

The sandbox adapter serves every courier by default; a store that connects a kuaidi100 account
books the couriers it chose through `kuaidi100.Kuaidi100Adapter` (its HTTP calls, its signature).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime

from portal.exceptions import ValidationFailed


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str


@dataclass(frozen=True)
class ParcelRequest:
    order_ref: str
    recipient: Address
    weight_g: int
    goods: str = ""
    special_goods: tuple[str, ...] = ()
    ref: str = ""  # our id of this parcel at the courier (kuaidi100 `thirdOrderId`): the same on every retry
    merged_refs: tuple[str, ...] = ()  # 合并发货: the other orders travelling in this parcel (`order_ref` leads)


@dataclass(frozen=True)
class BatchRequest:
    booking_no: str
    courier_code: str
    sender: Address
    pickup_date: date
    pickup_slot: str
    parcels: list[ParcelRequest]
    scenario: str = "normal"


@dataclass(frozen=True)
class ParcelResult:
    """Per order: a waybill number, a 6-digit parcel code and label data, or a failure reason."""

    order_ref: str
    ok: bool
    waybill_no: str = ""
    parcel_code: str = ""
    label: dict = field(default_factory=dict)
    failure_reason: str = ""
    ref: str = ""
    unknown: bool = False  # no trustworthy answer (timeout, 5xx): left as it is, retried with the same ref
    carrier_task_id: str = ""
    carrier_order_id: str = ""
    predicted_price: int | None = None  # fen, when the courier quoted the parcel itself


@dataclass(frozen=True)
class CourierUpdate:
    """One message from a courier: a booking acceptance, a tracking scan, or a service-desk reply."""

    message_id: str
    kind: str  # "accept" | "track" | "message"
    waybill_no: str
    occurred_at: datetime
    action: str = ""
    description: str = ""
    node: str = ""
    outlet: str = ""
    courier_name: str = ""
    courier_phone: str = ""
    real_weight_g: int | None = None
    real_price: int | None = None
    topic: str = ""
    body: str = ""
    exception_kind: str = ""  # on a FAIL scan: "lost" when the courier reports the parcel lost

    def as_json(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if v not in ("", None)}
        data["occurred_at"] = self.occurred_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> CourierUpdate:
        try:
            occurred = parse_datetime(str(data["occurred_at"]))
            if occurred is None or not data.get("message_id") or data.get("kind") not in ("accept", "track", "message"):
                raise ValueError
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            known["occurred_at"] = occurred
            return cls(**known)
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("Malformed courier message.", code="bad_body")


def courier_webhook_secret(courier_code: str) -> str:
    """The courier's own webhook secret (COURIER_WEBHOOK_SECRETS); in development, one derived from
    COURIER_WEBHOOK_DEV_SECRET and the code. A courier without a secret is refused (400), never a shared one."""
    secret = settings.COURIER_WEBHOOK_SECRETS.get(courier_code.upper(), "")
    if secret:
        return secret
    if settings.COURIER_WEBHOOK_DEV_SECRET:
        key = settings.COURIER_WEBHOOK_DEV_SECRET.encode()
        return hmac.new(key, f"courier:{courier_code.upper()}".encode(), hashlib.sha256).hexdigest()
    raise ValidationFailed("No webhook secret is configured for this courier.", code="courier_not_configured")


class CarrierAdapter:
    """quote, book a batch, cancel, track, verify and parse a webhook, and pass a question to the desk."""

    name = "base"
    timestamp_header = "HTTP_X_COURIER_TIMESTAMP"
    signature_header = "HTTP_X_COURIER_SIGNATURE"

    def quote(self, courier, *, weight_g: int, from_province: str, to_province: str) -> int:
        """Estimated price in fen (the courier's published table)."""
        return courier.price_for(weight_g=weight_g, from_province=from_province, to_province=to_province)

    def book_batch(self, courier, request: BatchRequest) -> list[ParcelResult]:
        raise NotImplementedError

    def book_each(self, courier, request: BatchRequest) -> Iterator[ParcelResult]:
        """Results as they arrive (an adapter calling per parcel yields each one as soon as it answers)."""
        yield from self.book_batch(courier, request)

    def cancel(self, courier, *, waybill_no: str) -> bool:
        raise NotImplementedError

    def track(self, courier, *, waybill_no: str) -> list[CourierUpdate]:
        """The polling path for couriers that do not push webhooks."""
        raise NotImplementedError

    def send_message(self, courier, *, waybill_no: str, topic: str, body: str) -> None:
        raise NotImplementedError

    # Webhooks: HMAC-SHA256 over "<timestamp>.<body>" with the courier's own secret; stale timestamps refused.
    @staticmethod
    def sign(body: bytes, timestamp: str, courier_code: str) -> str:
        secret = courier_webhook_secret(courier_code).encode()
        return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def signed_request(self, updates: list[CourierUpdate], *, courier_code: str) -> tuple[bytes, dict]:
        body = json.dumps({"messages": [u.as_json() for u in updates]}, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        return body, {
            self.timestamp_header: timestamp,
            self.signature_header: self.sign(body, timestamp, courier_code),
        }

    def verify_webhook(self, body: bytes, headers: dict, *, courier_code: str) -> list[CourierUpdate]:
        """Check timestamp and signature (the courier's own secret), then parse. Raises ValidationFailed (400)."""
        timestamp = str(headers.get(self.timestamp_header, ""))
        signature = str(headers.get(self.signature_header, ""))
        if (
            not (timestamp.isascii() and timestamp.isdigit())
            or abs(time.time() - int(timestamp)) > settings.WEBHOOK_TOLERANCE_SECONDS
        ):
            raise ValidationFailed("Stale or missing timestamp.", code="bad_timestamp")
        if not hmac.compare_digest(self.sign(body, timestamp, courier_code), signature):
            raise ValidationFailed("Bad signature.", code="bad_signature")
        try:
            messages = json.loads(body)["messages"]
            if not isinstance(messages, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ValidationFailed("Malformed courier message.", code="bad_body")
        return [CourierUpdate.from_json(m) for m in messages]
