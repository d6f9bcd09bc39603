"""Merchant pages of onboarding: the wizard, the store page, deposit, agreement, team, isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import Membership, Payment
from shop.models import AgreementSignature, Store, StoreDocument
from shop.services import stores as services
from shop.services.deposit import deposit_deduct
from tests.factories import UserFactory
from tests.shop.store_helpers import (
    PDF_BYTES,
    VALID_USCC,
    approved_store,
    draft_store,
    ensure_reference_data,
    open_store,
    owner_of,
    pay_deposit,
    png_bytes,
    submitted_store,
    upload_all,
)

pytestmark = pytest.mark.django_db


def login(client, store: Store):
    client.force_login(owner_of(store))
    return client


def upload(client, kind: str, name: str = "doc.png", content: bytes | None = None):
    file = SimpleUploadedFile(name, png_bytes() if content is None else content)
    return client.post(reverse("shop:onboarding_documents"), {"kind": kind, "file": file, "sealed": "on"})


def test_wizard_walk_saves_a_draft_at_every_step_and_submits(client):
    # given a merchant who just signed up
    category = ensure_reference_data()
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("shop:onboarding_start")).status_code == 200
    # when they choose enterprise / flagship
    response = client.post(
        reverse("shop:onboarding_start"), {"store_type": "enterprise", "enterprise_kind": "flagship"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("shop:onboarding_info")
    page = client.get(reverse("shop:onboarding_info")).content.decode()
    assert 'name="brand_name"' in page and 'name="credit_code"' in page
    # and fill in the store information
    info = {
        "name": "优品旗舰店",
        "main_category": category.pk,
        "brand_name": "优品",
        "company_name": "杭州优品贸易有限公司",
        "credit_code": VALID_USCC.lower(),
        "contact_name": "王五",
        "contact_phone": "13912345678",
    }
    response = client.post(reverse("shop:onboarding_info"), info)
    assert response.status_code == 302
    # then a draft exists, owned by them and current in the session
    store = Store.objects.get(name="优品旗舰店")
    assert store.status == "draft" and store.credit_code == VALID_USCC
    assert Membership.objects.get(user=user, store=store).role == "owner"
    # when every required document is uploaded
    for kind in store.required_document_kinds():
        response = upload(client, kind, *(("list.pdf", PDF_BYTES) if kind == "product_list" else ()))
        assert response.status_code == 302, response.content.decode()[:500]
    # and the application submitted
    assert client.get(reverse("shop:onboarding_submit")).status_code == 200
    response = client.post(reverse("shop:onboarding_submit"))
    assert response.status_code == 302 and response["Location"] == reverse("shop:store_detail")
    store.refresh_from_db()
    assert store.status == "submitted"
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert "预计" in page and "2 个工作日" in page
    # and the wizard is now locked
    assert client.get(reverse("shop:onboarding_documents"))["Location"] == reverse("shop:store_detail")


def test_going_back_edits_the_same_draft(client):
    store = draft_store()
    login(client, store)
    response = client.post(
        reverse("shop:onboarding_start"), {"store_type": "enterprise", "enterprise_kind": "exclusive"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("shop:onboarding_info"),
        {
            "name": "优品专卖店",
            "main_category": store.main_category_id,
            "brand_name": "优品",
            "company_name": store.company_name,
            "credit_code": store.credit_code,
            "contact_name": "王五",
            "contact_phone": "13912345678",
        },
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.name, store.enterprise_kind, Store.objects.count()) == ("优品专卖店", "exclusive", 1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "store_type"),
        ({"store_type": "shop"}, "store_type"),
        ({"store_type": "enterprise"}, "enterprise_kind"),
        ({"store_type": "enterprise", "enterprise_kind": "mega"}, "enterprise_kind"),
    ],
)
def test_type_step_bad_input_shows_field_errors(client, data, field):
    client.force_login(UserFactory())
    response = client.post(reverse("shop:onboarding_start"), data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact_phone": "2345"}, "contact_phone"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"credit_code": ""}, "credit_code"),
        ({"name": ""}, "name"),
        ({"name": "官方好店"}, "name"),
        ({"name": "taken"}, "name"),
        ({"main_category": "999999"}, "main_category"),
        ({"contact_name": ""}, "contact_name"),
    ],
)
def test_info_step_bad_input_shows_field_errors_and_saves_nothing(client, changes, field):
    category = ensure_reference_data()
    draft_store(name="taken")
    client.force_login(UserFactory())
    client.post(reverse("shop:onboarding_start"), {"store_type": "sole_proprietor"})
    data = {
        "name": "新店",
        "main_category": category.pk,
        "company_name": "个体户",
        "credit_code": VALID_USCC,
        "contact_name": "王五",
        "contact_phone": "13912345678",
        **changes,
    }
    response = client.post(reverse("shop:onboarding_info"), data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert Store.objects.count() == 1


def test_info_step_without_a_chosen_type_goes_back_to_step_one(client):
    client.force_login(UserFactory())
    assert client.get(reverse("shop:onboarding_info"))["Location"] == reverse("shop:onboarding_start")
    assert client.get(reverse("shop:onboarding_documents"))["Location"] == reverse("shop:onboarding_start")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "business_licence", "name": "licence.png", "content": b"MZ\x90\x00 exe"}, "JPG"),
        ({"kind": "business_licence", "name": "licence.pdf", "content": png_bytes()}, "JPG"),
        ({"kind": "trademark", "name": "t.png", "content": None}, "不需要"),
        ({"kind": "nonsense", "name": "t.png", "content": None}, "kind"),
    ],
)
def test_upload_bad_files_shows_errors(client, data, message):
    store = draft_store()
    login(client, store)
    response = upload(client, data["kind"], data["name"], data["content"])
    assert response.status_code == 400
    assert message in response.content.decode() or 'data-field="file"' in response.content.decode()
    assert not StoreDocument.objects.exists()


def test_upload_without_file_and_oversized_file(client, settings):
    store = draft_store()
    login(client, store)
    response = client.post(reverse("shop:onboarding_documents"), {"kind": "business_licence"})
    assert response.status_code == 400 and 'data-field="file"' in response.content.decode()
    settings.STORE_DOCUMENT_MAX_BYTES = 50
    response = upload(client, "business_licence")
    assert response.status_code == 400 and "MB" in response.content.decode()
    assert not StoreDocument.objects.exists()


def test_submit_incomplete_lists_what_is_missing(client):
    store = draft_store()
    login(client, store)
    response = client.post(reverse("shop:onboarding_submit"))
    assert response.status_code == 400
    assert "银行开户许可证" in response.content.decode()
    store.refresh_from_db()
    assert store.status == "draft"


def test_rejected_store_shows_reason_per_document_and_can_be_corrected(client):
    store = submitted_store()
    services.store_reject(store=store, reasons={"legal_id_front": "照片模糊，无法辨认"}, by="reviewer:test")
    login(client, store)
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert "照片模糊，无法辨认" in page and 'data-testid="fix-documents"' in page
    page = client.get(reverse("shop:onboarding_documents")).content.decode()
    assert 'data-testid="reason-legal_id_front"' in page
    assert upload(client, "legal_id_front").status_code == 302
    assert client.post(reverse("shop:onboarding_submit")).status_code == 302
    store.refresh_from_db()
    assert store.status == "submitted"


def test_deposit_is_paid_at_the_sandbox_cashier(client):
    store = approved_store()
    login(client, store)
    page = client.get(reverse("shop:store_detail")).content.decode()
    assert "¥1,000.00" in page and 'data-testid="pay-deposit"' in page
    response = client.post(reverse("shop:deposit_pay"))
    payment = Payment.objects.get(purpose="deposit", store=store)
    assert response["Location"] == f"/payments/sandbox/{payment.token}/?next=/shop/store/"
    response = client.post(f"/payments/sandbox/{payment.token}/", {"outcome": "success", "next": "/shop/store/"})
    assert response["Location"] == "/shop/store/"
    store.refresh_from_db()
    assert store.status == "deposit_paid"


def test_paying_when_nothing_is_due_shows_a_message(client):
    store = open_store()
    login(client, store)
    response = client.post(reverse("shop:deposit_pay"), follow=True)
    assert "无需缴纳" in response.content.decode()


def test_agreement_is_signed_with_the_ip_and_the_store_opens(client):
    store = pay_deposit(approved_store())
    login(client, store)
    page = client.get(reverse("shop:store_agreement")).content.decode()
    assert "第一条" in page and 'data-testid="sign"' in page
    version = AgreementSignature._meta.get_field("version").related_model.objects.order_by("-effective_at").first()
    response = client.post(reverse("shop:store_agreement"), {"version": version.pk})
    assert response.status_code == 400 and 'data-field="agree"' in response.content.decode()
    response = client.post(reverse("shop:store_agreement"), {"version": 999999, "agree": "on"})
    assert response.status_code == 400
    response = client.post(
        reverse("shop:store_agreement"), {"version": version.pk, "agree": "on"}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.status == "open"
    assert AgreementSignature.objects.get(store=store).ip_address == "198.51.100.4"
    response = client.post(reverse("shop:store_agreement"), {"version": version.pk, "agree": "on"})
    assert response.status_code == 409  # signing twice is an illegal transition, not a 500


def test_team_owner_invites_operator_and_operator_cannot_invite(client):
    store = open_store()
    colleague = UserFactory(username="colleague")
    login(client, store)
    response = client.post(reverse("shop:store_team"), {"user": "nobody"})
    assert response.status_code == 400 and 'data-field="user"' in response.content.decode()
    assert client.post(reverse("shop:store_team"), {"user": ""}).status_code == 400
    assert client.post(reverse("shop:store_team"), {"user": "colleague"}).status_code == 302
    assert Membership.objects.get(store=store, user=colleague).role == "operator"
    client.force_login(colleague)
    assert client.get(reverse("shop:store_team")).status_code == 200
    assert client.post(reverse("shop:store_team"), {"user": owner_of(store).username}).status_code == 403


def test_another_stores_document_is_a_404(client):
    mine = submitted_store()
    theirs = submitted_store(name="别人的店")
    theirs_doc = StoreDocument.objects.filter(store=theirs).first()
    login(client, mine)
    mine_doc = StoreDocument.objects.filter(store=mine).first()
    response = client.get(reverse("shop:store_document_file", args=[mine_doc.pk]))
    assert response.status_code == 200 and response["Content-Type"] == mine_doc.content_type
    assert client.get(reverse("shop:store_document_file", args=[theirs_doc.pk])).status_code == 404


def test_pages_need_a_login(client):
    for name in ("shop:onboarding_start", "shop:store_detail", "shop:deposit_ledger", "shop:store_agreement"):
        assert client.get(reverse(name)).status_code == 302


def test_store_page_and_ledger_use_a_constant_number_of_queries(client, django_assert_max_num_queries):
    small = open_store()
    big = open_store(name="大店铺")
    for i in range(25):
        deposit_deduct(store=big, amount=100, reason=f"赔付{i}", by="orders")
    for _ in range(3):
        services.membership_invite(store=big, user_ref=UserFactory().username, by=owner_of(big))
    for store in (small, big):
        login(client, store)
        with django_assert_max_num_queries(18):
            assert client.get(reverse("shop:store_detail")).status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(reverse("shop:deposit_ledger")).status_code == 200


def test_merchant_with_open_store_can_start_another_application(client):
    store = open_store()
    login(client, store)
    assert client.get(reverse("shop:onboarding_start"))["Location"] == reverse("shop:store_detail")
    assert client.get(reverse("shop:onboarding_start") + "?new=1").status_code == 200
    response = client.post(reverse("shop:onboarding_start") + "?new=1", {"store_type": "individual"})
    assert response["Location"] == reverse("shop:onboarding_info")
    page = client.get(reverse("shop:onboarding_info")).content.decode()
    assert 'name="credit_code"' not in page


def test_documents_step_lists_only_what_the_type_needs(client):
    store = draft_store(store_type="individual", enterprise_kind="", company_name="", credit_code="")
    upload_all(store, owner_of(store))
    login(client, store)
    page = client.get(reverse("shop:onboarding_documents")).content.decode()
    assert 'data-kind="id_in_hand"' in page and 'data-kind="business_licence"' not in page
