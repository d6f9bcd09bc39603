"""Outbound webhooks against a real HTTP receiver on localhost: signing, retries, replay, disabling."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.urls import reverse

from portal.events import emit
from portal.models import Event, Notification
from portal.sweeps import SWEEPS
from portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.webhooks.services import (
    deliveries_for_event,
    webhook_delivery_attempt,
    webhook_delivery_replay,
    webhook_endpoint_create,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on 127.0.0.1 (random port) that answers with the queued status codes."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def verify(self, request: dict, secret: str) -> bool:
        """What an integrator does: recompute the signature over "timestamp.body"."""
        timestamp = request["headers"]["X-Portal-Timestamp"]
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256)
        return hmac.compare_digest(request["headers"]["X-Portal-Signature"], f"sha256={expected.hexdigest()}")


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The receiver lives on 127.0.0.1, which endpoints may not target unless private networks are allowed
    (as the CI stage allows them); tests/portal/test_trust_webhooks.py proves the refusal."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def endpoint(store, merchant, receiver):
    return webhook_endpoint_create(store=store, url=receiver.url, event_types=["order.paid"], by=merchant)


def _emit(store, capture, type="order.paid"):
    with capture(execute=True):
        emit(type=type, store_id=store.pk, title="新订单", data={"order_sn": "261121-000000000000001"})


def test_delivery_is_signed_verifiable_and_logged(store, endpoint, receiver, django_capture_on_commit_callbacks):
    _emit(store, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    assert receiver.verify(request, endpoint.secret)
    body = json.loads(request["body"])
    assert body["type"] == "order.paid"
    assert body["store_id"] == store.pk
    assert body["data"] == {"order_sn": "261121-000000000000001"}
    assert request["headers"]["X-Portal-Event-Id"] == str(body["id"])
    assert not receiver.verify({**request, "body": request["body"] + b" "}, endpoint.secret)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    (attempt,) = WebhookAttempt.objects.all()
    assert (attempt.status_code, attempt.error) == (200, "")  # the answer's body ("ok") is never kept


def test_unsubscribed_events_and_other_stores_are_not_sent(
    store, other_store, endpoint, receiver, django_capture_on_commit_callbacks
):
    _emit(store, django_capture_on_commit_callbacks, type="review.received")
    _emit(other_store, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_with_backoff_by_the_sweep(
    store, endpoint, receiver, django_capture_on_commit_callbacks, time_machine, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    time_machine.move_to("2026-11-21 10:00:00+08:00", tick=False)
    receiver.statuses = [500, 503]
    _emit(store, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    first_retry = delivery.next_retry_at

    # not due yet: the sweep sends nothing
    assert SWEEPS["webhook_retry_due"]() == 0
    time_machine.shift(timedelta(seconds=30))
    assert SWEEPS["webhook_retry_due"]() == 1  # 503
    delivery.refresh_from_db()
    assert delivery.next_retry_at - first_retry == timedelta(seconds=60)  # backoff doubled
    time_machine.shift(timedelta(seconds=60))
    with django_capture_on_commit_callbacks(execute=True):
        assert SWEEPS["webhook_retry_due"]() == 1  # 200
    assert SWEEPS["webhook_retry_due"]() == 0  # idempotent

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert len({r["headers"]["X-Portal-Event-Id"] for r in receiver.requests}) == 1  # same event id each time
    endpoint.refresh_from_db()
    assert endpoint.failure_streak == 0


def test_gives_up_after_the_maximum_attempts(
    store, endpoint, receiver, django_capture_on_commit_callbacks, time_machine, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    time_machine.move_to("2026-11-21 10:00:00+08:00", tick=False)
    receiver.statuses = [500, 500]
    _emit(store, django_capture_on_commit_callbacks)
    time_machine.shift(timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        SWEEPS["webhook_retry_due"]()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_retry_at) == ("failed", 2, None)


def test_replay_sends_the_same_event_again_as_a_new_delivery(
    store, merchant, endpoint, receiver, django_capture_on_commit_callbacks
):
    _emit(store, django_capture_on_commit_callbacks)
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhook_delivery_replay(delivery=original, by=merchant)
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of, replay.event_id) == ("succeeded", original, original.event_id)
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert receiver.verify(second, endpoint.secret)


def test_a_failing_streak_disables_the_endpoint_and_tells_the_merchant(
    store, merchant, endpoint, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.statuses = [500, 500, 500, 500]
    for _ in range(3):
        _emit(store, django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failure_streak) == (False, 3)
    assert endpoint.disabled_at is not None
    note = Notification.objects.get(user=merchant, kind="webhook.disabled")
    assert note.url == reverse("webhook_detail", args=[endpoint.pk])
    # a disabled endpoint gets nothing more, not even its pending retries
    _emit(store, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3
    assert WebhookDelivery.objects.count() == 3


def test_connection_refused_is_logged_as_an_error(store, merchant, django_capture_on_commit_callbacks):
    endpoint = webhook_endpoint_create(
        store=store, url="http://127.0.0.1:9/nothing", event_types=["order.paid"], by=merchant
    )
    _emit(store, django_capture_on_commit_callbacks)
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code is None
    assert attempt.error


# Pages: owner only, store-scoped, URL validation, replay button.


def test_owner_creates_an_endpoint_and_sees_its_secret(merchant_client, store):
    response = merchant_client.post(
        reverse("webhook_list"), {"url": "https://erp.example.com/hooks", "event_types": ["order.paid", "group.formed"]}
    )
    endpoint = WebhookEndpoint.objects.get(store=store)
    assert response.status_code == 302
    assert endpoint.event_types == ["group.formed", "order.paid"]
    page = merchant_client.get(reverse("webhook_detail", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "not a url"])
def test_bad_urls_are_field_errors(merchant_client, store, url):
    response = merchant_client.post(reverse("webhook_list"), {"url": url, "event_types": ["order.paid"]})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_replay_button(merchant_client, store, endpoint, receiver, django_capture_on_commit_callbacks):
    _emit(store, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(reverse("webhook_delivery_replay", args=[delivery.pk]))
    assert response.status_code == 302
    assert WebhookDelivery.objects.count() == 2
    assert len(receiver.requests) == 2


def test_enable_after_disabling_clears_the_streak(merchant_client, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, failure_streak=20)
    merchant_client.post(reverse("webhook_toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failure_streak) == (True, 0)


def test_another_stores_endpoint_and_delivery_are_404(
    client, other_store, store, endpoint, receiver, django_capture_on_commit_callbacks
):
    _emit(store, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    intruder = MembershipFactory(store=other_store, role="owner").user
    client.force_login(intruder)
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_toggle", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_delivery_replay", args=[delivery.pk])).status_code == 404
    assert endpoint.url not in client.get(reverse("webhook_list")).content.decode()


def test_operators_cannot_manage_webhooks(client, store):
    operator = MembershipFactory(store=store, role="operator").user
    client.force_login(operator)
    assert client.get(reverse("webhook_list")).status_code == 403


def test_staff_replays_from_the_admin(admin_client, store, endpoint, receiver, django_capture_on_commit_callbacks):
    _emit(store, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:portal_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    assert len(receiver.requests) == 2


# API (scope "webhooks")


def test_api_creates_an_endpoint_and_returns_the_secret_once(store, api):
    response = api.post(
        reverse("api-webhook-endpoints"),
        {"url": "https://erp.example.com/hooks", "event_types": ["order.paid"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(store=store)
    assert response.json()["secret"] == endpoint.secret
    listed = api.get(reverse("api-webhook-endpoints")).json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk]
    assert "secret" not in listed[0]


def test_api_refuses_bad_input_with_the_error_body(api):
    response = api.post(reverse("api-webhook-endpoints"), {"url": "ftp://x", "event_types": ["nope"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"event_types[0]"}
    response = api.post(
        reverse("api-webhook-endpoints"), {"url": "ftp://x", "event_types": ["order.paid"]}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_api_needs_the_webhooks_scope(store):
    from tests.conftest import api_client_for

    client = api_client_for(store, scopes=["orders:read"])
    assert client.get(reverse("api-webhook-endpoints")).status_code == 403
    response = client.post(
        reverse("api-webhook-endpoints"),
        {"url": "https://x.example.com", "event_types": ["order.paid"]},
        format="json",
    )
    assert response.status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_api_lists_and_replays_only_the_stores_own_deliveries(
    store, other_api, api, endpoint, receiver, django_capture_on_commit_callbacks
):
    _emit(store, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert other_api.get(reverse("api-webhook-deliveries")).json()["results"] == []
    assert other_api.post(reverse("api-webhook-delivery-replay", args=[delivery.pk])).status_code == 404
    (listed,) = api.get(reverse("api-webhook-deliveries")).json()["results"]
    assert (listed["status"], listed["attempt_log"][0]["status_code"]) == ("succeeded", 200)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-webhook-delivery-replay", args=[delivery.pk]))
    assert response.status_code == 202
    assert response.json()["replay_of"] == delivery.pk
    assert len(receiver.requests) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_and_the_sweep_racing_send_a_due_delivery_once(store, merchant, receiver):
    endpoint = webhook_endpoint_create(store=store, url=receiver.url, event_types=["order.paid"], by=merchant)
    event = Event.objects.create(type="order.paid", store=store, payload={"data": {}})
    (delivery,) = deliveries_for_event(event=event)
    start = threading.Barrier(4)

    def attempt():
        try:
            start.wait()
            webhook_delivery_attempt(delivery_id=delivery.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, WebhookAttempt.objects.count()) == ("succeeded", 1, 1)
    assert endpoint.deliveries.count() == 1


def test_endpoint_page_queries_stay_constant(
    merchant_client, store, endpoint, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _emit(store, django_capture_on_commit_callbacks)
    merchant_client.get(reverse("webhook_detail", args=[endpoint.pk]))
    with django_assert_max_num_queries(12) as small:
        merchant_client.get(reverse("webhook_detail", args=[endpoint.pk]))
    receiver.statuses = [500] * 5
    for _ in range(5):
        _emit(store, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12) as large:
        merchant_client.get(reverse("webhook_detail", args=[endpoint.pk]))
    assert len(small.captured_queries) == len(large.captured_queries)
