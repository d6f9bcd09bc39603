"""A new API key's raw secret is shown exactly once, in the answer to the create POST, and never passes through
the session (issue 10, finding 9)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from portal.api.authentication import hash_secret
from portal.models import ApiKey

pytestmark = pytest.mark.django_db


def session_texts(client) -> list[str]:
    """Everything the session holds, decoded, in the client's session and in every stored session row."""
    texts = [repr(dict(client.session.items()))]
    texts += [repr(row.get_decoded()) + row.session_data for row in Session.objects.all()]
    return texts


def test_the_secret_is_in_the_create_answer_and_never_in_the_session(merchant_client, store):
    response = merchant_client.post(reverse("api_keys"), {"name": "ERP", "scopes": ["orders:read"]})
    assert response.status_code == 200  # rendered in place, no redirect through the session
    raw = response.context["new_key"]["raw"]
    key = ApiKey.objects.get(store=store)
    assert key.hashed_key == hash_secret(raw) and raw not in key.hashed_key
    assert raw in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]  # not kept by the browser or a proxy either
    for text in session_texts(merchant_client):
        assert raw not in text and raw.split(".", 1)[-1] not in text
    assert 'data-testid="new-api-key"' not in merchant_client.get(reverse("api_keys")).content.decode()


def test_the_create_answer_offers_a_blank_form_and_the_new_key_in_the_list(merchant_client, store):
    response = merchant_client.post(reverse("api_keys"), {"name": "ERP", "scopes": ["orders:read"]})
    assert not response.context["form"].is_bound  # a fresh form, not the posted one
    page = response.content.decode()
    assert page.count('data-testid="new-api-key"') == 1
    assert ApiKey.objects.get(store=store).prefix in page


def test_reloading_the_create_answer_creates_no_second_key(merchant_client, store):
    page = merchant_client.get(reverse("api_keys"))
    once = page.context["form"].initial["once"]
    posted = {"name": "ERP", "scopes": ["orders:read"], "once": once}
    first = merchant_client.post(reverse("api_keys"), posted)
    assert first.status_code == 200 and first.context["form"].initial["once"] != once  # the blank form's own value
    again = merchant_client.post(reverse("api_keys"), posted, follow=True)  # what a browser reload sends
    assert ApiKey.objects.filter(store=store).count() == 1
    assert 'data-testid="new-api-key"' not in again.content.decode()
    assert "刷新页面不会再创建" in again.content.decode()
    merchant_client.post(reverse("api_keys"), {**posted, "once": first.context["form"].initial["once"]})
    assert ApiKey.objects.filter(store=store).count() == 2  # the next form creates the next key


def test_a_refused_create_keeps_its_form_usable(merchant_client, store):
    once = merchant_client.get(reverse("api_keys")).context["form"].initial["once"]
    refused = merchant_client.post(reverse("api_keys"), {"name": "", "scopes": ["orders:read"], "once": once})
    assert refused.status_code == 200 and refused.context["form"].errors
    merchant_client.post(reverse("api_keys"), {"name": "ERP", "scopes": ["orders:read"], "once": once})
    assert ApiKey.objects.filter(store=store).count() == 1
