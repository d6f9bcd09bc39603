"""Issue 10, finding 4: Idempotency-Key is claimed before the work (50 threads on PostgreSQL, one order)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from portal.api.authentication import generate_key
from portal.models import ApiKey, IdempotencyRecord
from shop.models import Order
from tests.shop.orders_support import ADDRESS, on_sale_sku


def order_body(sku, buyer="buyer-1"):
    return {
        "buyer_ref": buyer,
        "items": [{"sku_id": sku.pk, "quantity": 1}],
        "recipient_name": "王五",
        "recipient_phone": "13812345678",
        **ADDRESS,
    }


def storefront_key(store) -> str:
    raw, prefix, hashed = generate_key()
    ApiKey.objects.create(
        store=store, name="storefront", kind=ApiKey.Kind.STOREFRONT, prefix=prefix, hashed_key=hashed,
        scopes=[s.value for s in ApiKey.Scope],
    )  # fmt: skip
    return raw


def client_for(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_requests_create_exactly_one_order(store, settings):
    # given one storefront key and 50 threads sending the same request with the same key at once
    settings.IDEMPOTENCY_WAIT_SECONDS = 60
    sku = on_sale_sku(store, stock=100)
    raw = storefront_key(store)
    body = order_body(sku)
    barrier = threading.Barrier(50)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = client_for(raw)
            barrier.wait()
            response = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
            data = response.json()
            with lock:
                answers.append((response.status_code, data.get("order_sn") or data.get("error", {}).get("code")))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one order; every answer is that order (replayed) or 409 in progress, never a second order
    assert Order.objects.count() == 1
    order_sn = Order.objects.get().order_sn
    assert len(answers) == 50
    assert {a for a in answers if a[0] != 409} == {(201, order_sn)}
    assert all(code == "idempotency_in_progress" for status, code in answers if status == 409)
    assert IdempotencyRecord.objects.get().status_code == 201


@pytest.mark.django_db
def test_a_duplicate_while_the_first_is_in_progress_gets_409(store, settings):
    # given the key is claimed by a request that has not answered yet
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    sku = on_sale_sku(store, stock=10)
    raw = storefront_key(store)
    key = ApiKey.objects.get()
    body = order_body(sku)
    first = client_for(raw).post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(principal=f"key:{key.pk}").update(status_code=0, body=None)
    # when the same request comes again
    again = client_for(raw).post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    # then it is told to retry later, and nothing new was created
    assert again.status_code == 409 and again.json()["error"]["code"] == "idempotency_in_progress"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_refused_and_does_nothing(store):
    sku = on_sale_sku(store, stock=10)
    raw = storefront_key(store)
    first = client_for(raw).post("/api/v1/orders/", order_body(sku), format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = client_for(raw).post(
        "/api/v1/orders/", order_body(sku, buyer="buyer-2"), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 201
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_answers_the_first_response(store):
    sku = on_sale_sku(store, stock=10)
    raw = storefront_key(store)
    first = client_for(raw).post("/api/v1/orders/", order_body(sku), format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = client_for(raw).post("/api/v1/orders/", order_body(sku), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["order_sn"] == first.json()["order_sn"] and Order.objects.count() == 1
