"""Login throttling (django-axes): locked per account and per address after AXES_FAILURE_LIMIT failures."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from portal.guard import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str, ip: str):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_lock_the_account_with_a_clear_page():
    alice = UserFactory(username="alice")
    client = Client()
    answers = [attempt(client, "alice", f"wrong{i}", "203.0.113.5").status_code for i in range(20)]
    limit = settings.AXES_FAILURE_LIMIT
    assert limit < 20
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(answers[limit:]) == {429}
    locked = attempt(client, "alice", "pass12345", "203.0.113.5")  # even the right password now
    assert locked.status_code == 429 and not logged_in(client)
    page = locked.content.decode()
    assert 'data-testid="locked-out"' in page and str(limit) in page
    assert reverse("password_reset") in page
    # from another address the account is still locked: the lock is per account as well
    elsewhere = Client()
    assert attempt(elsewhere, "alice", "pass12345", "198.51.100.7").status_code == 429
    assert not logged_in(elsewhere)
    alice.refresh_from_db()
    assert alice.is_active  # a lockout, not a disabled account


def test_another_user_from_another_address_logs_in_while_one_is_locked():
    UserFactory(username="alice")
    UserFactory(username="bob")
    attacker = Client()
    for i in range(20):
        attempt(attacker, "alice", f"wrong{i}", "203.0.113.5")
    bob = Client()
    response = attempt(bob, "bob", "pass12345", "198.51.100.7")
    assert response.status_code == 302 and logged_in(bob)


def test_one_address_trying_many_accounts_is_locked_per_address():
    UserFactory(username="carol")
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"nobody{i}", "guess", "203.0.113.9")  # a different account each time
    response = attempt(Client(), "carol", "pass12345", "203.0.113.9")
    assert response.status_code == 429  # that address is locked, whoever logs in from it
    assert attempt(Client(), "carol", "pass12345", "198.51.100.1").status_code == 302  # carol elsewhere is fine


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_configurable():
    UserFactory(username="dave")
    client = Client()
    answers = [attempt(client, "dave", "wrong", "203.0.113.20").status_code for _ in range(4)]
    assert answers == [200, 200, 429, 429]


def test_a_success_before_the_limit_resets_the_count():
    UserFactory(username="erin")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "erin", "wrong", "203.0.113.30")
    assert attempt(client, "erin", "pass12345", "203.0.113.30").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "erin", "wrong", "203.0.113.30")
    assert attempt(client, "erin", "pass12345", "203.0.113.30").status_code == 302


def test_force_login_in_tests_still_works(merchant_client):
    assert merchant_client.get(reverse("home")).status_code == 200


def test_client_ip_trusts_only_the_configured_proxies():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.40")
    assert client_ip(request) == "10.0.0.2"  # no proxy configured: X-Forwarded-For is the client's to forge
    with override_settings(PORTAL_PROXY_COUNT=1):
        assert client_ip(request) == "203.0.113.40"  # what our one proxy appended, not the forged first entry
    with override_settings(PORTAL_PROXY_COUNT=3):
        assert client_ip(request) == "10.0.0.2"  # fewer entries than proxies: not trusted
