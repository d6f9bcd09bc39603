"""Store onboarding through the services: the whole journey, review, agreement, staff actions, team."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.exceptions import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Event, Membership, Notification
from shop.models import AgreementSignature, AgreementVersion, DepositEntry, Store, StoreDocument
from shop.models.stores import validate_uscc
from shop.selectors.stores import add_working_days, current_agreement, deposit_balance, expected_review_date
from shop.services import stores as services
from tests.conftest import force_status
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.shop.store_helpers import (
    VALID_USCC,
    application,
    approved_store,
    close_and_refund,
    draft_store,
    open_store,
    owner_of,
    pay_deposit,
    pdf,
    png,
    staff,
    submitted_store,
    upload_all,
    uscc,
)

pytestmark = pytest.mark.django_db


def audit_count(store: Store) -> int:
    return AuditEntry.objects.filter(store_id=store.pk).count()


# The whole journey -----------------------------------------------------------------------------


def test_whole_journey_from_draft_to_open_is_audited_and_notified(django_capture_on_commit_callbacks):
    # given a merchant with a draft application
    user = UserFactory(phone="13700000001")
    reviewer = staff("reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        store = services.store_create(user=user, data=application(), by=user)
        assert store.status == "draft"
        assert Membership.objects.get(user=user, store=store).role == "owner"
        # when documents are uploaded and the application submitted, approved, paid and signed
        upload_all(store, user)
        store = services.store_submit(store=store, by=user)
        store = services.store_approve(store=store, by=reviewer)
        store = pay_deposit(store)
        assert store.status == "deposit_paid"
        store = services.store_sign_agreement(
            store=store, version=current_agreement(), by=user, ip_address="203.0.113.7", user_agent="pytest"
        )
    # then the store is open, every step audited in order, the merchant notified
    assert store.status == "open" and store.opened_at is not None
    transitions = list(
        AuditEntry.objects.filter(store_id=store.pk, object_id=store.pk, content_type__model="store").values_list(
            "transition", flat=True
        )
    )
    assert transitions == ["submit", "approve", "mark_deposit_paid", "sign_agreement", "open"]
    signature = AgreementSignature.objects.get(store=store)
    assert (signature.signer, signature.ip_address, signature.version) == (user, "203.0.113.7", current_agreement())
    assert deposit_balance(store) == 100_000
    assert DepositEntry.objects.get(store=store).kind == "pay"
    types = set(Event.objects.filter(store=store).values_list("type", flat=True))
    assert {"store.review_result", "store.status_changed", "deposit.changed"} <= types
    assert Notification.objects.filter(user=user, kind="store.review_result", title="开店审核通过").exists()
    assert set(StoreDocument.objects.filter(store=store).values_list("status", flat=True)) == {"approved"}


def test_rejection_with_reasons_per_document_then_replacement_and_resubmission(django_capture_on_commit_callbacks):
    # given a submitted application
    store = submitted_store()
    owner = owner_of(store)
    reviewer = staff("reviewer")
    # when the reviewer rejects the bank permit with a reason
    with django_capture_on_commit_callbacks(execute=True):
        store = services.store_reject(store=store, reasons={"bank_permit": "复印件未加盖公章"}, by=reviewer)
    # then that document is rejected with its reason, the others approved, the merchant told why
    docs = {d.kind: d for d in StoreDocument.objects.filter(store=store)}
    assert docs["bank_permit"].status == "rejected"
    assert docs["bank_permit"].review_reason == "复印件未加盖公章"
    assert docs["business_licence"].status == "approved"
    assert store.status == "rejected" and "复印件未加盖公章" in store.status_reason
    note = Notification.objects.get(user=owner, kind="store.review_result")
    assert "复印件未加盖公章" in note.body
    # and resubmitting without replacing it is refused
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=store, by=owner)
    assert "documents" in exc.value.fields
    # when the merchant replaces the document and resubmits
    services.document_upload(store=store, kind="bank_permit", file=png("permit.png"), by=owner, sealed=True)
    store = services.store_submit(store=store, by=owner)
    # then the old file is kept as replaced and the new one waits for review
    assert store.status == "submitted"
    assert list(StoreDocument.objects.filter(store=store, kind="bank_permit").values_list("status", flat=True)) == [
        "pending",
        "replaced",
    ]


def test_expected_review_date_skips_the_weekend(time_machine):
    # given an application submitted on a Friday
    time_machine.move_to("2026-11-20 10:00 +08:00")
    store = submitted_store()
    # then the expected review date is 2 working days later: Tuesday
    assert expected_review_date(store) == date(2026, 11, 24)
    assert add_working_days(date(2026, 11, 16), 2) == date(2026, 11, 18)


# Application validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "拼多多官方店"}, "name"),
        ({"name": "好"}, "name"),
        ({"name": "优品<script>"}, "name"),
        ({"name": "优品旗舰店"}, "name"),  # ordinary store may not be called a flagship
        ({"contact_phone": "12345678901"}, "contact_phone"),
        ({"contact_phone": ""}, "contact_phone"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"credit_code": ""}, "credit_code"),
        ({"enterprise_kind": ""}, "enterprise_kind"),
        ({"enterprise_kind": "flagship", "brand_name": ""}, "brand_name"),
        ({"main_category": None}, "main_category"),
        ({"store_type": "individual", "enterprise_kind": "flagship"}, "enterprise_kind"),
    ],
)
def test_bad_application_is_refused_with_field_errors(overrides, field):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.store_create(user=user, data=application(**overrides), by=user)
    assert field in exc.value.fields
    assert not Store.objects.exists() and not Membership.objects.filter(user=user).exists()


def test_store_name_is_unique_ignoring_case():
    draft_store(name="Youpin生活馆")
    with pytest.raises(ValidationFailed) as exc:
        draft_store(name="YOUPIN生活馆")
    assert "name" in exc.value.fields


def test_individual_needs_no_licence_and_flagship_needs_brand_documents():
    individual = draft_store(store_type="individual", enterprise_kind="", company_name="", credit_code="")
    assert individual.required_document_kinds() == ["id_front", "id_back", "id_in_hand", "product_list"]
    flagship = draft_store(name="优品旗舰店", enterprise_kind="flagship", brand_name="优品")
    assert "trademark" in flagship.required_document_kinds()
    specialty = draft_store(name="优品母婴专营店", enterprise_kind="specialty", brand_name="优品", credit_code=uscc())
    assert {"trademark", "brand_authorisation"} <= set(specialty.required_document_kinds())


@pytest.mark.parametrize("code", [VALID_USCC, "91110000600037341L", "914403001922038216", uscc("92410100MA40ABCD1")])
def test_uscc_validator_accepts_codes_with_the_right_check_character(code):
    validate_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "911100001000013428",
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100O000100Y43",  # O is not in the alphabet
        "",
    ],
)
def test_uscc_validator_rejects_bad_codes(code):
    with pytest.raises(ValidationError):
        validate_uscc(code)


# Documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("id.png", b"GIF89a not really a png"),  # content is not an allowed type
        ("id.exe", b"%PDF-1.4 pretending"),  # extension does not match the content
        ("id.jpg", b"%PDF-1.4\n"),  # a pdf named .jpg
        ("id.png", b"\x89PNG\r\n\x1a\ntruncated"),  # a broken image
    ],
)
def test_upload_refuses_wrong_content(name, content):
    store = draft_store()
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(store=store, kind="business_licence", file=SimpleUploadedFile(name, content), by="t")
    assert "file" in exc.value.fields
    assert not StoreDocument.objects.exists()


def test_upload_refuses_too_large_empty_and_unrequired_documents(settings):
    store = draft_store()
    settings.STORE_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(store=store, kind="business_licence", file=png(), by="t")
    assert exc.value.code == "bad_file_size"
    with pytest.raises(ValidationFailed):
        services.document_upload(store=store, kind="business_licence", file=SimpleUploadedFile("a.pdf", b""), by="t")
    del settings.STORE_DOCUMENT_MAX_BYTES
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(store=store, kind="id_in_hand", file=png(), by="t")  # enterprise: not required
    assert "kind" in exc.value.fields
    assert not StoreDocument.objects.exists()


def test_jpg_and_pdf_uploads_are_accepted_and_sniffed():
    store = draft_store()
    from tests.shop.store_helpers import jpg_bytes

    doc = services.document_upload(
        store=store, kind="business_licence", file=SimpleUploadedFile("licence.JPG", jpg_bytes()), by="t", sealed=True
    )
    assert doc.content_type == "image/jpeg" and doc.is_image
    doc = services.document_upload(store=store, kind="product_list", file=pdf(), by="t")
    assert doc.content_type == "application/pdf"


def test_documents_are_locked_once_submitted():
    store = submitted_store()
    before = StoreDocument.objects.count()
    with pytest.raises(IllegalTransition):
        services.document_upload(store=store, kind="bank_permit", file=png(), by=owner_of(store))
    with pytest.raises(IllegalTransition):
        services.store_update_application(store=store, data={"contact_name": "赵六"}, by=owner_of(store))
    store.refresh_from_db()
    assert StoreDocument.objects.count() == before and store.contact_name == "王五"


def test_submit_with_missing_documents_lists_them_and_changes_nothing():
    store = draft_store()
    services.document_upload(store=store, kind="business_licence", file=png(), by="t", sealed=True)
    with pytest.raises(ValidationFailed) as exc:
        services.store_submit(store=store, by=owner_of(store))
    assert exc.value.code == "application_incomplete"
    assert len(exc.value.fields["documents"]) == len(store.required_document_kinds()) - 1
    store.refresh_from_db()
    assert store.status == "draft" and audit_count(store) == 0


# Illegal transitions: clear error, nothing changed ---------------------------------------------

ILLEGAL = [
    ("draft", lambda s, r: services.store_approve(store=s, by=r)),
    ("draft", lambda s, r: services.store_reject(store=s, reasons={"bank_permit": "x"}, by=r)),
    ("approved", lambda s, r: services.store_submit(store=s, by=owner_of(s))),
    ("approved", lambda s, r: services.store_approve(store=s, by=r)),
    ("submitted", lambda s, r: services.store_submit(store=s, by=owner_of(s))),
    (
        "approved",
        lambda s, r: services.store_sign_agreement(
            store=s, version=current_agreement(), by=owner_of(s), ip_address="1.1.1.1"
        ),
    ),
    ("draft", lambda s, r: services.store_suspend(store=s, reason="x", by="system")),
    ("submitted", lambda s, r: services.store_reinstate(store=s, by="system")),
    ("open", lambda s, r: services.store_reinstate(store=s, by="system")),
    ("closed", lambda s, r: services.store_suspend(store=s, reason="x", by="system")),
    ("draft", lambda s, r: services.store_close(store=s, reason="x", by="system")),
    ("closed", lambda s, r: services.store_close(store=s, reason="x", by="system")),
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(status, action):
    # given a complete application forced into `status`
    store = draft_store()
    upload_all(store, owner_of(store))
    force_status(store, status)
    before = (audit_count(store), DepositEntry.objects.count(), AgreementSignature.objects.count())
    # when the action is attempted, then it is refused with a clear 409
    with pytest.raises(IllegalTransition) as exc:
        action(store, staff("reviewer"))
    assert exc.value.status_code == 409 and store.get_status_display() in exc.value.message
    store.refresh_from_db()
    assert store.status == status
    assert (audit_count(store), DepositEntry.objects.count(), AgreementSignature.objects.count()) == before


def test_reject_needs_a_reason_for_a_known_document():
    store = submitted_store()
    reviewer = staff("reviewer")
    for reasons in ({}, {"bank_permit": "  "}, {"trademark": "no such document"}):
        with pytest.raises(ValidationFailed):
            services.store_reject(store=store, reasons=reasons, by=reviewer)
    store.refresh_from_db()
    assert store.status == "submitted"
    assert set(StoreDocument.objects.filter(store=store).values_list("status", flat=True)) == {"pending"}


def test_review_needs_the_reviewer_permission():
    store = submitted_store()
    for user in (staff("finance"), UserFactory(), owner_of(store)):
        with pytest.raises(PermissionDenied):
            services.store_approve(store=store, by=user)
    store.refresh_from_db()
    assert store.status == "submitted"
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert services.store_approve(store=store, by=superuser).status == "approved"


# Agreement -------------------------------------------------------------------------------------


def test_only_the_owner_signs_and_only_the_current_version(time_machine):
    store = pay_deposit(approved_store())
    operator = UserFactory()
    Membership.objects.create(store=store, user=operator, role="operator")
    with pytest.raises(PermissionDenied):
        services.store_sign_agreement(store=store, version=current_agreement(), by=operator, ip_address="1.2.3.4")
    old = current_agreement()
    AgreementVersion.objects.create(version="2099.1", title="新版协议", body="……")
    with pytest.raises(Conflict) as exc:
        services.store_sign_agreement(store=store, version=old, by=owner_of(store), ip_address="1.2.3.4")
    assert exc.value.code == "agreement_outdated"
    store.refresh_from_db()
    assert store.status == "deposit_paid" and not AgreementSignature.objects.exists()


# Staff: suspend, reinstate, close ------------------------------------------------------------


def test_suspend_with_reason_and_reinstate(django_capture_on_commit_callbacks):
    store = open_store()
    support = staff("support")
    with pytest.raises(ValidationFailed):
        services.store_suspend(store=store, reason=" ", by=support)
    with django_capture_on_commit_callbacks(execute=True):
        store = services.store_suspend(store=store, reason="虚假发货", by=support)
    assert store.status == "suspended" and store.status_reason == "虚假发货"
    assert Notification.objects.filter(user=owner_of(store), title="店铺已被暂停经营", body="虚假发货").exists()
    store = services.store_reinstate(store=store, by=support)
    assert store.status == "open"
    with pytest.raises(PermissionDenied):
        services.store_suspend(store=store, reason="x", by=staff("finance"))


def test_close_refunds_the_deposit_through_the_payment_and_offline(django_capture_on_commit_callbacks):
    # given an open store that paid online and topped up by bank transfer
    from shop.services.deposit import deposit_record_transfer

    store = open_store()
    finance = staff("finance")
    deposit_record_transfer(store=store, amount=5_000, ref="BANK-1", by=finance)
    # when finance closes it
    with django_capture_on_commit_callbacks(execute=True):
        store = close_and_refund(store, finance, reason="商家申请关店")
    # then both steps are audited, the deposit refunded to zero, the online part back through the provider
    assert store.status == "closed" and store.closed_at is not None
    assert deposit_balance(store) == 0
    refunds = DepositEntry.objects.filter(store=store, kind="refund")
    assert sorted(e.amount for e in refunds) == [5_000, 100_000]
    online = refunds.get(refund__isnull=False)
    online.refund.refresh_from_db()
    assert online.amount == 100_000 and online.refund.status == "succeeded"
    assert list(
        AuditEntry.objects.filter(object_id=store.pk, content_type__model="store").values_list("transition", flat=True)
    )[-2:] == [
        "start_closing",
        "close",
    ]


def test_close_is_refused_while_products_are_on_sale_or_orders_unfinished():
    store = open_store()
    finance = staff("finance")
    product = ProductFactory(store=store)
    force_status(product, "on_sale")
    order = OrderFactory(store=store)
    force_status(order, "paid")
    before = (audit_count(store), DepositEntry.objects.filter(store=store).count())
    with pytest.raises(Conflict) as exc:
        services.store_close(store=store, reason="关店", by=finance)
    assert exc.value.code == "store_not_settled" and "在售商品" in exc.value.message and "未完成" in exc.value.message
    store.refresh_from_db()
    assert store.status == "open"
    assert (audit_count(store), DepositEntry.objects.filter(store=store).count()) == before
    force_status(product, "off_shelf")
    force_status(order, "completed")
    assert services.store_close(store=store, reason="关店", by=finance).status == "closing"


def test_close_is_refused_while_deposit_is_frozen():
    from shop.services.deposit import deposit_freeze

    store = open_store()
    deposit_freeze(store=store, amount=1_000, reason="售后纠纷", by="aftersales")
    with pytest.raises(Conflict) as exc:
        services.store_close(store=store, reason="关店", by="system")
    assert exc.value.code == "deposit_frozen"
    store.refresh_from_db()
    assert store.status == "open"  # the whole close rolled back, start_closing included


# Team ------------------------------------------------------------------------------------------


def test_owner_invites_an_operator_by_username_or_email(django_capture_on_commit_callbacks):
    store = open_store()
    owner = owner_of(store)
    colleague = UserFactory(email="Colleague@Example.com")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_invite(store=store, user_ref="colleague@example.com", by=owner)
    assert membership.role == "operator"
    assert Notification.objects.filter(user=colleague, kind="store.member_added").exists()
    with pytest.raises(Conflict):
        services.membership_invite(store=store, user_ref=colleague.username, by=owner)
    with pytest.raises(ValidationFailed) as exc:
        services.membership_invite(store=store, user_ref="nobody", by=owner)
    assert "user" in exc.value.fields
    with pytest.raises(PermissionDenied):
        services.membership_invite(store=store, user_ref=UserFactory().username, by=colleague)


def test_name_taken_between_check_and_save_is_a_field_error(monkeypatch):
    # given another application that took the name after our check ran (simulated by skipping the check)
    draft_store(name="抢注的店名")
    monkeypatch.setattr(services, "application_errors", lambda store: {})
    user = UserFactory()
    # then the unique constraint answers as a field error, not a 500
    with pytest.raises(ValidationFailed) as exc:
        services.store_create(user=user, data=application(name="抢注的店名"), by=user)
    assert "name" in exc.value.fields
    assert not Membership.objects.filter(user=user).exists()
