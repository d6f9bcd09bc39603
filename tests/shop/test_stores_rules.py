"""Platform store rules (issue 16, DOMAIN.md: Stores): the trademark age window, one flagship per brand,
at most N enterprise stores per licence and main category; configurable, checked at submission and
approval, shown on the onboarding pages and in the admin review."""

from datetime import date

import pytest
from django.urls import reverse

from portal.exceptions import PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Event
from shop.models import Category, DepositRefundRequest, Store
from shop.selectors.stores import deposit_balance
from shop.services import stores as services
from shop.services.deposit import deposit_refund_approve
from tests.conftest import force_status
from tests.shop.store_helpers import (
    draft_store,
    open_store,
    owner_of,
    png,
    staff,
    submitted_store,
    upload_all,
    uscc,
)

pytestmark = pytest.mark.django_db


def flagship_draft(**overrides) -> Store:
    data = {"name": "优品旗舰店", "enterprise_kind": "flagship", "brand_name": "优品"}
    data.update(overrides)
    return draft_store(**data)


def upload_trademark(store: Store, *, status: str, filed_on: date | None = None) -> None:
    services.document_upload(
        store=store,
        kind="trademark",
        file=png(),
        by=owner_of(store),
        trademark_status=status,
        filed_on=filed_on,
        sealed=True,
    )


# Trademark age window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "accepted"),
    [
        (date(2026, 6, 2), True),  # exactly 6 months
        (date(2026, 6, 3), False),  # a day short of 6 months
        (date(2024, 12, 2), True),  # exactly 2 years
        (date(2024, 12, 1), False),  # a day past 2 years
    ],
)
def test_a_trademark_under_application_counts_only_6_months_to_2_years_after_filing(time_machine, filed_on, accepted):
    time_machine.move_to("2026-12-02 10:00 +08:00")
    store = flagship_draft()
    upload_all(store, owner_of(store))
    upload_trademark(store, status="applying", filed_on=filed_on)
    if accepted:
        assert services.store_submit(store=store, by=owner_of(store)).status == "submitted"
        return
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=store, by=owner_of(store))
    assert any("6 个月至 24 个月" in m for m in exc.value.fields["documents"])
    store.refresh_from_db()
    assert store.status == "draft"


def test_a_registered_trademark_has_no_window_and_the_window_is_a_setting(time_machine, settings):
    time_machine.move_to("2026-12-02 10:00 +08:00")
    store = flagship_draft()
    upload_all(store, owner_of(store))
    upload_trademark(store, status="applying", filed_on=date(2026, 10, 1))  # 2 months old
    settings.STORE_TRADEMARK_APPLYING_MIN_MONTHS = 1
    assert services.store_submit(store=store, by=owner_of(store)).status == "submitted"
    registered = flagship_draft(name="佳品旗舰店", brand_name="佳品", credit_code=uscc("91330100MA2B00009"))
    upload_all(registered, owner_of(registered))
    upload_trademark(registered, status="registered", filed_on=date(2026, 11, 1))
    assert registered.documents.get(kind="trademark", status="pending").filed_on is None
    assert services.store_submit(store=registered, by=owner_of(registered)).status == "submitted"


def test_a_trademark_under_application_needs_a_past_filing_date(time_machine):
    time_machine.move_to("2026-12-02 10:00 +08:00")
    store = flagship_draft()
    for filed_on in (None, date(2026, 12, 3)):
        with pytest.raises(ValidationFailed) as exc:
            upload_trademark(store, status="applying", filed_on=filed_on)
        assert "filed_on" in exc.value.fields


def test_the_documents_page_takes_the_trademark_status_and_filing_date(client, time_machine):
    time_machine.move_to("2026-12-02 10:00 +08:00")
    store = flagship_draft()
    client.force_login(owner_of(store))
    url = reverse("shop:onboarding_documents")
    assert 'name="filed_on"' in client.get(url).content.decode()
    response = client.post(url, {"kind": "trademark", "file": png(), "trademark_status": "applying"})
    assert response.status_code == 400 and 'data-field="filed_on"' in response.content.decode()
    post = {
        "kind": "trademark",
        "file": png(),
        "trademark_status": "applying",
        "filed_on": "2026-01-05",
        "sealed": "on",
    }
    assert client.post(url, post).status_code == 302
    document = store.documents.get(kind="trademark", status="pending")
    assert (document.trademark_status, document.filed_on) == ("applying", date(2026, 1, 5))


def test_the_reviewer_sees_the_filing_date_and_has_the_trademark_age_reason(admin_client, time_machine):
    time_machine.move_to("2026-12-02 10:00 +08:00")
    store = flagship_draft()
    upload_all(store, owner_of(store))
    upload_trademark(store, status="applying", filed_on=date(2026, 1, 5))
    services.store_submit(store=store, by=owner_of(store))
    page = admin_client.get(reverse("admin:shop_store_review", args=[store.pk])).content.decode()
    assert "申请中 · 申请日期 2026-01-05" in page
    assert '<datalist id="review-reasons">' in page and "商标年龄不符" in page


