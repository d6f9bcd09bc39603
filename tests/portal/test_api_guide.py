"""docs/api.md's worked journey, run as written: the guide's Python blocks execute in order against the portal,
with the test client in place of the network (`call`), the sandbox cashier's form posted directly
(`pay_in_sandbox`) and the sandbox courier's clock ticked instead of waited for (`wait_for`). A real receiver
gets the webhooks and the guide's own `verify` checks their signatures."""

from __future__ import annotations

import pathlib
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from portal.models import ApiKey
from shipping.carriers import sandbox
from tests.conftest import api_client_for
from tests.portal.test_webhooks import receiver  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md"


def journey_blocks() -> list[str]:
    text = GUIDE.read_text()
    section = text[text.index("## A worked journey") :]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_guide_has_the_whole_journey():
    blocks = "\n".join(journey_blocks())
    for step in ("/webhooks/endpoints/", "/products/", "/orders/", "pay_in_sandbox", "/shipping/bookings/",
                 "/tracking/", "/aftersales/requests/", "/reviews/", "def verify"):  # fmt: skip
        assert step in blocks, step


def test_the_worked_journey_runs_as_written(
    store,
    merchant,
    receiver,  # noqa: F811
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    settings.SANDBOX_COURIER_CLOCK_SCALE = 0  # every tick moves each due parcel one step
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver is on 127.0.0.1 (as in tests/portal/test_webhooks.py)
    merchant_client = api_client_for(
        store, scopes=["catalog", "orders:read", "shipping", "aftersales", "webhooks"], user=merchant
    )
    storefront_client = api_client_for(
        store,
        scopes=["orders:write", "orders:read", "catalog", "aftersales"],
        user=merchant,
        kind=ApiKey.Kind.STOREFRONT,
    )
    keys = {
        c._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer "): c for c in (merchant_client, storefront_client)
    }
    merchant_key, storefront_key = list(keys)
    monkeypatch.setenv("PDD_MERCHANT_KEY", merchant_key)
    monkeypatch.setenv("PDD_STOREFRONT_KEY", storefront_key)
    monkeypatch.setenv("PORTAL_URL", "http://testserver")

    def call(method, path, body=None, key=merchant_key, idempotency_key=None):
        client: APIClient = keys[key]
        extra = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if idempotency_key:
            extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method.lower())("/api/v1" + path, body, format="json", **extra)
        return response.status_code, (response.json() if response.content else None)

    def upload(path, field, filename, content, content_type, key=merchant_key):
        with django_capture_on_commit_callbacks(execute=True):
            response = keys[key].post(
                "/api/v1" + path,
                {field: SimpleUploadedFile(filename, content, content_type=content_type)},
                format="multipart",
                HTTP_ACCEPT_LANGUAGE="en",
            )
        return response.status_code, (response.json() if response.content else None)

    def pay_in_sandbox(checkout_url):
        url = urlsplit(checkout_url)
        with django_capture_on_commit_callbacks(execute=True):
            answer = Client().post(f"{url.path}?{url.query}", {"outcome": "success", "next": "/"})
        assert answer.status_code == 302

    def wait_for(check, seconds=300):
        for _ in range(20):
            if check():
                return
            with django_capture_on_commit_callbacks(execute=True):
                sandbox.tick()
        raise TimeoutError

    blocks = journey_blocks()
    namespace: dict = {"__name__": "guide"}
    exec(blocks[0], namespace)  # the client as written: urllib against PORTAL_URL ...
    assert callable(namespace["call"]) and callable(namespace["upload"]) and namespace["MERCHANT"] == merchant_key
    namespace.update(
        call=call, upload=upload, pay_in_sandbox=pay_in_sandbox, wait_for=wait_for, WEBHOOK_URL=receiver.url
    )
    for block in blocks[1:]:  # ... then every step as written, through the portal's own client
        exec(block, namespace)

    # the guide's verify() accepts what the portal sent, and refuses a tampered body
    assert receiver.requests, "no webhook was delivered"
    verify, secret = namespace["verify"], namespace["SECRET"]
    assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)
    assert not verify(secret, receiver.requests[0]["headers"], receiver.requests[0]["body"] + b" ")
    assert {r["headers"]["X-Portal-Event-Type"] for r in receiver.requests} >= {"order.paid", "aftersales.opened"}
