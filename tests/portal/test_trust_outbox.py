"""Issue 10, finding 7: no lost work when the broker is down.

The broker is pointed at a closed port (a real connection refused, not a mock); the fixture restores the
Celery app's configuration and producer pools afterwards so no other test sees it."""

from __future__ import annotations

import socket

import pytest

from portal.celery import app as celery_app
from portal.events import events_outbox
from portal.metrics import ENQUEUE_FAILURES
from portal.models import Event, Notification, Payment
from portal.payments.providers import get_provider
from portal.sweeps import SWEEPS
from shop.services.orders import order_pay
from tests.shop.orders_support import on_sale_sku, place

pytestmark = pytest.mark.django_db
SAVED_KEYS = ("task_always_eager", "broker_url", "broker_connection_timeout", "task_publish_retry_policy")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def broker_down():
    saved = {key: celery_app.conf[key] for key in SAVED_KEYS}
    saved_pools = (celery_app._pool, celery_app.amqp._producer_pool)
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
        broker_connection_timeout=1,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1},
    )
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    yield
    for pool in (celery_app._pool, celery_app.amqp._producer_pool):
        if pool is not None:
            pool.force_close_all()
    celery_app.conf.update(saved)
    celery_app._pool, celery_app.amqp._producer_pool = saved_pools


def failures() -> float:
    return ENQUEUE_FAILURES.labels("portal.tasks.fan_out_event")._value.get()


def test_paying_with_the_broker_down_answers_200_and_the_outbox_delivers_once(
    client, store, merchant, broker_down, settings, django_capture_on_commit_callbacks
):
    # given an order waiting for payment, and the broker unreachable
    order = place(store, on_sale_sku(store, stock=5))
    payment, _ = order_pay(order=order, by="buyer")
    body, headers = get_provider().callback_request(payment)
    before = failures()
    # when the provider calls back
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/payments/callback/sandbox/", body, content_type="application/json", **headers)
    # then it is paid and answered, the failure counted, and the event waits in the outbox
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert failures() == before + 1
    event = Event.objects.get(type="order.paid")
    assert event.fanned_out_at is None
    assert not Notification.objects.filter(kind="order.paid").exists()
    # when the outbox sweep runs (it is registered with the others), twice
    settings.OUTBOX_GRACE_SECONDS = 0
    assert SWEEPS["events.outbox"] is events_outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert events_outbox() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert events_outbox() == 0
    # then the merchant was told exactly once
    event.refresh_from_db()
    assert event.fanned_out_at is not None
    assert Notification.objects.filter(kind="order.paid", user=merchant).count() == 1


def test_the_cashier_page_answers_with_the_broker_down(client, store, broker_down, django_capture_on_commit_callbacks):
    order = place(store, on_sale_sku(store, stock=5))
    payment, url = order_pay(order=order, by="buyer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"outcome": "success", "next": "/"})
    assert response.status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Event.objects.get(type="order.paid").fanned_out_at is None


def test_an_event_is_written_in_the_transaction_and_fanned_out_once(
    store, merchant, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from portal.events import emit

    # rolled back: nothing recorded
    def failing() -> None:
        with transaction.atomic():
            emit(type="order.paid", store_id=store.pk, title="x")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing()
    assert not Event.objects.exists()
    # committed: recorded at once, fanned out after commit, and the sweep finds nothing left
    with django_capture_on_commit_callbacks(execute=True):
        emit(type="order.paid", store_id=store.pk, title="x")
        assert Event.objects.get().fanned_out_at is None
    assert Event.objects.get().fanned_out_at is not None
    assert Notification.objects.filter(kind="order.paid").count() == 1
    assert events_outbox() == 0


def test_workers_and_beat_keep_retrying_the_broker():
    # read only: the app's configuration as workers load it
    conf = celery_app.conf
    assert conf.broker_connection_retry is True
    assert conf.broker_connection_retry_on_startup is True
    assert conf.broker_connection_max_retries is None
    assert conf.task_acks_late is True
