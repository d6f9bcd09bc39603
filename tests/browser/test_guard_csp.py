"""The strict Content-Security-Policy in Chromium: the main pages (merchant, onboarding, admin) raise no
violation, and the behaviours moved out of inline handlers into static/js still work."""

from __future__ import annotations

import pytest

from tests.aftersales.conftest import make_order
from tests.browser.conftest import login
from tests.factories import SkuFactory, UserFactory
from tests.shipping.conftest import make_sender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile || ""}:${e.lineNumber || ""}`);
});
"""


class Violations:
    """Every CSP violation a page raised: its securitypolicyviolation events and Chromium's console errors."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda m: (
                self.console.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None
            ),
        )

    def visit(self, url: str) -> list[str]:
        self.console.clear()
        response = self.page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        assert "unsafe-inline" not in response.headers["content-security-policy"], url
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__csp || []")
        return [*events, *self.console]


def test_main_merchant_pages_raise_no_csp_violation(page, live_server, merchant, store):
    SkuFactory(product__store=store)
    make_sender(store)
    order = make_order(store, status="paid")
    login(page, live_server, merchant.username)
    watch = Violations(page)
    pages = [
        "/",
        "/data/",
        "/shop/orders/",
        f"/shop/orders/{order.order_sn}/",
        "/shop/products/",
        "/shop/products/new/",
        "/shop/promotions/",
        "/shop/promotions/coupons/new/",
        "/shop/store/",
        "/shop/funds/",
        "/shipping/booking/",
        "/shipping/shipments/",
        "/shipping/addresses/",
        "/shipping/addresses/new/",
        "/aftersales/requests/",
        "/aftersales/reviews/",
        "/inbox/",
        "/settings/notifications/",
        "/settings/api-keys/",
        "/settings/webhooks/",
    ]
    found = {url: v for url in pages if (v := watch.visit(f"{live_server.url}{url}"))}
    assert not found, found


def test_moved_behaviours_work_without_inline_script(page, live_server, merchant, store):
    SkuFactory.create_batch(2, product__store=store)
    make_sender(store)
    make_order(store, status="paid")
    login(page, live_server, merchant.username)
    watch = Violations(page)
    # product list: the header checkbox checks every row (was an onclick)
    assert not watch.visit(f"{live_server.url}/shop/products/")
    page.check("input[data-check-all]")
    boxes = page.locator("input[name=ids]")
    assert boxes.count() >= 2 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    # booking centre: select all counts the selection (was an inline script)
    assert not watch.visit(f"{live_server.url}/shipping/booking/")
    page.check("[data-testid=select-all]")
    assert page.inner_text("[data-testid=selected-count]") != "0"
    # address book: deleting asks first (was an onsubmit); dismissing keeps the address
    assert not watch.visit(f"{live_server.url}/shipping/addresses/")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("form[data-confirm] button")
    assert asked and page.url.endswith("/shipping/addresses/")
    # inbox: choosing a kind submits the filter (was an onchange)
    assert not watch.visit(f"{live_server.url}/inbox/")
    options = page.eval_on_selector_all("select[data-autosubmit] option", "os => os.map(o => o.value)")
    chosen = next(v for v in options if v)
    with page.expect_navigation():
        page.select_option("select[data-autosubmit]", chosen)
    assert f"kind={chosen}" in page.url
    assert not watch.console


def test_onboarding_type_step_toggles_the_enterprise_kind(page, live_server):
    user = UserFactory(username="newcomer")
    login(page, live_server, user.username)
    watch = Violations(page)
    assert not watch.visit(f"{live_server.url}/shop/onboarding/")
    kind = page.locator("[name=enterprise_kind]").first.locator("xpath=ancestor::*[contains(@class,'field')][1]")
    assert kind.is_hidden()
    page.check("[name=store_type][value=enterprise]")
    assert kind.is_visible()
    assert not watch.console


def test_admin_pages_raise_no_csp_violation(page, live_server, staff_user):
    staff_user.set_password("pass12345")
    staff_user.save()
    login(page, live_server, staff_user.username)
    watch = Violations(page)
    pages = ["/admin/", "/admin/shop/store/", "/admin/shop/order/", "/admin/aftersales/aftersalesrequest/"]
    found = {url: v for url in pages if (v := watch.visit(f"{live_server.url}{url}"))}
    assert not found, found
