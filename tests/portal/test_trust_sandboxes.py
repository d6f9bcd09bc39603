"""Issue 10, findings 1, 2 and 8 (provider names): the sandboxes are development tools, `next` is checked by
one helper, production refuses the repository's secrets, each courier signs with its own secret."""

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from portal.models import Payment
from portal.payments.providers import get_provider
from portal.payments.services import checkout_url, payment_create
from portal.redirects import safe_next
from shipping.carriers.sandbox import SandboxAdapter
from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "k" * 50,
    "PAYMENT_SANDBOX_SECRET": "p" * 40,
    "COURIER_WEBHOOK_SECRETS": "ZTO=" + "z" * 40 + ",SF=" + "s" * 40,
}


def load_production(monkeypatch, **overrides):
    for name in ("PAYMENT_SANDBOX_ENABLED", "COURIER_SANDBOX_ENABLED", "WEBHOOK_REQUIRE_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**GOOD, **overrides}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    from portal.settings import production

    return importlib.reload(production)


@pytest.fixture
def restore_production_module(monkeypatch):
    """Each test reloads portal.settings.production with its own environment; leave it loadable afterwards."""
    yield
    monkeypatch.undo()
    clean = pytest.MonkeyPatch()
    try:
        load_production(clean)
    finally:
        clean.undo()


# --- 1. the payment sandbox -----------------------------------------------------------------------------
def test_production_turns_the_sandboxes_off_unless_enabled(monkeypatch, restore_production_module):
    production = load_production(monkeypatch)
    assert production.PAYMENT_SANDBOX_ENABLED is False and production.COURIER_SANDBOX_ENABLED is False
    enabled = load_production(monkeypatch, PAYMENT_SANDBOX_ENABLED="true", COURIER_SANDBOX_ENABLED="true")
    assert enabled.PAYMENT_SANDBOX_ENABLED is True and enabled.COURIER_SANDBOX_ENABLED is True


@pytest.fixture
def deposit(db):
    membership = MembershipFactory()
    payment = payment_create(purpose="deposit", reference="DEP1", amount=100_000, store_id=membership.store_id)
    return membership, payment


@pytest.mark.django_db
def test_the_disabled_sandbox_cashier_is_a_404_and_pays_nothing(client, settings, deposit):
    membership, payment = deposit
    settings.PAYMENT_SANDBOX_ENABLED = False
    client.force_login(membership.user)
    url = f"/payments/sandbox/{payment.token}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "success"}).status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == "pending"


@pytest.mark.django_db
def test_the_cashier_url_is_unguessable_and_the_pk_opens_nothing(client, deposit):
    membership, payment = deposit
    client.force_login(membership.user)
    url = checkout_url(payment)
    assert str(payment.pk) not in url.strip("/").split("/") and len(payment.token) >= 32
    assert client.get(url).status_code == 200
    assert client.post(f"/payments/sandbox/{payment.pk}/", {"outcome": "success"}).status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == "pending"


@pytest.mark.django_db
def test_a_deposit_needs_a_member_of_its_store_at_the_cashier(client, deposit):
    membership, payment = deposit
    url = checkout_url(payment)
    # anonymous: sent to log in, nothing paid
    response = client.post(url, {"outcome": "success"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # a member of another store: not found, nothing paid
    client.force_login(UserFactory())
    assert client.post(url, {"outcome": "success"}).status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    # the store's member pays
    client.force_login(membership.user)
    assert client.post(url, {"outcome": "success", "next": "/shop/store/"})["Location"] == "/shop/store/"
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example", "\\\\evil.example"])
def test_the_cashier_next_is_no_open_redirect(client, deposit, target):
    membership, payment = deposit
    client.force_login(membership.user)
    response = client.post(checkout_url(payment), {"outcome": "success", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"
    assert f'value="{target}"' not in client.get(checkout_url(payment) + f"?next={target}").content.decode()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/shop/orders/?tab=paid", "/shop/orders/?tab=paid"),
        ("http://testserver/shop/", "http://testserver/shop/"),
        ("//evil.example", "/d"),
        ("https://evil.example", "/d"),
        ("javascript:alert(1)", "/d"),
        ("/\\evil.example", "/d"),
        ("/ok\x00", "/d"),
        ("", "/d"),
    ],
)
def test_safe_next_is_the_one_check(target, expected):
    request = RequestFactory().post("/", {"next": target})
    assert safe_next(request, "/d") == expected


# --- 8. an unknown provider name is a clear 4xx --------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["nope", "alipay", "SANDBOX"])
def test_an_unknown_payment_provider_is_a_404_not_a_500(client, name):
    response = client.post(f"/api/v1/payments/callback/{name}/", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_provider"


@pytest.mark.django_db
def test_the_disabled_sandbox_provider_is_unknown(client, settings):
    settings.PAYMENT_SANDBOX_ENABLED = False
    response = client.post("/api/v1/payments/callback/sandbox/", b"{}", content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_provider"


# --- 2. secrets -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        {"PAYMENT_SANDBOX_SECRET": None},
        {"PAYMENT_SANDBOX_SECRET": "sandbox-payment-secret"},
        {"PAYMENT_SANDBOX_SECRET": "short"},
        {"COURIER_WEBHOOK_SECRETS": None},
        {"COURIER_WEBHOOK_SECRETS": "ZTO=sandbox-courier-secret"},
        {"COURIER_WEBHOOK_SECRETS": "ZTO=" + "x" * 40 + ",SF=" + "x" * 40},  # one secret shared
    ],
)
def test_production_refuses_to_start_without_real_callback_secrets(monkeypatch, restore_production_module, overrides):
    with pytest.raises(ImproperlyConfigured):
        load_production(monkeypatch, **overrides)


def test_production_reads_each_couriers_secret(monkeypatch, restore_production_module):
    production = load_production(
        monkeypatch, COURIER_WEBHOOK_SECRETS='{"zto": "' + "a" * 40 + '", "SF": "' + "b" * 40 + '"}'
    )
    assert production.COURIER_WEBHOOK_SECRETS == {"ZTO": "a" * 40, "SF": "b" * 40}
    assert production.COURIER_WEBHOOK_DEV_SECRET == ""


def test_operations_lists_every_secret_production_needs():
    ops = (ROOT / "docs" / "operations.md").read_text()
    section = ops[ops.index("## Secrets") :]
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PAYMENT_SANDBOX_SECRET", "COURIER_WEBHOOK_SECRETS"):
        assert f"`{name}`" in section, name
    makefile = (ROOT / "Makefile").read_text()
    stage = (ROOT / ".ci" / "production_stage.py").read_text()
    for name in ("PAYMENT_SANDBOX_SECRET", "COURIER_WEBHOOK_SECRETS"):
        assert name in makefile and f'"{name}"' in stage


@pytest.mark.django_db
def test_each_courier_signs_with_its_own_secret(client, settings):
    settings.COURIER_WEBHOOK_SECRETS = {"ZTO": "z" * 40, "SF": "s" * 40}
    settings.COURIER_WEBHOOK_DEV_SECRET = ""
    body, headers = SandboxAdapter().signed_request([], courier_code="ZTO")
    assert (
        client.post("/api/v1/shipping/webhooks/ZTO/", body, content_type="application/json", **headers).status_code
        == 200
    )
    # ZTO's signature is no good on SF's endpoint, and a courier without a secret is refused
    wrong = client.post("/api/v1/shipping/webhooks/SF/", body, content_type="application/json", **headers)
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_signature"
    unset = client.post("/api/v1/shipping/webhooks/YTO/", body, content_type="application/json", **headers)
    assert unset.status_code == 400 and unset.json()["error"]["code"] == "courier_not_configured"


@pytest.mark.django_db
def test_the_disabled_sandbox_courier_refuses_its_webhooks(client, settings):
    body, headers = SandboxAdapter().signed_request([], courier_code="ZTO")
    settings.COURIER_SANDBOX_ENABLED = False
    response = client.post("/api/v1/shipping/webhooks/ZTO/", body, content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "sandbox_disabled"


def test_the_default_provider_still_resolves():
    assert get_provider().name == "sandbox"


@pytest.mark.django_db
def test_the_disabled_sandbox_courier_books_nothing_and_its_clock_stands_still(settings):
    from shipping.carriers.base import BatchRequest
    from shipping.carriers.sandbox import SANDBOX_DISABLED_REASON, tick

    settings.COURIER_SANDBOX_ENABLED = False
    assert tick() == 0
    request = BatchRequest(
        booking_no="B1", courier_code="ZTO", sender=None, pickup_date=None, pickup_slot="",
        parcels=[SimpleNamespace(order_ref="O1")],
    )  # fmt: skip
    (result,) = SandboxAdapter().book_batch(None, request)
    assert (result.ok, result.failure_reason) == (False, SANDBOX_DISABLED_REASON)
