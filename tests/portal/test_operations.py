"""Operations: health probes, Prometheus metrics, request ids and JSON logs, the sweep lease, the courier
instrumentation and the sandbox courier's webhooks over HTTP."""

from __future__ import annotations

import io
import json
import logging
import urllib.error

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from portal import health
from portal.logs import JsonFormatter, RequestIdFilter, request_id_var
from portal.sweeps import SWEEPS, run_all
from portal.tasks import SWEEP_LEASE_KEY, run_sweeps


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- probes ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    # given a running process / when the liveness probe asks
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    # then it answers 200 with no query and no login
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_broker_answer(client, settings):
    settings.CELERY_BROKER_URL = "memory://"  # the in-process broker is always there
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(client, settings):
    # given a Redis broker on a local port where nothing listens
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    # when the readiness probe asks
    response = client.get("/readyz")
    # then the node reports itself unavailable, naming the failing check
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    def broken() -> None:
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OSError"}


def production_settings(monkeypatch):
    """The production settings module as a web node loads it (secrets given, as production requires)."""
    import importlib

    for name in ("SECRET_KEY", "PAYMENT_SANDBOX_SECRET"):
        monkeypatch.setenv(name, f"test-{name.lower()}-0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("COURIER_WEBHOOK_SECRETS", "ZTO=test-zto-0123456789abcdef0123456789abcdef")
    from portal.settings import production

    return importlib.reload(production)


def test_probes_are_exempt_from_the_https_redirect(monkeypatch):
    production = production_settings(monkeypatch)
    assert production.SECURE_SSL_REDIRECT is True
    assert {"^healthz$", "^readyz$", "^metrics$"} <= set(production.SECURE_REDIRECT_EXEMPT)


# --- metrics --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_metrics_expose_request_latency_by_view_and_sweep_runs(client, monkeypatch):
    # given one page request and one sweep tick (with a sweep that moves 3 rows and one that fails)
    monkeypatch.setitem(SWEEPS, "test.moves_three", lambda: 3)
    monkeypatch.setitem(SWEEPS, "test.breaks", lambda: 1 / 0)
    before = sample("portal_sweep_rows_total", sweep="test.moves_three")
    client.get("/healthz")
    run_all()
    # when Prometheus scrapes
    response = client.get("/metrics")
    # then latency by view, sweep durations, counts by outcome and rows moved are there
    text = response.content.decode()
    assert response.status_code == 200
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="healthz"}' in text
    assert 'portal_sweep_duration_seconds_count{sweep="test.moves_three"}' in text
    assert 'portal_sweep_runs_total{outcome="failed",sweep="test.breaks"}' in text
    assert sample("portal_sweep_rows_total", sweep="test.moves_three") == before + 3


