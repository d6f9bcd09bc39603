"""Which adapter talks to a courier (Courier.adapter names one)."""

from __future__ import annotations

from portal.metrics import InstrumentedAdapter

from .base import CarrierAdapter
from .sandbox import SandboxAdapter

ADAPTERS: dict[str, CarrierAdapter] = {"sandbox": SandboxAdapter()}


def adapter_for(courier) -> CarrierAdapter:
    """The courier's adapter; its outbound calls are timed and counted (portal_courier_call_* metrics)."""
    return InstrumentedAdapter(ADAPTERS[courier.adapter])  # type: ignore[return-value]
