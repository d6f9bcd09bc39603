"""Fixtures for every test folder: merchants with stores, clients logged in, API key clients."""

import ipaddress
import socket

import pytest
from rest_framework.test import APIClient

from portal.api.authentication import generate_key
from portal.models import ApiKey
from tests.factories import MembershipFactory, StoreFactory, UserFactory


def force_status(obj, status: str) -> None:
    """Put an object straight into a state for a test's *given* (bypasses the protected FSM field)."""
    type(obj).objects.filter(pk=obj.pk).update(status=status)
    obj.refresh_from_db()


@pytest.fixture
def merchant(db):
    """An owner with an open store."""
    membership = MembershipFactory()
    force_status(membership.store, "open")
    return membership.user


@pytest.fixture
def store(merchant):
    return merchant.memberships.get().store


@pytest.fixture
def other_store(db):
    """Another tenant's open store, for cross-store isolation tests."""
    membership = MembershipFactory()
    force_status(membership.store, "open")
    return membership.store


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def api_client_for(store, scopes=None, user=None, kind: str = ApiKey.Kind.MERCHANT) -> APIClient:
    """A client with a new API key of `store`: a merchant key (ERP) unless kind="storefront"."""
    raw, prefix, hashed = generate_key()
    ApiKey.objects.create(
        store=store,
        name="test",
        kind=kind,
        prefix=prefix,
        hashed_key=hashed,
        scopes=scopes if scopes is not None else [s.value for s in ApiKey.Scope],
        created_by=user,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(store, merchant) -> APIClient:
    """An integration's client with every scope, acting for `store`."""
    return api_client_for(store, user=merchant)


@pytest.fixture
def storefront(store, merchant) -> APIClient:
    """A storefront app's client with every scope, acting for `store`'s buyers."""
    return api_client_for(store, user=merchant, kind=ApiKey.Kind.STOREFRONT)


@pytest.fixture
def other_api(other_store) -> APIClient:
    return api_client_for(other_store)


@pytest.fixture
def other_storefront(other_store) -> APIClient:
    return api_client_for(other_store, kind=ApiKey.Kind.STOREFRONT)


__all__ = ["StoreFactory", "api_client_for", "force_status"]


FAKE_PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """No network in tests: outbound webhook hosts resolve from this table (IP literals as themselves,
    example.com names to one public address, anything else unknown). A test edits the returned table to
    point a name elsewhere; monkeypatch undoes the replacement after every test."""
    from portal.webhooks import targets

    table: dict[str, list[str]] = {"localhost": ["127.0.0.1"]}

    def resolve(host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host in table:
            return list(table[host])
        if host == "example.com" or host.endswith(".example.com"):
            return [FAKE_PUBLIC_ADDRESS]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(targets, "resolve_host", resolve)
    return table
