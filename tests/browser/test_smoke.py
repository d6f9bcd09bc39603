"""The browser sees the login page and a logged-in merchant sees the back office."""

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merchant_logs_in_and_switches_language(page, live_server, merchant, screenshot):
    login(page, live_server, merchant.username)
    assert page.locator(".sidenav").is_visible()
    assert "工作台" in page.inner_text(".sidenav")
    screenshot(page, "foundation-home-zh")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
