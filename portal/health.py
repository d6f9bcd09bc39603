"""Probes for the load balancer and the orchestrator.

`/healthz`: the process is up and answers (liveness; touches nothing else).
`/metrics`: Prometheus metrics, for the scraper on the private network.
`/readyz`: it can do its work: the database answers and the broker (Redis) answers when one is configured
(readiness; 503 with what failed, so a node that lost its database stops getting traffic).
Both are plain JSON, need no login or store, and are exempt from the HTTPS redirect (probes speak HTTP).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    """Ping the Celery broker when it is Redis; the in-process (memory://) broker is always there."""
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")):
        return
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "broker": check_broker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    ready = all(r["ok"] for r in results.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (django-prometheus' exporter; sums all processes with PROMETHEUS_MULTIPROC_DIR).
    With METRICS_ALLOWED_IPS set, any other client gets a 404, as if there were nothing here."""
    allowed = settings.METRICS_ALLOWED_IPS
    if allowed and request.META.get("REMOTE_ADDR") not in allowed:
        raise Http404
    return ExportToDjangoView(request)
