"""Which adapter talks to a courier (Courier.adapter names one)."""

from __future__ import annotations

from .base import CarrierAdapter
from .sandbox import SandboxAdapter

ADAPTERS: dict[str, CarrierAdapter] = {"sandbox": SandboxAdapter()}


def adapter_for(courier) -> CarrierAdapter:
    return ADAPTERS[courier.adapter]
