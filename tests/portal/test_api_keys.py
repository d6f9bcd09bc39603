"""API keys page: owner only, shown once, stored hashed, revocable; scopes enforced by the API."""

import pytest
from django.urls import path, reverse
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from portal.api.authentication import hash_secret
from portal.models import ApiKey
from tests.conftest import api_client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


class OrdersProbe(APIView):
    """A test-only view that needs the orders:read scope."""

    required_scope = "orders:read"

    def get(self, request):
        return Response({"store": request.store.pk})


urlpatterns = [path("probe/", OrdersProbe.as_view())]


def test_owner_creates_a_key_shown_once_and_stored_hashed(merchant_client, store):
    first = merchant_client.post(reverse("api_keys"), {"name": "ERP", "scopes": ["orders:read", "shipping"]})
    assert first.status_code == 200  # shown in the answer to the POST itself (tests/portal/test_guard_*.py)
    key = ApiKey.objects.get(store=store)
    assert (key.name, key.scopes) == ("ERP", ["orders:read", "shipping"])

    raw = first.context["new_key"]["raw"]
    assert raw.startswith(key.prefix + ".")
    assert key.hashed_key == hash_secret(raw)
    assert raw in first.content.decode()
    assert raw not in merchant_client.get(reverse("api_keys")).content.decode()  # only once


def test_missing_scopes_are_a_field_error(merchant_client, store):
    response = merchant_client.post(reverse("api_keys"), {"name": "ERP"})
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"]
    assert not ApiKey.objects.exists()


@pytest.mark.urls(__name__)
def test_revoked_key_is_refused(merchant_client, store):
    client = api_client_for(store, scopes=["orders:read"])
    assert client.get("/probe/").status_code == 200
    key = ApiKey.objects.get(store=store)
    with pytest.MonkeyPatch.context() as mp:  # the page lives in the real urlconf
        mp.setattr("django.conf.settings.ROOT_URLCONF", "portal.urls")
        merchant_client.post(reverse("api_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = client.get("/probe/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.urls(__name__)
def test_a_key_without_the_scope_gets_403(store):
    response = api_client_for(store, scopes=["shipping"]).get("/probe/")
    assert response.status_code == 403
    assert "orders:read" in response.json()["error"]["message"]
    assert api_client_for(store, scopes=["orders:read"]).get("/probe/").json() == {"store": store.pk}
    assert APIClient().get("/probe/").status_code == 401


def test_operators_cannot_see_or_create_keys(client, store):
    operator = MembershipFactory(store=store, role="operator").user
    client.force_login(operator)
    assert client.get(reverse("api_keys")).status_code == 403
    assert client.post(reverse("api_keys"), {"name": "x", "scopes": ["store"]}).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_stores_key_cannot_be_seen_or_revoked(merchant_client, other_store):
    api_client_for(other_store)
    key = ApiKey.objects.get(store=other_store)
    assert key.prefix not in merchant_client.get(reverse("api_keys")).content.decode()
    assert merchant_client.post(reverse("api_key_revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_api_keys_page_queries_stay_constant(merchant_client, store, django_assert_max_num_queries):
    for _ in range(2):
        api_client_for(store)
    with django_assert_max_num_queries(12):
        merchant_client.get(reverse("api_keys"))
    for _ in range(20):
        api_client_for(store)
    with django_assert_max_num_queries(12):
        merchant_client.get(reverse("api_keys"))


def test_last_used_at_is_written_at_most_once_a_minute(store, time_machine):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from portal.models import ApiKey
    from tests.conftest import api_client_for

    time_machine.move_to("2026-03-01 10:00 +08:00", tick=False)
    client = api_client_for(store)
    key = ApiKey.objects.get(store=store)

    def updates_of_the_key() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/v1/orders/")
        return sum('UPDATE "portal_apikey"' in q["sql"] for q in ctx.captured_queries)

    assert updates_of_the_key() == 1
    assert updates_of_the_key() == 0  # same minute
    time_machine.move_to(timezone.now() + timedelta(seconds=61), tick=False)
    assert updates_of_the_key() == 1
    key.refresh_from_db()
    assert key.last_used_at == timezone.now()
