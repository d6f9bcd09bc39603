"""A new merchant signs up, walks the wizard and opens a store; a reviewer approves in the admin
from a second browser context. Screenshots go to test-output/screenshots/onboarding-*.png."""

import pytest

from shop.models import Store
from tests.browser.conftest import login
from tests.shop.store_helpers import PDF_BYTES, VALID_USCC, ensure_reference_data, png_bytes, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signup_to_open_store_with_admin_approval(page, browser, live_server, screenshot):
    category = ensure_reference_data()
    staff("reviewer", "reviewer_b")
    base = live_server.url

    # Sign up
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", "newshop")
    page.fill("input[name=email]", "newshop@example.com")
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=password1]", "Str0ng-pass-2026")
    page.fill("input[name=password2]", "Str0ng-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/shop/onboarding/")

    # Step 1: store type
    page.check("input[name=store_type][value=enterprise]")
    page.check("input[name=enterprise_kind][value=flagship]")
    screenshot(page, "onboarding-1-type")
    page.click("[data-testid=type-form] button[type=submit]")

    # Step 2: store information (a wrong credit code first: the field error shows)
    page.wait_for_url("**/shop/onboarding/info/")
    page.fill("input[name=name]", "优品旗舰店")
    page.select_option("select[name=main_category]", str(category.pk))
    page.fill("input[name=brand_name]", "优品")
    page.fill("input[name=company_name]", "杭州优品贸易有限公司")
    page.fill("input[name=credit_code]", "91350100M000100Y44")
    page.fill("input[name=contact_name]", "王五")
    page.fill("input[name=contact_phone]", "13912345678")
    page.click("[data-testid=info-form] button[type=submit]")
    assert page.locator("[data-field=credit_code]").is_visible()
    screenshot(page, "onboarding-2-info-error")
    page.fill("input[name=credit_code]", VALID_USCC)
    page.click("[data-testid=info-form] button[type=submit]")

    # Step 3: documents
    page.wait_for_url("**/shop/onboarding/documents/")
    store = Store.objects.get(name="优品旗舰店")
    for kind in store.required_document_kinds():
        is_pdf = kind == "product_list"
        payload = {
            "name": f"{kind}.{'pdf' if is_pdf else 'png'}",
            "mimeType": "application/pdf" if is_pdf else "image/png",
            "buffer": PDF_BYTES if is_pdf else png_bytes(),
        }
        form = page.locator(f"[data-testid=upload-{kind}]")
        if kind in store.sealed_document_kinds():
            form.locator("input[name=sealed]").check()  # an enterprise's copy carries the company seal
        with page.expect_navigation():  # choosing the file uploads it: one step
            form.locator("input[type=file]").set_input_files(payload)
    screenshot(page, "onboarding-3-documents")

    # Step 4: submit
    page.click("[data-testid=to-submit]")
    page.click("[data-testid=submit]")
    page.wait_for_url("**/shop/store/")
    assert page.inner_text("[data-testid=store-status]") == "审核中"
    assert "预计" in page.inner_text("[data-testid=next-step]")
    screenshot(page, "onboarding-4-submitted")

    # A reviewer approves in the admin, in a second browser context
    staff_context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    admin = staff_context.new_page()
    login(admin, live_server, "reviewer_b")
    admin.goto(f"{base}/admin/shop/storeapplication/")
    admin.click("text=优品旗舰店 >> xpath=ancestor::tr >> a.button")
    admin.wait_for_selector("[data-testid=review-form]")
    assert admin.locator("img.doc-thumb").count() >= 4
    screenshot(admin, "onboarding-5-admin-review")
    admin.check("input[name=decision][value=approve]")
    admin.click("[data-testid=review-submit]")
    admin.wait_for_load_state()
    staff_context.close()

    # The merchant pays the deposit at the sandbox cashier
    page.reload()
    assert page.inner_text("[data-testid=store-status]") == "审核通过，待缴保证金"
    page.click("[data-testid=pay-deposit]")
    page.wait_for_url("**/payments/sandbox/**")
    assert page.inner_text("[data-testid=amount]") == "¥1,000.00"
    screenshot(page, "onboarding-6-cashier")
    page.click("[data-testid=pay]")
    page.wait_for_url("**/shop/store/")

    # and signs the agreement: the store opens
    page.click("[data-testid=to-agreement]")
    page.check("input[name=agree]")
    page.click("[data-testid=sign]")
    page.wait_for_url("**/shop/store/")
    assert page.inner_text("[data-testid=store-status]") == "营业中"
    assert page.inner_text("[data-testid=deposit-balance]") == "¥1,000.00"
    assert "签署入驻协议" in page.inner_text("[data-testid=timeline]")
    screenshot(page, "onboarding-7-open")
    store.refresh_from_db()
    assert store.status == "open"
