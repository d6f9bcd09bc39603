"""Onboarding journey (issue 16): a new merchant starts a personal store, switches it to a company, sees the
ID card carried to the legal representative's slots, submits, and pays the deposit after a failed attempt.
Screenshots: test-output/screenshots/journey-onboarding-*.png."""

import pytest

from shop.models import Store, StoreDocument
from shop.services import stores as services
from tests.shop.store_helpers import PDF_BYTES, VALID_USCC, ensure_reference_data, png_bytes, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page, kind: str) -> None:
    is_pdf = kind == "product_list"
    payload = {
        "name": f"{kind}.{'pdf' if is_pdf else 'png'}",
        "mimeType": "application/pdf" if is_pdf else "image/png",
        "buffer": PDF_BYTES if is_pdf else png_bytes(),
    }
    form = page.locator(f"[data-testid=upload-{kind}]")
    if form.locator("input[name=sealed]").count():  # an enterprise's copy: the seal is confirmed first
        form.locator("input[name=sealed]").check()
    with page.expect_navigation():  # choosing the file is the whole upload
        form.locator("input[type=file]").set_input_files(payload)


def test_type_switch_and_a_failed_then_successful_deposit(page, live_server, screenshot):
    category = ensure_reference_data()
    reviewer = staff("reviewer", "reviewer_j")
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", "xiaowang")
    page.fill("input[name=email]", "xiaowang@example.com")
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=password1]", "Str0ng-pass-2026")
    page.fill("input[name=password2]", "Str0ng-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/shop/onboarding/")

    # Before opening, the sidebar offers only the onboarding pages
    assert "商品列表" not in page.inner_text(".sidenav")

    # A personal store: the enterprise kind is not asked
    page.check("input[name=store_type][value=individual]")
    assert not page.locator("[data-enterprise-only]").is_visible()
    page.check("input[name=store_type][value=enterprise]")
    assert page.locator("[data-enterprise-only]").is_visible()
    page.check("input[name=store_type][value=individual]")
    screenshot(page, "journey-onboarding-1-personal")
    page.click("[data-testid=type-form] button[type=submit]")

    # Name rules are reported together with the other errors; the bad name is nowhere but in its input
    page.wait_for_url("**/shop/onboarding/info/")
    page.fill("input[name=name]", "拼多多官方旗舰店")
    page.fill("input[name=contact_name]", "小王")
    page.fill("input[name=contact_phone]", "123")
    page.click("[data-testid=info-form] button[type=submit]")
    assert page.locator("[data-field=name]").count() >= 2
    assert page.locator("[data-field=contact_phone]").is_visible()
    assert "拼多多官方旗舰店" not in page.inner_text("h1") + page.inner_text(".topbar")
    screenshot(page, "journey-onboarding-2-name-rules")
    page.fill("input[name=name]", "小王优品")
    page.select_option("select[name=main_category]", str(category.pk))
    page.fill("input[name=contact_phone]", "13912345678")
    page.click("[data-testid=info-form] button[type=submit]")

    # ID card uploads: one step each, a thumbnail, 已上传 (not 待审核)
    page.wait_for_url("**/shop/onboarding/documents/")
    upload(page, "id_front")
    upload(page, "id_back")
    assert page.inner_text("[data-testid=doc-status-id_front]") == "已上传"
    assert page.locator("[data-testid=thumb-id_front]").is_visible()
    screenshot(page, "journey-onboarding-3-personal-documents")

    # Switch to a company store: the ID card moves to the legal representative's slots
    page.goto(f"{base}/shop/onboarding/")
    page.check("input[name=store_type][value=enterprise]")
    page.check("input[name=enterprise_kind][value=ordinary]")
    page.click("[data-testid=type-form] button[type=submit]")
    page.wait_for_url("**/shop/onboarding/info/")
    page.fill("input[name=company_name]", "杭州小王贸易有限公司")
    page.fill("input[name=credit_code]", VALID_USCC)
    page.click("[data-testid=info-form] button[type=submit]")
    page.wait_for_url("**/shop/onboarding/documents/")
    assert page.locator("[data-testid=thumb-legal_id_front]").is_visible()
    assert page.inner_text("[data-testid=doc-status-legal_id_back]") == "已上传"
    assert page.locator("tr[data-kind=id_in_hand]").count() == 0
    screenshot(page, "journey-onboarding-4-carried-to-company")
    for kind in ("business_licence", "bank_permit", "product_list"):
        upload(page, kind)
    page.click("[data-testid=to-submit]")
    page.click("[data-testid=submit]")
    page.wait_for_url("**/shop/store/")

    store = Store.objects.get(name="小王优品")
    queue = set(StoreDocument.objects.filter(store=store).exclude(status="replaced").values_list("kind", flat=True))
    assert "id_front" not in queue and "legal_id_front" in queue
    services.store_approve(store=store, by=reviewer)

    # The first payment fails: the page says so, never 支付成功
    page.reload()
    page.click("[data-testid=pay-deposit]")
    page.wait_for_url("**/payments/sandbox/**")
    page.click("[data-testid=pay-fail]")
    page.wait_for_url("**/shop/store/")
    messages = page.inner_text(".messages")
    assert "支付成功" not in messages and "支付未成功" in messages
    assert page.inner_text("[data-testid=store-status]") == "审核通过，待缴保证金"
    screenshot(page, "journey-onboarding-5-payment-failed")

    # The second one succeeds
    page.click("[data-testid=pay-deposit]")
    page.wait_for_url("**/payments/sandbox/**")
    page.click("[data-testid=pay]")
    page.wait_for_url("**/shop/store/")
    assert "支付成功" in page.inner_text(".messages")
    screenshot(page, "journey-onboarding-6-payment-succeeded")
    store.refresh_from_db()
    assert store.status == "deposit_paid"
