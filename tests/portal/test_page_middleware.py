"""Page-only middleware (messages, htmx) stays off the API."""

import pytest

pytestmark = pytest.mark.django_db


def test_api_requests_skip_messages_and_htmx(api, monkeypatch):
    seen = {}
    from django.urls import resolve

    # /api/v1/orders/ is served by a route class composed of the list and place views (portal.api.routing)
    view_class = resolve("/api/v1/orders/").func.view_class
    original = view_class.get

    def spy(self, request, *args, **kwargs):
        seen["messages"] = hasattr(request._request, "_messages")
        seen["htmx"] = hasattr(request._request, "htmx")
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(view_class, "get", spy)
    assert api.get("/api/v1/orders/").status_code == 200
    assert seen == {"messages": False, "htmx": False}


def test_pages_still_have_messages_and_htmx(merchant_client):
    response = merchant_client.get("/shop/orders/")
    assert hasattr(response.wsgi_request, "_messages") and hasattr(response.wsgi_request, "htmx")
