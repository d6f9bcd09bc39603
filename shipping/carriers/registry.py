"""Which adapter talks to a courier (Courier.adapter names one)."""

from __future__ import annotations

from portal.metrics import InstrumentedAdapter

from .base import CarrierAdapter
from .kuaidi100 import Kuaidi100Adapter
from .sandbox import SandboxAdapter

ADAPTERS: dict[str, CarrierAdapter] = {"sandbox": SandboxAdapter()}


def adapter_for(courier) -> CarrierAdapter:
    """The courier's adapter; its outbound calls are timed and counted (portal_courier_call_* metrics)."""
    return InstrumentedAdapter(ADAPTERS[courier.adapter])  # type: ignore[return-value]


def adapter_for_booking(booking) -> CarrierAdapter:
    """A booking made through a store's courier account talks to that account; others to the courier's adapter."""
    if booking.account_id:
        return InstrumentedAdapter(Kuaidi100Adapter(booking.account))  # type: ignore[return-value]
    return adapter_for(booking.courier)
