"""Which adapter talks to a courier (Courier.adapter names one)."""

from __future__ import annotations

from .base import CarrierAdapter
from .kuaidi100 import Kuaidi100Adapter
from .sandbox import SandboxAdapter

ADAPTERS: dict[str, CarrierAdapter] = {"sandbox": SandboxAdapter()}


def adapter_for(courier) -> CarrierAdapter:
    return ADAPTERS[courier.adapter]


def adapter_for_booking(booking) -> CarrierAdapter:
    """A booking made through a store's courier account talks to that account; others to the courier's adapter."""
    if booking.account_id:
        return Kuaidi100Adapter(booking.account)
    return adapter_for(booking.courier)