# One flagship per brand; N enterprise stores per licence and main category ----------------------------


def test_one_flagship_per_brand_at_submission_and_closed_or_rejected_ones_do_not_count():
    first = submitted_store(name="优品旗舰店", enterprise_kind="flagship", brand_name="优品")
    second = flagship_draft(name="优品家居旗舰店", credit_code=uscc("91330100MA2B00002"))
    upload_all(second, owner_of(second))
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=second, by=owner_of(second))
    assert "最多 1 家" in exc.value.fields["brand_name"][0]
    for status in ("rejected", "closed"):
        force_status(first, status)
        assert not services.quota_errors(second)
    assert services.store_submit(store=second, by=owner_of(second)).status == "submitted"


def test_the_flagship_limit_is_checked_again_at_approval_and_shown_in_the_admin_review(client, settings):
    settings.STORE_FLAGSHIPS_PER_BRAND = 2
    first = submitted_store(name="优品旗舰店", enterprise_kind="flagship", brand_name="优品")
    second = submitted_store(
        name="优品家居旗舰店", enterprise_kind="flagship", brand_name="优品", credit_code=uscc("91330100MA2B00002")
    )
    settings.STORE_FLAGSHIPS_PER_BRAND = 1
    services.store_approve(store=first, by="reviewer:test")
    client.force_login(staff("reviewer"))
    response = client.post(reverse("admin:shop_store_review", args=[second.pk]), {"decision": "approve"})
    assert response.status_code == 400 and "最多 1 家" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "submitted"


def test_at_most_n_enterprise_stores_per_licence_and_main_category(settings):
    settings.STORE_ENTERPRISES_PER_LICENCE_CATEGORY = 2
    code = uscc("91330100MA2B00003")
    submitted_store(name="优品一号店", credit_code=code)
    submitted_store(name="优品二号店", credit_code=code)
    third = draft_store(name="优品三号店", credit_code=code)
    upload_all(third, owner_of(third))
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=third, by=owner_of(third))
    assert "最多开 2 家企业店" in exc.value.fields["credit_code"][0]
    # another main category is another quota
    other, _ = Category.objects.get_or_create(code="digital", defaults={"name": "数码"})
    services.store_update_application(store=third, data={"main_category": other}, by=owner_of(third))
    assert services.store_submit(store=third, by=owner_of(third)).status == "submitted"


def test_the_submit_page_shows_the_quota_error_on_its_field(client):
    submitted_store(name="优品旗舰店", enterprise_kind="flagship", brand_name="优品")
    second = flagship_draft(name="优品家居旗舰店", credit_code=uscc("91330100MA2B00002"))
    upload_all(second, owner_of(second))
    client.force_login(owner_of(second))
    response = client.post(reverse("shop:onboarding_submit"))
    assert "最多 1 家" in response.content.decode()


# Deposit refund review ---------------------------------------------------------------------------------


def test_closing_opens_a_refund_review_expected_in_3_working_days_skipping_weekend_and_holidays(
    time_machine, settings, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-11-19 10:00 +08:00")  # a Thursday
    store = open_store()
    settings.PORTAL_HOLIDAYS = ["2026-11-23"]  # the Monday
    with django_capture_on_commit_callbacks(execute=True):
        store = services.store_close(store=store, reason="商家申请关店", by=staff("finance"))
    # then the store is closing, nothing refunded yet, the request expected Fri, (Mon off), Tue, Wed
    assert store.status == "closing"
    assert deposit_balance(store) == 100_000
    request = DepositRefundRequest.objects.get(store=store)
    assert (request.status, request.amount, request.expected_on) == ("pending", 100_000, date(2026, 11, 25))
    assert Event.objects.filter(store=store, type="deposit.refund_review").exists()
    assert AuditEntry.objects.filter(object_id=request.pk, content_type__model="depositrefundrequest").exists()


def test_finance_approves_the_refund_in_the_admin_with_its_own_login(client, django_capture_on_commit_callbacks):
    store = services.store_close(store=open_store(), reason="关店", by="system")
    finance = staff("finance")
    client.force_login(finance)
    page = client.get(reverse("admin:shop_store_change", args=[store.pk])).content.decode()
    assert 'data-testid="refund-approve"' in page and 'data-testid="refund-reject"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:shop_store_refund_approve", args=[store.pk]), {"reason": "核对无误"})
    assert response.status_code == 302
    store.refresh_from_db()
    request = DepositRefundRequest.objects.get(store=store)
    assert store.status == "closed" and deposit_balance(store) == 0
    assert (request.status, request.decided_by, request.decision_reason) == ("approved", finance, "核对无误")
    assert AuditEntry.objects.filter(object_id=request.pk, transition="approve", actor=finance).exists()
    assert Event.objects.filter(store=store, type="deposit.refund_review", payload__data__status="approved").exists()


def test_finance_rejects_with_a_reason_and_the_merchant_sees_it_in_both_languages(client, time_machine):
    time_machine.move_to("2026-11-19 10:00 +08:00")
    store = services.store_close(store=open_store(), reason="关店", by="system")
    finance_client = client.__class__()
    finance_client.force_login(staff("finance"))
    url = reverse("admin:shop_store_refund_reject", args=[store.pk])
    assert finance_client.post(url, {"reason": ""}).status_code == 400
    client.force_login(owner_of(store))
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert "退款审核中" in page and "预计 2026-11-24 前完成审核" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("shop:store_detail")).content.decode()
    assert "Under refund review" in english and "expected to be completed by 2026-11-24" in english
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert finance_client.post(url, {"reason": "尚有未结清的售后"}).status_code == 302
    store.refresh_from_db()
    assert store.status == "closing" and deposit_balance(store) == 100_000
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert "退款被驳回" in page and "尚有未结清的售后" in page
    # once the dispute is settled, finance opens a new request from the store's page
    assert (
        'data-testid="refund-reopen"'
        in finance_client.get(reverse("admin:shop_store_change", args=[store.pk])).content.decode()
    )
    reopen = reverse("admin:shop_store_refund_reopen", args=[store.pk])
    assert finance_client.post(reopen, {"reason": "售后已结清"}).status_code == 302
    assert finance_client.post(reopen, {"reason": "再来一次"}).status_code == 400  # one pending at a time
    assert DepositRefundRequest.objects.filter(store=store, status="pending").count() == 1


