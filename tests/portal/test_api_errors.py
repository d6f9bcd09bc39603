"""One error shape everywhere (issue 15): flattened field paths, codes from the catalogue, messages in the
request's language, JSON 404/405 for unknown routes, and a 400 (never a 500) for what a database cannot hold,
deep nesting, oversized bodies and wrong types; invalid filters are a 400 on every list."""

from __future__ import annotations

import ast
import json
import pathlib

import pytest
from django.urls import reverse

from aftersales import services as aftersales_services
from portal.api import error_codes
from tests.aftersales.conftest import make_order
from tests.conftest import api_client_for
from tests.shop.orders_support import on_sale_sku
from tests.shop.test_orders_api import order_body

pytestmark = pytest.mark.django_db


def error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] in error_codes.ALL
    assert "ErrorDetail" not in json.dumps(body, ensure_ascii=False)
    return body["error"]


@pytest.mark.parametrize("sku_id", [2**63, 10**30, -1, "abc"])
def test_out_of_range_and_wrong_type_ids_are_a_field_error(storefront, store, sku_id):
    body = order_body(on_sale_sku(store))
    body["items"][0]["sku_id"] = sku_id
    response = storefront.post(reverse("api-orders"), body, format="json")
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"items[0].sku_id"}


def test_nested_errors_are_flattened_to_paths_with_plain_messages(storefront, store):
    body = order_body(on_sale_sku(store))
    body["items"] = [body["items"][0], {"sku_id": 1, "quantity": 0}, {"sku_id": 1, "quantity": 10**30}]
    e = error(storefront.post(reverse("api-orders"), body, format="json"))
    assert set(e["fields"]) == {"items[1].quantity", "items[2].quantity"}
    assert all(isinstance(m, str) for messages in e["fields"].values() for m in messages)
    assert error(storefront.post(reverse("api-orders"), {**body, "items": "abc"}, format="json"))["fields"].keys() == {
        "items"
    }


def test_notification_ids_beyond_bigint_are_a_400(api):
    response = api.post(reverse("api-notifications-read"), {"ids": [1, 2**63]}, format="json")
    assert response.status_code == 400 and set(error(response)["fields"]) == {"ids[1]"}


def test_deeply_nested_and_oversized_bodies_are_refused_in_the_error_shape(api):
    deep = api.post(reverse("api-notifications-read"), "[" * 3000 + "]" * 3000, content_type="application/json")
    assert deep.status_code == 400 and error(deep)["code"] == "too_deeply_nested"
    big = api.post(
        reverse("api-notifications-read"), json.dumps({"ids": [1] * 600_000}), content_type="application/json"
    )
    assert big.status_code == 413 and error(big)["code"] == "payload_too_large"
    broken = api.post(reverse("api-notifications-read"), "{nope", content_type="application/json")
    assert broken.status_code == 400 and error(broken)["code"] == "parse_error"


def test_unknown_routes_and_methods_answer_json(api):
    for path in ("/api/v1/nope/", "/api/v1/orders/NOPE/nothing/", "/api/v2/orders/", "/api/v1/orders"):
        response = api.get(path)
        assert response.status_code == 404 and error(response)["code"] == "not_found", path
    response = api.delete(reverse("api-orders"))
    assert response.status_code == 405 and error(response)["code"] == "method_not_allowed"
    assert api.get(f"/api/v1/products/{10**30}/").status_code == 404
    assert api.get("/api/v1/orders/%00/").status_code in (400, 404)


def test_old_aliases_are_gone(api, storefront, store):
    # "place" now reads as an order number (GET only) and "create" as a review id that is not a number
    sku = on_sale_sku(store)
    gone = [
        storefront.post("/api/v1/orders/place/", order_body(sku), format="json"),
        api.post("/api/v1/webhooks/endpoints/create/", {}, format="json"),
        storefront.post("/api/v1/reviews/create/", {}, format="json"),
        api.post(f"/api/v1/skus/{sku.pk}/stock/", {"stock": 1}, format="json"),
    ]
    assert [r.status_code in (404, 405) and error(r)["code"] in ("not_found", "method_not_allowed") for r in gone] == [
        True
    ] * 4


