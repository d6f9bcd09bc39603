"""Sides and scopes of the API: side × operation for merchant keys, storefront keys and sessions, one scope per
operation, and the findings of issue 10 (a merchant withdrawing for a buyer, a session confirming receipt, an
orders:read key opening a store, a key reading another store's notifications)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, reverse
from rest_framework.test import APIClient

from aftersales import services as aftersales_services
from portal.api.permissions import _SideAndScope, view_scopes
from portal.api_urls import urlpatterns
from portal.models import ApiKey, Notification
from shop.models import Store
from tests.aftersales.conftest import make_order
from tests.conftest import api_client_for, force_status
from tests.factories import MembershipFactory
from tests.shop.orders_support import on_sale_sku, place
from tests.shop.test_orders_api import order_body

pytestmark = pytest.mark.django_db

M, B = "merchant", "buyer"
ALL_SCOPES = [s.value for s in ApiKey.Scope]

# Every operation behind the store permissions: (route name, method) → sides that may call it. Written by
# hand: a new operation must be placed on a side here, and moving one is a visible decision.
OPERATIONS: dict[tuple[str, str], set[str]] = {
    ("api-notifications", "GET"): {M},
    ("api-notifications-read", "POST"): {M},
    ("api-webhook-endpoints", "GET"): {M},
    ("api-webhook-endpoints", "POST"): {M},
    ("api-webhook-deliveries", "GET"): {M},
    ("api-webhook-delivery-replay", "POST"): {M},
    ("api-store", "GET"): {M},
    ("api-store-application-create", "POST"): {M},
    ("api-store-application", "PATCH"): {M},
    ("api-store-documents", "GET"): {M},
    ("api-store-documents", "POST"): {M},
    ("api-store-document", "GET"): {M},
    ("api-store-submit", "POST"): {M},
    ("api-store-deposit-entries", "GET"): {M},
    ("api-store-deposit-payment", "POST"): {M},
    ("api-products", "GET"): {M, B},
    ("api-products", "POST"): {M},
    ("api-product", "GET"): {M, B},
    ("api-product", "PATCH"): {M},
    ("api-product-put-on-sale", "POST"): {M},
    ("api-product-take-off-shelf", "POST"): {M},
    ("api-product-images", "POST"): {M},
    ("api-product-image", "DELETE"): {M},
    ("api-skus", "GET"): {M, B},
    ("api-sku", "GET"): {M, B},
    ("api-sku", "PATCH"): {M},
    ("api-promotion-discounts", "GET"): {M},
    ("api-promotion-discounts", "POST"): {M},
    ("api-promotion-discount-activities", "POST"): {M},
    ("api-promotion-spend-and-save", "GET"): {M},
    ("api-promotion-spend-and-save", "POST"): {M},
    ("api-promotion-coupons", "GET"): {M},
    ("api-promotion-coupons", "POST"): {M},
    ("api-promotion-discount-end", "POST"): {M},
    ("api-promotion-spend-and-save-end", "POST"): {M},
    ("api-promotion-coupon-end", "POST"): {M},
    ("api-promotion-second-item", "GET"): {M},
    ("api-promotion-second-item", "POST"): {M},
    ("api-promotion-second-item-end", "POST"): {M},
    ("api-promotion-leader-free", "GET"): {M},
    ("api-promotion-leader-free", "POST"): {M},
    ("api-promotion-leader-free-end", "POST"): {M},
    ("api-promotion-coupon-add-quantity", "POST"): {M},
    ("api-coupons", "GET"): {M, B},
    ("api-coupon-claim", "POST"): {B},
    ("api-coupon-claims", "GET"): {B},
    ("api-orders", "GET"): {M},
    ("api-orders", "POST"): {B},
    ("api-order-detail", "GET"): {M, B},
    ("api-order-pay", "POST"): {B},
    ("api-order-cancel", "POST"): {B},
    ("api-order-confirm", "POST"): {B},
    ("api-order-extend", "POST"): {B},
    ("api-order-address", "POST"): {B},
    ("api-order-buyer-note", "POST"): {B},
    ("api-order-complain", "POST"): {B},
    ("api-order-ship", "POST"): {M},
    ("api-order-ship-none", "POST"): {M},
    ("api-shipping-couriers", "GET"): {M},
    ("api-shipping-quote", "POST"): {M},
    ("api-shipping-bookings", "GET"): {M},
    ("api-shipping-bookings", "POST"): {M},
    ("api-shipping-booking", "GET"): {M},
    ("api-shipping-rebook", "POST"): {M},
    ("api-shipping-booking-cancel", "POST"): {M},
    ("api-shipping-sender-addresses", "GET"): {M},
    ("api-shipping-sender-addresses", "POST"): {M},
    ("api-shipping-unbooked", "GET"): {M},
    ("api-shipping-messages", "GET"): {M},
    ("api-shipping-messages", "POST"): {M},
    ("api-shipping-tickets", "GET"): {M},
    ("api-shipping-tickets", "POST"): {M},
    ("api-shipping-shipments", "GET"): {M},
    ("api-shipping-shipment", "GET"): {M},
    ("api-shipping-cancel", "POST"): {M},
    ("api-shipping-tracking", "GET"): {M, B},
    ("api-aftersales-requests", "GET"): {M, B},
    ("api-aftersales-requests", "POST"): {B},
    ("api-aftersales-request", "GET"): {M, B},
    ("api-aftersales-request", "PATCH"): {B},
    ("api-aftersales-cancel", "POST"): {B},
    ("api-aftersales-escalate", "POST"): {B},
    ("api-aftersales-return-waybill", "POST"): {B},
    ("api-aftersales-offer-accept", "POST"): {B},
    ("api-aftersales-offer-decline", "POST"): {B},
    ("api-aftersales-negotiate", "POST"): {M},
    ("api-aftersales-approve", "POST"): {M},
    ("api-aftersales-reject", "POST"): {M},
    ("api-aftersales-return-address", "POST"): {M},
    ("api-aftersales-receive", "POST"): {M},
    ("api-aftersales-ship", "POST"): {M},
    ("api-complaint-file", "POST"): {B},
    ("api-reviews", "GET"): {M, B},
    ("api-reviews", "POST"): {B},
    ("api-review-followup", "POST"): {B},
    ("api-review-reply", "POST"): {M},
}

# Operations no API key may call (sessions only): a key acts for its own store and opens no other.
KEYLESS = {("api-store-application-create", "POST")}

PLACEHOLDERS = {"pk": 999_999, "image_id": 999_999, "order_sn": "NOPE", "request_sn": "NOPE", "booking_no": "NOPE"}


def _routes():
    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            else:
                yield p

    return {p.name: p for p in walk(urlpatterns)}


def url_of(name: str) -> str:
    pattern = _routes()[name].pattern
    kwargs = {k: v for k, v in PLACEHOLDERS.items() if f"<{k}>" in str(pattern) or f":{k}>" in str(pattern)}
    return reverse(name, kwargs=kwargs)


def call(client: APIClient, operation: tuple[str, str]):
    name, method = operation
    return getattr(client, method.lower())(url_of(name), {}, format="json")


def refusal(response) -> str | None:
    if response.status_code != 403:
        return None
    return response.json()["error"]["code"]


def test_every_store_operation_is_on_a_side_in_the_table():
    checked = set()
    for name, pattern in _routes().items():
        view = pattern.callback.view_class
        if any(issubclass(p, _SideAndScope) for p in view.permission_classes):
            checked |= {(name, m.upper()) for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}
    assert checked == set(OPERATIONS)


@pytest.fixture
def callers(store, merchant):
    session = APIClient()
    session.force_login(merchant)
    return {
        "merchant key": (M, api_client_for(store, user=merchant)),
        "storefront key": (B, api_client_for(store, user=merchant, kind=ApiKey.Kind.STOREFRONT)),
        "session": (M, session),
    }


def test_side_by_operation(callers):
    wrong = {}
    for name, sides in OPERATIONS.items():
        for caller, (side, client) in callers.items():
            code = refusal(call(client, name))
            expected = None if side in sides else "wrong_side"
            if name in KEYLESS and caller == "merchant key":  # a storefront key is on the wrong side first
                expected = "not_for_api_keys"
                if code != expected:
                    wrong[(name, caller)] = code
                continue
            if (code == "wrong_side") != (expected == "wrong_side") or code == "insufficient_scope":
                wrong[(name, caller)] = code
    assert wrong == {}


def test_each_operation_needs_its_scope(store, merchant):
    wrong = {}
    for name, sides in OPERATIONS.items():
        if name in KEYLESS:
            continue
        kind = ApiKey.Kind.MERCHANT if M in sides else ApiKey.Kind.STOREFRONT
        needed = view_scopes(_routes()[name[0]].callback.view_class, name[1])
        without = api_client_for(store, scopes=[s for s in ALL_SCOPES if s not in needed], user=merchant, kind=kind)
        only = api_client_for(store, scopes=[needed[0]], user=merchant, kind=kind)
        if (
            refusal(call(without, name)) != "insufficient_scope"
            or refusal(call(only, name)) is not None
            and (refusal(call(only, name)) in ("insufficient_scope", "wrong_side"))
        ):
            wrong[name] = needed
    assert wrong == {}


def test_the_schema_declares_each_operations_scopes_and_key_kinds(client):
    schema = client.get("/api/schema/?format=json").json()
    ops = {}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            ops[(path, method.upper())] = op
    for (name, method), sides in OPERATIONS.items():
        if (name, method) in KEYLESS:
            continue
        path = str(_routes()[name].pattern)
        needed = view_scopes(_routes()[name].callback.view_class, method)
        assert needed, name
        matching = [
            o for (p, m), o in ops.items() if m == method and _schema_path(p) == "/api/v1/" + _schema_path(path)
        ]
        assert len(matching) == 1, (name, _schema_path(path))
        op = matching[0]
        assert {"ApiKey": needed} in op["security"], name
        assert set(op["x-api-key-kinds"]) == {{M: "merchant", B: "storefront"}[s] for s in sides}, name
        assert ({"cookieAuth": []} in op["security"]) == (M in sides), name


def _schema_path(pattern: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", pattern)  # Django's <int:pk> and OpenAPI's {id} alike


# The findings ----------------------------------------------------------------------------------------


def test_a_merchant_key_cannot_withdraw_the_buyers_request(store):
    # given a buyer's open request and the merchant's own key with the aftersales scope
    order = make_order(store)
    req = aftersales_services.aftersales_open(
        order=order, item_id=order.items.get().pk, buyer_ref=order.buyer_ref, type="refund_only",
        reason="damaged", amount=100, by="buyer",
    )  # fmt: skip
    merchant_key = api_client_for(store, scopes=["aftersales"])
    # when the merchant key withdraws it in the buyer's name
    response = merchant_key.post(
        reverse("api-aftersales-cancel", args=[req.request_sn]), {"buyer_ref": order.buyer_ref}, format="json"
    )
    # then it is refused and the request is still open
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_side"
    req.refresh_from_db()
    assert req.status == "requested"


def test_a_merchant_session_cannot_confirm_receipt_for_the_buyer(store, merchant):
    order = make_order(store, status="delivered")
    session = APIClient()
    session.force_login(merchant)
    response = session.post(reverse("api-order-confirm", args=[order.order_sn]))
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_side"
    order.refresh_from_db()
    assert order.status == "delivered"


def test_an_orders_read_key_neither_opens_a_store_nor_marks_notifications_read(store, merchant):
    # given an orders:read key of a user with an unread notification
    Notification.objects.create(user=merchant, store=store, kind="order.paid", title="新订单")
    reader = api_client_for(store, scopes=["orders:read"], user=merchant)
    stores_before = Store.objects.count()
    # when it tries to open a store and to mark the inbox read
    opened = reader.post(reverse("api-store-application-create"), {"name": "新店"}, format="json")
    marked = reader.post(reverse("api-notifications-read"), {}, format="json")
    # then both are refused and nothing changed
    assert (opened.status_code, marked.status_code) == (403, 403)
    assert opened.json()["error"]["code"] == "not_for_api_keys"
    assert marked.json()["error"]["code"] == "insufficient_scope"
    assert Store.objects.count() == stores_before
    assert Notification.objects.get().read_at is None


def test_a_key_reads_only_its_own_stores_notifications_and_orders(store, merchant):
    # given one user owning two stores, with a notification and an order in each
    other = MembershipFactory(user=merchant).store
    force_status(other, "open")
    Notification.objects.create(user=merchant, store=store, kind="order.paid", title="本店")
    theirs = Notification.objects.create(user=merchant, store=other, kind="order.paid", title="另一家店")
    mine = place(store, on_sale_sku(store))
    place(other, on_sale_sku(other))
    key = api_client_for(store, user=merchant)
    # when the first store's key reads notifications and orders, and marks everything read
    titles = [n["title"] for n in key.get(reverse("api-notifications")).json()["results"]]
    orders = [o["order_sn"] for o in key.get(reverse("api-orders")).json()["results"]]
    marked = key.post(reverse("api-notifications-read"), {}, format="json").json()
    # then it saw and changed only its own store's
    assert titles == ["本店"] and orders == [mine.order_sn]
    assert marked == {"marked_read": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert key.post(reverse("api-notifications-read"), {"ids": [theirs.pk]}, format="json").json() == {"marked_read": 0}


def test_a_storefront_key_places_and_a_merchant_key_does_not(store, merchant):
    sku = on_sale_sku(store)
    storefront = api_client_for(store, scopes=["orders:write"], kind=ApiKey.Kind.STOREFRONT)
    merchant_key = api_client_for(store, scopes=["orders:write"])
    assert merchant_key.post(reverse("api-orders"), order_body(sku), format="json").status_code == 403
    assert storefront.post(reverse("api-orders"), order_body(sku), format="json").status_code == 201


def test_the_key_kind_is_chosen_on_the_page_and_defaults_to_merchant(merchant_client, store):
    merchant_client.post(reverse("api_keys"), {"name": "店面", "kind": "storefront", "scopes": ["orders:write"]})
    merchant_client.post(reverse("api_keys"), {"name": "ERP", "scopes": ["orders:read"]})
    assert dict(ApiKey.objects.values_list("name", "kind")) == {"店面": "storefront", "ERP": "merchant"}
    page = merchant_client.get(reverse("api_keys")).content.decode()
    assert 'data-kind="storefront"' in page and 'data-kind="merchant"' in page
