"""Onboarding as a merchant meets it (issue 16): honest payment messages, a type switch that carries the
ID card, name rules with the other field errors, 已上传 before submitting, the enterprise kind only for
enterprise stores."""

import pytest
from django.urls import reverse

from portal.models import Payment
from shop.models import Store, StoreDocument
from shop.selectors.stores import document_checklist
from shop.services import stores as services
from tests.factories import UserFactory
from tests.shop.store_helpers import (
    VALID_USCC,
    approved_store,
    draft_store,
    ensure_reference_data,
    owner_of,
    png,
    upload_all,
)

pytestmark = pytest.mark.django_db


def login(client, store: Store):
    client.force_login(owner_of(store))
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_failed_deposit_payment_never_says_paid(client):
    # given an approved store at the sandbox cashier
    store = approved_store()
    login(client, store)
    client.post(reverse("shop:deposit_pay"))
    payment = Payment.objects.get(purpose="deposit", store=store)
    # when the payment fails
    response = client.post(
        f"/payments/sandbox/{payment.token}/", {"outcome": "fail", "next": "/shop/store/"}, follow=True
    )
    # then the store page says so, and nothing is paid
    shown = messages_of(response)
    assert not any("支付成功" in m for m in shown)
    assert any("支付未成功" in m for m in shown)
    store.refresh_from_db()
    assert store.status == "approved"
    # and paying again succeeds with the success message
    client.post(reverse("shop:deposit_pay"))
    retry = Payment.objects.filter(purpose="deposit", store=store).latest("pk")
    assert retry.pk != payment.pk
    response = client.post(
        f"/payments/sandbox/{retry.token}/", {"outcome": "success", "next": "/shop/store/"}, follow=True
    )
    assert any("支付成功" in m for m in messages_of(response))
    store.refresh_from_db()
    assert store.status == "deposit_paid"


def test_switching_from_individual_to_enterprise_carries_the_id_card_and_clears_the_rest():
    # given an individual's draft with its three ID-card documents
    store = draft_store(store_type="individual", enterprise_kind="", company_name="", credit_code="", name="小王杂货")
    owner = owner_of(store)
    for kind in ("id_front", "id_back", "id_in_hand"):
        services.document_upload(store=store, kind=kind, file=png(f"{kind}.png"), by=owner)
    front = StoreDocument.objects.get(store=store, kind="id_front")
    # when the merchant switches the type to enterprise
    services.store_update_application(
        store=store, data={"store_type": "enterprise", "enterprise_kind": "ordinary"}, by=owner
    )
    # then the old ID-card documents left the queue (replaced), with an audit reason
    store.refresh_from_db()
    current = {d.kind: d for d in StoreDocument.objects.filter(store=store).exclude(status="replaced")}
    assert set(current) == {"legal_id_front", "legal_id_back"}
    assert set(StoreDocument.objects.filter(store=store, status="replaced").values_list("kind", flat=True)) == {
        "id_front",
        "id_back",
        "id_in_hand",
    }
    # and the uploads were carried to the legal representative's slots, same file
    assert current["legal_id_front"].file.name == front.file.name
    assert current["legal_id_front"].status == "pending"
    # and the checklist shows them uploaded, the others still missing
    checklist = {item.kind: item for item in document_checklist(store)}
    assert checklist["legal_id_front"].document is not None and checklist["business_licence"].document is None
    assert "id_in_hand" not in checklist


def test_approving_after_a_type_switch_does_not_approve_the_old_documents():
    store = draft_store(store_type="individual", enterprise_kind="", company_name="", credit_code="", name="小王杂货")
    owner = owner_of(store)
    services.document_upload(store=store, kind="id_in_hand", file=png(), by=owner)
    services.store_update_application(
        store=store,
        data={
            "store_type": "enterprise",
            "enterprise_kind": "ordinary",
            "company_name": "杭州小王贸易有限公司",
            "credit_code": VALID_USCC,
        },
        by=owner,
    )
    store.refresh_from_db()
    upload_all(store, owner)
    services.store_submit(store=store, by=owner)
    services.store_approve(store=store, by="reviewer:test")
    assert StoreDocument.objects.get(store=store, kind="id_in_hand").status == "replaced"