@pytest.mark.django_db
def test_metrics_answer_404_outside_the_allowed_addresses(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.5"]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 200


def test_courier_calls_are_timed_and_their_errors_counted(monkeypatch):
    from shipping.carriers import registry

    class Flaky:
        def quote(self, courier, **kwargs):
            return 880

        def cancel(self, courier, **kwargs):
            raise TimeoutError("courier did not answer")

    class Courier:
        code = "TST"
        adapter = "flaky"

    monkeypatch.setitem(registry.ADAPTERS, "flaky", Flaky())
    adapter = registry.adapter_for(Courier())
    calls = sample("portal_courier_call_duration_seconds_count", courier="TST", operation="quote")
    errors = sample("portal_courier_call_errors_total", courier="TST", operation="cancel", error="TimeoutError")

    assert adapter.quote(Courier(), weight_g=500, from_province="上海市", to_province="浙江省") == 880
    with pytest.raises(TimeoutError):
        adapter.cancel(Courier(), waybill_no="TST1")

    assert sample("portal_courier_call_duration_seconds_count", courier="TST", operation="quote") == calls + 1
    assert (
        sample("portal_courier_call_errors_total", courier="TST", operation="cancel", error="TimeoutError")
        == errors + 1
    )


# --- one tick per interval, however many beats ------------------------------------------------------
@pytest.mark.django_db
def test_a_second_beat_in_the_same_interval_runs_no_sweep(monkeypatch):
    # given a sweep that counts its runs and no tick yet
    runs = []
    monkeypatch.setattr("portal.tasks.run_all", lambda: runs.append(1) or {"counted": 1})
    cache.delete(SWEEP_LEASE_KEY)
    skipped = sample("portal_sweep_runs_total", sweep="*", outcome="skipped")
    # when two beats send their tick within one interval
    first = run_sweeps()
    second = run_sweeps()
    # then the sweeps ran once; the second tick was a counted no-op
    assert first == {"counted": 1}
    assert second == {}
    assert runs == [1]
    assert sample("portal_sweep_runs_total", sweep="*", outcome="skipped") == skipped + 1
    # and once the lease is gone (next interval) the next tick runs again
    cache.delete(SWEEP_LEASE_KEY)
    assert run_sweeps() == {"counted": 1}
    assert runs == [1, 1]


# --- request ids and JSON logs ----------------------------------------------------------------------
@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    made = client.get("/healthz")["X-Request-ID"]
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f1c2a9e77")["X-Request-ID"]
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert len(made) == 32
    assert kept == "lb-4f1c2a9e77"
    assert replaced not in ("<script>", made)


def test_json_log_lines_carry_the_request_id_extra_fields_and_the_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("req-123456789")
    try:
        logger.warning("booking %s sent", "B1", extra={"courier": "ZTO", "parcels": 3})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "booking B1 sent"
    assert first["level"] == "WARNING"
    assert first["request_id"] == "req-123456789"
    assert first["courier"] == "ZTO" and first["parcels"] == 3
    assert "ValueError: boom" in second["exc"]


def test_production_logs_are_json(monkeypatch):
    production = production_settings(monkeypatch)

    assert production.LOGGING["formatters"]["default"]["()"] is JsonFormatter
    assert production.CELERY_WORKER_HIJACK_ROOT_LOGGER is False
    assert production.CELERY_TASK_ACKS_LATE is True
    assert production.CELERY_TASK_REJECT_ON_WORKER_LOST is True


# --- the sandbox courier reports over HTTP ----------------------------------------------------------
class _Response:
    def __init__(self, status: int) -> None:
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.django_db
def test_sandbox_reports_through_the_http_webhook_endpoint(client, settings, monkeypatch):
    from shipping.carriers import sandbox

    # given the portal's URL configured and an "HTTP client" that hands each POST to the real endpoint
    settings.SANDBOX_COURIER_WEBHOOK_URL = "http://portal.internal:8000/"
    posted = []

    def urlopen(request, timeout):
        posted.append(request.full_url)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.header_items()}
        response = client.post(
            request.full_url.removeprefix("http://portal.internal:8000"),
            data=request.data,
            content_type="application/json",
            **extra,
        )
        return _Response(response.status_code)

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    body, headers = sandbox.SandboxAdapter().signed_request([], courier_code="ZTO")
    # when the sandbox reports
    assert sandbox._post_webhook("ZTO", body, headers) is True
    # then it went over HTTP to the courier's webhook route and was accepted there (signature verified)
    assert posted == ["http://portal.internal:8000/api/v1/shipping/webhooks/ZTO/"]


@pytest.mark.django_db
def test_sandbox_report_falls_back_in_process_when_the_post_fails(settings, monkeypatch):
    from shipping.carriers import sandbox

    settings.SANDBOX_COURIER_WEBHOOK_URL = "http://127.0.0.1:9"

    def refused(request, timeout):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr("urllib.request.urlopen", refused)
    assert sandbox._post_webhook("ZTO", b"{}", {}) is False
    settings.SANDBOX_COURIER_WEBHOOK_URL = ""
    assert sandbox._post_webhook("ZTO", b"{}", {}) is False
