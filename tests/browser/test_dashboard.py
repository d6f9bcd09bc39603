"""The merchant opens the dashboard of a store with orders: counts match the database, charts render."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal import dashboard
from shop.models import Order
from tests.browser.conftest import login
from tests.conftest import force_status
from tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_orders(store):
    now = timezone.now()
    for hours, days_ago in ((30, 0), (3, 1), (-2, 2), (40, 3), (-5, 5)):
        order = OrderFactory(store=store, paid_amount=2990 + hours * 10)
        force_status(order, "paid")
        Order.objects.filter(pk=order.pk).update(
            ship_by=now + timedelta(hours=hours), paid_at=now - timedelta(days=days_ago)
        )
    OrderFactory(store=store)


def test_dashboard_counts_and_charts(page, live_server, merchant, store, screenshot):
    _demo_orders(store)
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/?days=30")

    expected = dashboard.todo(store)
    assert {i.key: i.count for i in expected}["orders_to_ship"] == Order.objects.filter(status="paid").count() == 5
    for item in expected:
        shown = page.locator(f'[data-todo="{item.key}"] [data-count]')
        assert shown.get_attribute("data-count") == str(item.count)
        if not item.money:
            assert shown.inner_text() == str(item.count)

    assert page.locator("svg.chart").count() == len(dashboard.CHARTS)
    assert page.locator('[data-chart="orders"] svg rect.bar').count() == 30
    assert page.locator('[data-chart="funnel"] svg rect.bar').count() >= 5
    screenshot(page, "cockpit-dashboard")

    page.click("text=查看全部经营数据（表格与 CSV）")
    page.wait_for_load_state()
    assert page.locator("svg.chart").count() == len(dashboard.CHARTS)
    assert page.locator('[data-chart="funnel"] table tbody tr').count() == 6
    screenshot(page, "cockpit-data")
