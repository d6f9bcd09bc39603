"""Deadline sweeps of the shop app (orders' time rules), registered with portal.sweeps."""

from .services import funds  # noqa: E402, F401  registers the "payouts" sweep (credit and settle)