def test_the_type_step_posts_a_switch_through_the_page(client):
    store = draft_store(store_type="individual", enterprise_kind="", company_name="", credit_code="", name="小王杂货")
    services.document_upload(store=store, kind="id_front", file=png(), by=owner_of(store))
    login(client, store)
    response = client.post(
        reverse("shop:onboarding_start"), {"store_type": "enterprise", "enterprise_kind": "ordinary"}
    )
    assert response.status_code == 302
    page = client.get(reverse("shop:onboarding_documents")).content.decode()
    assert 'data-testid="thumb-legal_id_front"' in page
    assert 'data-kind="id_front"' not in page


def test_name_rules_are_reported_with_the_other_field_errors(client):
    # given a merchant at step 2 of a new individual store
    ensure_reference_data()
    client.force_login(UserFactory())
    client.post(reverse("shop:onboarding_start"), {"store_type": "individual"})
    # when the name breaks the rules and the phone is wrong too
    response = client.post(
        reverse("shop:onboarding_info"),
        {"name": "拼多多官方旗舰店", "main_category": "", "contact_name": "王五", "contact_phone": "123"},
    )
    # then every error shows at once, the name's among them
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "contact_phone" in errors and "main_category" in errors
    assert any("保留词" in e for e in errors["name"])
    assert any("旗舰店" in e for e in errors["name"])
    assert not Store.objects.exists()


def test_an_invalid_name_is_not_shown_as_the_store_name(client):
    # given a saved draft named 优品生活馆
    store = draft_store()
    login(client, store)
    data = {
        "name": "官方小店",
        "main_category": store.main_category_id,
        "company_name": store.company_name,
        "credit_code": store.credit_code,
        "contact_name": "王五",
        "contact_phone": "13912345678",
    }
    # when a rejected name is posted
    response = client.post(reverse("shop:onboarding_info"), data)
    page = response.content.decode()
    # then the heading and top bar keep the saved name; the rejected one is only in the input
    assert response.status_code == 400
    assert "保留词" in page
    assert "开店申请 · 优品生活馆" in page
    assert "优品生活馆 · " in page  # top bar badge
    assert page.count("官方小店") == 1 and 'value="官方小店"' in page
    store.refresh_from_db()
    assert store.name == "优品生活馆"


def test_uploaded_documents_say_uploaded_until_the_application_is_submitted(client):
    store = draft_store()
    services.document_upload(store=store, kind="business_licence", file=png(), by=owner_of(store), sealed=True)
    login(client, store)
    page = client.get(reverse("shop:onboarding_documents")).content.decode()
    assert 'data-testid="doc-status-business_licence">已上传<' in page
    assert "待审核" not in page
    upload_all(store, owner_of(store))
    services.store_submit(store=store, by=owner_of(store))
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert 'data-testid="doc-status-business_licence">待审核<' in page


def test_upload_is_one_step_and_images_show_a_thumbnail(client):
    store = draft_store()
    services.document_upload(store=store, kind="business_licence", file=png(), by=owner_of(store), sealed=True)
    login(client, store)
    page = client.get(reverse("shop:onboarding_documents")).content.decode()
    assert "data-upload-on-change" in page and "js/onboarding.js" in page
    assert 'data-testid="thumb-business_licence"' in page
    assert "<script>" not in page


@pytest.mark.parametrize(
    ("initial", "hidden"), [({"store_type": "individual"}, True), ({"store_type": "enterprise"}, False)]
)
def test_enterprise_kind_is_hidden_for_an_individual_store(client, initial, hidden):
    ensure_reference_data()
    client.force_login(UserFactory())
    response = client.post(reverse("shop:onboarding_start"), {**initial, "enterprise_kind": ""})
    page = (response if response.status_code == 400 else client.get(reverse("shop:onboarding_start"))).content.decode()
    assert ("data-enterprise-only hidden" in page) is hidden
    assert "<script>" not in page