def test_only_finance_decides_a_refund():
    store = services.store_close(store=open_store(), reason="关店", by="system")
    with pytest.raises(PermissionDenied):
        deposit_refund_approve(store=store, reason="", by=staff("reviewer"))
    store.refresh_from_db()
    assert store.status == "closing"


def test_any_category_the_staff_mark_needs_its_licence():
    """Category licences are data: a category staff mark in the admin needs its licence from then on."""
    store = draft_store(name="优品医疗器械店")
    medical, _ = Category.objects.get_or_create(code="medical", defaults={"name": "医疗器械"})
    services.store_update_application(store=store, data={"main_category": medical}, by=owner_of(store))
    upload_all(store, owner_of(store))
    assert services.store_submit(store=store, by=owner_of(store)).status == "submitted"
    second = draft_store(name="优品医疗器械二店")
    medical.requires_licence = "医疗器械经营许可证"
    medical.save()
    services.store_update_application(store=second, data={"main_category": medical}, by=owner_of(second))
    second = Store.objects.get(pk=second.pk)
    assert "category_licence" in second.required_document_kinds()
    for kind in second.required_document_kinds():
        if kind != "category_licence":
            services.document_upload(store=second, kind=kind, file=png(), by=owner_of(second), sealed=True)
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=second, by=owner_of(second))
    assert len(exc.value.fields["documents"]) == 1 and Store.objects.get(pk=second.pk).status == "draft"


def test_an_enterprise_confirms_the_company_seal_on_each_copy():
    """Copies need the company seal (DOMAIN.md Stores): refused unconfirmed; an individual has no seal to confirm."""
    store = draft_store(name="优品百货店")
    assert "business_licence" in store.sealed_document_kinds() and "legal_id_front" not in store.sealed_document_kinds()
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(store=store, kind="business_licence", file=png(), by=owner_of(store))
    assert exc.value.code == "seal_required" and "sealed" in exc.value.fields
    assert not store.documents.exists()
    document = services.document_upload(
        store=store, kind="business_licence", file=png(), by=owner_of(store), sealed=True
    )
    assert document.sealed
    individual = draft_store(
        store_type="individual", enterprise_kind="", company_name="", credit_code="", name="小李杂货"
    )
    assert individual.sealed_document_kinds() == []


def test_the_documents_page_asks_for_the_seal_and_the_reviewer_sees_it(client, admin_client):
    store = draft_store(name="优品日用店")
    client.force_login(owner_of(store))
    url = reverse("shop:onboarding_documents")
    page = client.get(url).content.decode()
    assert page.count('name="sealed"') == len(store.sealed_document_kinds())
    refused = client.post(url, {"kind": "bank_permit", "file": png()})
    assert refused.status_code == 400 and 'data-field="sealed"' in refused.content.decode()
    assert client.post(url, {"kind": "bank_permit", "file": png(), "sealed": "on"}).status_code == 302
    assert 'data-testid="sealed-bank_permit"' in client.get(url).content.decode()


def test_a_copy_carried_over_without_the_seal_blocks_the_submission():
    store = draft_store(name="优品生活店")
    upload_all(store, owner_of(store))
    store.documents.filter(kind="bank_permit").update(sealed=False)
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=store, by=owner_of(store))
    assert any("公章" in m for m in exc.value.fields["documents"])
