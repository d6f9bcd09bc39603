"""Staff screens: review queue, previews, approve/reject with reasons, suspend, transfer, close."""

import pytest
from django.urls import reverse

from portal.models import AuditEntry, Event
from shop.models import DepositEntry, StoreDocument
from tests.conftest import force_status
from tests.factories import ProductFactory
from tests.shop.store_helpers import approved_store, draft_store, open_store, staff, submitted_store

pytestmark = pytest.mark.django_db


def review_url(store) -> str:
    return reverse("admin:shop_store_review", args=[store.pk])


def test_queue_lists_only_submitted_applications_oldest_first(admin_client):
    first = submitted_store(name="先提交的店")
    second = submitted_store(name="后提交的店")
    draft_store(name="草稿店")
    response = admin_client.get(reverse("admin:shop_storeapplication_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(first.name) < page.index(second.name) and "草稿店" not in page
    assert review_url(first) in page


def test_store_list_search_filters_and_change_page(admin_client):
    store = submitted_store(name="可搜索的店")
    url = reverse("admin:shop_store_changelist")
    assert "可搜索的店" in admin_client.get(url, {"q": "可搜索"}).content.decode()
    assert "可搜索的店" in admin_client.get(url, {"status__exact": "submitted"}).content.decode()
    page = admin_client.get(reverse("admin:shop_store_change", args=[store.pk])).content.decode()
    assert 'data-testid="admin-review"' in page and "doc-thumb" in page


def test_review_page_previews_images_inline_and_links_pdfs(admin_client):
    store = submitted_store()
    page = admin_client.get(review_url(store)).content.decode()
    image = StoreDocument.objects.get(store=store, kind="business_licence")
    listing = StoreDocument.objects.get(store=store, kind="product_list")
    image_url = reverse("admin:shop_store_document_file", args=[store.pk, image.pk])
    pdf_url = reverse("admin:shop_store_document_file", args=[store.pk, listing.pk])
    assert f'<img src="{image_url}"' in page and f'href="{pdf_url}"' in page
    assert admin_client.get(image_url)["Content-Type"] == "image/png"
    other = submitted_store(name="另一家")
    other_doc = StoreDocument.objects.filter(store=other).first()
    assert admin_client.get(reverse("admin:shop_store_document_file", args=[store.pk, other_doc.pk])).status_code == 404


def test_reviewer_approves_in_the_admin(client, django_capture_on_commit_callbacks):
    store = submitted_store()
    reviewer = staff("reviewer")
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_url(store), {"decision": "approve", "note": "资料齐全"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.status == "approved" and store.reviewed_by == reviewer
    entry = AuditEntry.objects.get(object_id=store.pk, transition="approve", content_type__model="store")
    assert entry.actor == reviewer and entry.reason == "资料齐全"
    assert Event.objects.filter(store=store, type="store.review_result").exists()


def test_reviewer_rejects_with_reasons_per_document(admin_client):
    store = submitted_store()
    response = admin_client.post(
        review_url(store),
        {
            "decision": "reject",
            "reason_trademark": "",
            "reason_bank_permit": "缺少公章",
            "reason_legal_id_back": "过期",
        },
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.status == "rejected"
    rejected = dict(StoreDocument.objects.filter(store=store, status="rejected").values_list("kind", "review_reason"))
    assert rejected == {"bank_permit": "缺少公章", "legal_id_back": "过期"}


def test_reject_without_any_reason_is_a_form_error_and_changes_nothing(admin_client):
    store = submitted_store()
    audit_before = AuditEntry.objects.filter(store_id=store.pk).count()
    response = admin_client.post(review_url(store), {"decision": "reject"})
    assert response.status_code == 400 and "至少为一份资料填写原因" in response.content.decode()
    assert admin_client.post(review_url(store), {"decision": "maybe"}).status_code == 400
    store.refresh_from_db()
    assert store.status == "submitted" and AuditEntry.objects.filter(store_id=store.pk).count() == audit_before


def test_deciding_twice_shows_the_error_not_a_500(admin_client):
    store = approved_store()
    response = admin_client.post(review_url(store), {"decision": "approve"})
    assert response.status_code == 400 and "不允许" in response.content.decode()


def test_staff_without_the_reviewer_permission_cannot_review(client):
    store = submitted_store()
    client.force_login(staff("finance"))
    assert client.get(review_url(store)).status_code == 403
    assert client.post(review_url(store), {"decision": "approve"}).status_code == 403
    store.refresh_from_db()
    assert store.status == "submitted"


def test_bulk_approve_action(admin_client):
    stores = [submitted_store(name=f"批量{i}") for i in range(2)]
    draft = draft_store(name="草稿")
    response = admin_client.post(
        reverse("admin:shop_store_changelist"),
        {"action": "approve_selected", "_selected_action": [s.pk for s in [*stores, draft]]},
        follow=True,
    )
    assert response.status_code == 200
    for store in stores:
        store.refresh_from_db()
        assert store.status == "approved"
    draft.refresh_from_db()
    assert draft.status == "draft" and "不允许" in response.content.decode()


def test_suspend_with_reason_and_bulk_reinstate(client):
    store = open_store()
    client.force_login(staff("support"))
    url = reverse("admin:shop_store_suspend", args=[store.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "售假投诉"}).status_code == 302
    store.refresh_from_db()
    assert store.status == "suspended" and store.status_reason == "售假投诉"
    client.post(
        reverse("admin:shop_store_changelist"), {"action": "reinstate_selected", "_selected_action": [store.pk]}
    )
    store.refresh_from_db()
    assert store.status == "open"


def test_finance_records_an_offline_transfer(client):
    store = approved_store()
    client.force_login(staff("finance"))
    url = reverse("admin:shop_store_transfer", args=[store.pk])
    assert client.post(url, {"amount": "-1", "ref": "B1"}).status_code == 400
    assert client.post(url, {"amount": "1000.00", "ref": ""}).status_code == 400
    assert client.post(url, {"amount": "1000.00", "ref": "ICBC-20261121-1"}).status_code == 302
    store.refresh_from_db()
    assert store.status == "deposit_paid"
    assert DepositEntry.objects.get(store=store).ref == "ICBC-20261121-1"


def test_finance_closes_a_store_only_when_settled(client):
    store = open_store()
    client.force_login(staff("finance"))
    url = reverse("admin:shop_store_close", args=[store.pk])
    product = ProductFactory(store=store)
    force_status(product, "on_sale")
    response = client.post(url, {"reason": "商家申请关店"})
    assert response.status_code == 400 and "在售商品" in response.content.decode()
    force_status(product, "off_shelf")
    assert client.post(url, {"reason": "商家申请关店"}).status_code == 302
    store.refresh_from_db()
    assert store.status == "closing"  # the deposit refund now waits for finance's review
    assert not DepositEntry.objects.filter(store=store, kind="refund").exists()


def test_ledger_rules_and_signatures_are_listed(admin_client):
    open_store()
    for name in ("depositentry", "depositrule", "agreementsignature", "agreementversion", "storedocument"):
        assert admin_client.get(reverse(f"admin:shop_{name}_changelist")).status_code == 200
