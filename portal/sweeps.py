"""Registry of periodic sweeps (deadline enforcement). Each app registers its own.

A sweep is set-based and idempotent: it selects what is overdue *now* and moves
it through the app's service; running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .metrics import sweep_result, sweep_timer

logger = logging.getLogger(__name__)

SWEEPS: dict[str, Callable[[], int]] = {}


def sweep(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    def register(func: Callable[[], int]) -> Callable[[], int]:
        SWEEPS[name] = func
        return func

    return register


def run_all() -> dict[str, int]:
    """Run every registered sweep; one failing sweep does not stop the others."""
    results: dict[str, int] = {}
    for name, func in SWEEPS.items():
        with sweep_timer(name):
            try:
                results[name] = func()
            except Exception:  # noqa: BLE001 - logged and retried at the next tick
                logger.exception("sweep %s failed", name)
                results[name] = -1
        sweep_result(name, results[name])
    return results