def test_messages_follow_accept_language(api):
    zh = error(api.get(reverse("api-orders"), {"status": "nope"}))
    en = error(api.get(reverse("api-orders"), {"status": "nope"}, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert zh["code"] == en["code"] == "validation_failed"
    assert zh["message"] == "请求参数无效。" and en["message"] == "Invalid input."
    assert "不是合法选项" in zh["fields"]["status"][0] and "is not a valid choice" in en["fields"]["status"][0]


def test_the_scope_error_names_the_scope(store, merchant):
    reader = api_client_for(store, scopes=["orders:read"], user=merchant)
    e = error(reader.get(reverse("api-products"), HTTP_ACCEPT_LANGUAGE="en"))
    assert e["code"] == "insufficient_scope" and "catalog" in e["message"] and "Scope" not in e["message"]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("api-orders", {"status": "nope"}),
        ("api-orders", {"updated_since": "yesterday"}),
        ("api-aftersales-requests", {"status": "nope"}),
        ("api-reviews", {"score": "great"}),
        ("api-reviews", {"photos": "maybe"}),
        ("api-shipping-shipments", {"status": "nope"}),
        ("api-products", {"status": "nope"}),
        ("api-skus", {"product_id": "x"}),
    ],
)
def test_invalid_filters_are_a_400_everywhere(api, name, params):
    response = api.get(reverse(name), params)
    assert response.status_code == 400
    assert set(error(response)["fields"]) == set(params)


def test_a_duplicate_after_sales_request_has_its_own_code(store, storefront):
    order = make_order(store)
    item = order.items.get()
    body = {"order_sn": order.order_sn, "item_id": item.pk, "buyer_ref": order.buyer_ref, "type": "refund_only",
            "reason": "damaged"}  # fmt: skip
    aftersales_services.aftersales_open(order=order, item_id=item.pk, buyer_ref=order.buyer_ref, type="refund_only",
                                        reason="damaged", amount=item.paid_amount, by="buyer")  # fmt: skip
    response = storefront.post(reverse("api-aftersales-requests"), body | {"amount": 100}, format="json")
    assert response.status_code == 409 and error(response)["code"] == "aftersales_duplicate"


def test_order_items_carry_their_id(storefront, store):
    placed = storefront.post(reverse("api-orders"), order_body(on_sale_sku(store)), format="json").json()
    assert isinstance(placed["items"][0]["id"], int)


def test_rate_limit_per_key_answers_429_with_retry_after(store, merchant, settings):
    settings.API_RATE_LIMIT = "2/min"
    key, other = api_client_for(store, user=merchant), api_client_for(store, user=merchant)
    assert [key.get(reverse("api-products")).status_code for _ in range(2)] == [200, 200]
    limited = key.get(reverse("api-products"))
    assert limited.status_code == 429 and error(limited)["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert other.get(reverse("api-products")).status_code == 200  # counted per key


EXCEPTIONS = {"DomainError", "ValidationFailed", "IllegalTransition", "Conflict", "PermissionDenied"}


def _raised_codes() -> dict[str, str]:
    """Every literal `code=` given to a DomainError (or subclass) in the apps, and every `default_code`."""
    files = [p for d in ("portal", "shop", "shipping", "aftersales") for p in pathlib.Path(d).rglob("*.py")]
    trees = {p: ast.parse(p.read_text()) for p in files if "migrations" not in p.parts}
    classes = set(EXCEPTIONS)
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) in classes for b in node.bases):
                classes.add(node.name)
    found = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in classes:
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        found.setdefault(kw.value.value, str(path))
    return found


def test_every_error_code_is_in_the_catalogue_and_the_guide():
    found = _raised_codes()
    assert len(found) > 50
    assert {c: p for c, p in found.items() if c not in error_codes.ALL} == {}
    guide = pathlib.Path("docs/api.md").read_text()
    assert [c for c in sorted(error_codes.ALL) if f"`{c}`" not in guide] == []
