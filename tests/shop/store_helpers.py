"""Givens shared by the store onboarding tests: upload files, applications at each stage."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.payments.providers import get_provider
from portal.payments.services import payment_record_callback
from portal.roles import grant_staff_roles
from shop.models import AgreementVersion, Category, DepositRule, Store
from shop.models.stores import uscc_check_character
from shop.selectors.stores import current_agreement
from shop.services import deposit as deposit_services
from shop.services import stores as services
from tests.factories import UserFactory

VALID_USCC = "91350100M000100Y43"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png(name: str = "doc.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def uscc(prefix17: str = "91330100MA2B00001") -> str:
    return prefix17 + uscc_check_character(prefix17)


def ensure_reference_data() -> Category:
    """Categories, rules, agreement and group permissions (migration data is gone after a transactional test)."""
    category, _ = Category.objects.get_or_create(code="home", defaults={"name": "家居日用"})
    DepositRule.objects.get_or_create(
        store_type="enterprise", enterprise_kind="", category=None, defaults={"amount": 100_000}
    )
    DepositRule.objects.get_or_create(
        store_type="individual", enterprise_kind="", category=None, defaults={"amount": 200_000}
    )
    if current_agreement() is None:
        AgreementVersion.objects.create(
            version="test-1", title="入驻协议", body="第一条 ……", effective_at=datetime(2000, 1, 1, tzinfo=UTC)
        )
    grant_staff_roles(apps)
    return category


def staff(group: str, username: str | None = None):
    user = UserFactory(username=username or group, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def application(**overrides) -> dict:
    category = ensure_reference_data()
    data = {
        "store_type": "enterprise",
        "enterprise_kind": "ordinary",
        "name": "优品生活馆",
        "main_category": category,
        "company_name": "杭州优品贸易有限公司",
        "credit_code": VALID_USCC,
        "contact_name": "王五",
        "contact_phone": "13912345678",
    }
    data.update(overrides)
    return data


def draft_store(user=None, **overrides) -> Store:
    user = user or UserFactory()
    return services.store_create(user=user, data=application(**overrides), by=user)


def upload_all(store: Store, by) -> None:
    for kind in store.required_document_kinds():
        file = pdf() if kind == "product_list" else png()
        services.document_upload(store=store, kind=kind, file=file, by=by, sealed=kind in store.sealed_document_kinds())


def owner_of(store: Store):
    return store.memberships.get(role="owner").user


def submitted_store(**overrides) -> Store:
    store = draft_store(**overrides)
    upload_all(store, owner_of(store))
    return services.store_submit(store=store, by=owner_of(store))


def approved_store(**overrides) -> Store:
    store = submitted_store(**overrides)
    return services.store_approve(store=store, by="reviewer:test")


def pay_deposit(store: Store) -> Store:
    provider = get_provider()
    payment = deposit_services.deposit_payment_start(store=store, by=owner_of(store))
    payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    store.refresh_from_db()
    return store


def open_store(**overrides) -> Store:
    store = pay_deposit(approved_store(**overrides))
    return services.store_sign_agreement(
        store=store, version=current_agreement(), by=owner_of(store), ip_address="10.0.0.1"
    )


def close_and_refund(store: Store, by, reason: str = "关店") -> Store:
    """Close a store and approve its deposit refund (the two steps of finance)."""
    store = services.store_close(store=store, reason=reason, by=by)
    deposit_services.deposit_refund_approve(store=store, reason="核对无误", by=by)
    store.refresh_from_db()
    return store
