"""The store API: own store and application status, create/update/upload/submit, ledger, payments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from shop.models import Store, StoreDocument
from shop.services import stores as services
from shop.services.deposit import deposit_deduct
from tests.conftest import api_client_for
from tests.factories import UserFactory
from tests.shop.store_helpers import (
    PDF_BYTES,
    VALID_USCC,
    approved_store,
    draft_store,
    ensure_reference_data,
    open_store,
    owner_of,
    png_bytes,
    submitted_store,
)

pytestmark = pytest.mark.django_db


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def application_body(category_pk: int, **changes) -> dict:
    return {
        "store_type": "enterprise",
        "enterprise_kind": "ordinary",
        "name": "接口开的店",
        "main_category": category_pk,
        "company_name": "杭州接口有限公司",
        "credit_code": VALID_USCC,
        "contact_name": "王五",
        "contact_phone": "13912345678",
        **changes,
    }


def test_whole_application_through_the_api():
    # given a logged-in user without a store
    category = ensure_reference_data()
    user = UserFactory()
    client = session_client(user)
    # when they create the application (retried with the same Idempotency-Key)
    body = application_body(category.pk)
    response = client.post("/api/v1/store/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201, response.json()
    replay = client.post("/api/v1/store/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Store.objects.filter(name="接口开的店").count() == 1
    data = response.json()
    assert data["status"] == "draft" and set(data["missing_documents"]) == {
        "business_licence",
        "legal_id_front",
        "legal_id_back",
        "bank_permit",
        "product_list",
    }
    # and upload each document, then submit
    for kind in data["missing_documents"]:
        name, content = ("list.pdf", PDF_BYTES) if kind == "product_list" else ("doc.png", png_bytes())
        response = client.post(
            "/api/v1/store/documents/",
            {"kind": kind, "file": SimpleUploadedFile(name, content), "sealed": kind in data["sealed_documents"]},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
    response = client.post("/api/v1/store/submit/")
    # then the store is submitted with an expected review date
    assert response.status_code == 200
    assert response.json()["status"] == "submitted" and response.json()["expected_review_date"]
    assert client.get("/api/v1/store/").json()["status_label"] == "审核中"


def test_application_status_shows_rejection_reasons_per_document(api, store):
    force = submitted_store(name="被驳回的店")
    services.store_reject(store=force, reasons={"bank_permit": "开户许可证过期"}, by="reviewer:test")
    client = api_client_for(force, user=owner_of(force))
    data = client.get("/api/v1/store/").json()
    assert data["status"] == "rejected"
    rejected = [d for d in data["documents"] if d["status"] == "rejected"]
    assert [(d["kind"], d["review_reason"]) for d in rejected] == [("bank_permit", "开户许可证过期")]
    assert data["missing_documents"] == ["bank_permit"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"store_type": "shop"}, "store_type"),
        ({"name": ""}, "name"),
        ({"name": "x" * 31}, "name"),
        ({"main_category": 999999}, "main_category"),
        ({"contact_phone": "10086"}, "contact_phone"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"enterprise_kind": "flagship"}, "brand_name"),
        ({"name": "拼多多自营"}, "name"),
    ],
)
def test_create_bad_input_answers_400_with_field_errors(changes, field):
    category = ensure_reference_data()
    client = session_client(UserFactory())
    response = client.post("/api/v1/store/applications/", application_body(category.pk, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Store.objects.filter(name="接口开的店").exists()


def test_create_needs_a_user_not_an_anonymous_caller():
    assert APIClient().post("/api/v1/store/applications/", {}, format="json").status_code in (401, 403)


def test_update_application_partially_and_not_after_submit():
    store = draft_store()
    client = session_client(owner_of(store))
    response = client.patch("/api/v1/store/application/", {"contact_name": "赵六"}, format="json")
    assert response.status_code == 200 and response.json()["contact_name"] == "赵六"
    response = client.patch("/api/v1/store/application/", {"contact_phone": "abc"}, format="json")
    assert response.status_code == 400 and "contact_phone" in response.json()["error"]["fields"]
    submitted = submitted_store(name="已提交的店")
    client = api_client_for(submitted, user=owner_of(submitted))
    response = client.patch("/api/v1/store/application/", {"contact_name": "赵六"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "application_locked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "bank_permit"}, "file"),
        ({"kind": "nonsense", "file": ("a.png", None)}, "kind"),
        ({"kind": "bank_permit", "file": ("a.png", b"not an image")}, "file"),
        ({"kind": "id_in_hand", "file": ("a.png", None)}, "kind"),
    ],
)
def test_upload_bad_input_answers_400(body, field):
    store = draft_store()
    client = session_client(owner_of(store))
    if "file" in body:
        name, content = body["file"]
        body = {**body, "file": SimpleUploadedFile(name, png_bytes() if content is None else content)}
    response = client.post("/api/v1/store/documents/", body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not StoreDocument.objects.exists()


def test_submit_incomplete_answers_400_and_submit_twice_409():
    store = draft_store()
    client = session_client(owner_of(store))
    response = client.post("/api/v1/store/submit/")
    assert response.status_code == 400 and "documents" in response.json()["error"]["fields"]
    submitted = submitted_store(name="已提交")
    response = api_client_for(submitted, user=owner_of(submitted)).post("/api/v1/store/submit/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "illegal_transition"


def test_another_stores_documents_and_ledger_are_not_reachable():
    mine = open_store(name="我的店")
    theirs = open_store(name="别人的店")
    deposit_deduct(store=theirs, amount=100, reason="赔付", by="orders")
    client = api_client_for(mine, user=owner_of(mine))
    their_doc = StoreDocument.objects.filter(store=theirs).first()
    my_doc = StoreDocument.objects.filter(store=mine).first()
    assert client.get(f"/api/v1/store/documents/{my_doc.pk}/").status_code == 200
    response = client.get(f"/api/v1/store/documents/{their_doc.pk}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert their_doc.pk not in {d["id"] for d in client.get("/api/v1/store/documents/").json()["results"]}
    entries = client.get("/api/v1/store/deposit/entries/").json()["results"]
    assert {e["kind"] for e in entries} == {"pay"}  # only our own ledger


def test_ledger_and_deposit_payment(django_assert_max_num_queries):
    store = approved_store()
    client = api_client_for(store, user=owner_of(store))
    response = client.post("/api/v1/store/deposit/payments/", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert response.status_code == 201
    assert response.json()["amount"] == 100_000 and response.json()["checkout_url"].startswith("/payments/sandbox/")
    big = open_store(name="流水多的店")
    for i in range(30):
        deposit_deduct(store=big, amount=10, reason=f"r{i}", by="orders")
    small = open_store(name="流水少的店")
    for subject in (small, big):
        client = api_client_for(subject, user=owner_of(subject))
        with django_assert_max_num_queries(6):
            assert client.get("/api/v1/store/deposit/entries/").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get("/api/v1/store/").status_code == 200
    response = api_client_for(big, user=owner_of(big)).post("/api/v1/store/deposit/payments/")
    assert response.status_code == 201 and response.json()["amount"] == 300  # top up what penalties took
    response = api_client_for(small, user=owner_of(small)).post("/api/v1/store/deposit/payments/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "deposit_not_due"


def test_api_key_without_the_store_scope_is_refused():
    store = open_store()
    client = api_client_for(store, scopes=["orders:read"])
    assert client.get("/api/v1/store/").status_code == 403


def test_schema_generates_with_the_store_endpoints(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/store/documents/" in response.content
