"""Prometheus metrics of the portal's own work (django-prometheus adds the HTTP ones: latency by view).

Every process (gunicorn workers, Celery workers, beat) records into prometheus_client's registry. With
several processes on one host set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by them: `/metrics`
on any web process then reports the sum over all of them (see docs/operations.md). A Celery host without
web processes serves its own with METRICS_PORT (portal/celery.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Histogram

SWEEP_SECONDS = Histogram(
    "portal_sweep_duration_seconds",
    "Time one periodic sweep took",
    ["sweep"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
SWEEP_RUNS = Counter(
    "portal_sweep_runs_total",
    "Sweep runs by outcome (ok, failed, skipped: another runner held the lock)",
    ["sweep", "outcome"],
)
SWEEP_ROWS = Counter("portal_sweep_rows_total", "Rows a sweep moved (deadlines enforced)", ["sweep"])
WEBHOOK_DELIVERIES = Counter(
    "portal_webhook_delivery_attempts_total",
    "Outbound webhook delivery attempts by outcome (succeeded, pending: failed and retrying, failed: gave up)",
    ["outcome"],
)
COURIER_CALL_SECONDS = Histogram(
    "portal_courier_call_duration_seconds",
    "Latency of calls to a courier's API",
    ["courier", "operation"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
ENQUEUE_FAILURES = Counter(
    "portal_task_enqueue_failures_total",
    "Tasks that could not be sent to the broker (kept by an outbox or sweep)",
    ["task"],
)
COURIER_CALL_ERRORS = Counter(
    "portal_courier_call_errors_total", "Courier API calls that raised", ["courier", "operation", "error"]
)

# The adapter methods that call out to a courier (verify_webhook and sign only read what arrived).
COURIER_OPERATIONS = frozenset({"quote", "book_batch", "cancel", "track", "send_message"})


@contextmanager
def sweep_timer(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        SWEEP_SECONDS.labels(name).observe(time.perf_counter() - started)


def sweep_result(name: str, changed: int) -> None:
    SWEEP_RUNS.labels(name, "failed" if changed < 0 else "ok").inc()
    if changed > 0:
        SWEEP_ROWS.labels(name).inc(changed)


class InstrumentedAdapter:
    """A courier adapter whose outbound calls are timed and whose errors are counted, by courier and operation."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._adapter, name)
        if name not in COURIER_OPERATIONS or not callable(attr):
            return attr
        return self._timed(name, attr)

    @staticmethod
    def _timed(operation: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(courier: Any, *args: Any, **kwargs: Any) -> Any:
            code = getattr(courier, "code", "") or "?"
            started = time.perf_counter()
            try:
                return method(courier, *args, **kwargs)
            except Exception as exc:
                COURIER_CALL_ERRORS.labels(code, operation, type(exc).__name__).inc()
                raise
            finally:
                COURIER_CALL_SECONDS.labels(code, operation).observe(time.perf_counter() - started)

        return call
