"""在线下单 in Chromium: select all, book 30 orders, watch the sandbox confirm and collect, print labels;
and a courier that misses the pickup: overdue alert, one-click re-booking with another courier."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.sweeps import SWEEPS
from shipping.carriers import sandbox
from shipping.models import Courier, Shipment
from shop.models import Order
from tests.browser.conftest import login
from tests.shipping.conftest import make_sender, paid_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_sandbox(settings):
    settings.SANDBOX_COURIER_CLOCK_SCALE = 0


def statuses(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid=progress] [data-status]", "els => els.map(e => e.dataset.status)")


def wait_for_all(page, status: str, n: int) -> None:
    page.wait_for_function(
        "([s, n]) => { const els = document.querySelectorAll('[data-testid=progress] [data-status]');"
        " return els.length === n && [...els].every(e => e.dataset.status === s); }",
        arg=[status, n],
        timeout=15000,
    )


def test_book_30_orders_watch_them_confirmed_collected_and_print_labels(
    page, live_server, merchant, store, fast_sandbox, screenshot
):
    make_sender(store)
    orders = [paid_order(store, weight_g=600 + 100 * (i % 5)) for i in range(30)]
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shipping/booking/")
    assert page.locator("[data-testid=unbooked-table] input.pick").count() == 30
    page.click("[data-testid=select-all]")
    assert page.inner_text("[data-testid=selected-count]") == "30"
    screenshot(page, "booking-1-unbooked-select-all")
    page.click("[data-testid=book-selected]")
    # choose a courier: refused ones show their reason, others a price
    page.wait_for_selector("[data-testid=courier-options]")
    page.click(".courier-card[data-courier=ZTO]")
    screenshot(page, "booking-2-choose-courier")
    page.click("[data-testid=choose-courier]")
    # the confirmation page: a read-only review of every order; the edit action of one row changes its recipient
    page.wait_for_selector("[data-testid=confirm-lines]")
    assert page.locator("[data-testid=review-row]").count() == 30
    page.locator("[data-testid=edit-line]").first.click()
    page.fill("input[name=recipient_name]", "改名收件人")
    page.click("[data-testid=save-line]")
    page.wait_for_selector("[data-testid=confirm-lines]")
    assert "改名收件人" in page.inner_text("[data-testid=confirm-lines]")
    screenshot(page, "booking-3-confirm")
    page.click("[data-testid=submit-booking]")
    page.wait_for_selector("[data-testid=progress]")
    wait_for_all(page, "requested", 30)
    assert Shipment.objects.filter(recipient_name="改名收件人").count() == 1
    assert Shipment.objects.exclude(waybill_no="").count() == 30
    screenshot(page, "booking-4-requested")
    # the sandbox courier confirms outlet and courier: the page updates itself (htmx polling)
    sandbox.tick()
    wait_for_all(page, "confirmed", 30)
    assert "揽件网点" in page.inner_text("[data-testid=progress]")
    screenshot(page, "booking-5-confirmed")
    sandbox.tick()
    wait_for_all(page, "picked_up", 30)
    screenshot(page, "booking-6-picked-up")
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)) == {"shipped"}
    # the orders show as 已发货 on the orders page, and under 配送中 in 在线下单
    page.goto(f"{live_server.url}/shop/orders/?tab=shipped")
    content = page.content()
    assert sum(order.order_sn in content for order in orders) >= 10  # the first page of 30 shipped orders
    screenshot(page, "booking-7-orders-shipped")
    page.goto(f"{live_server.url}/shipping/booking/?tab=delivering")
    assert page.locator("[data-testid=booked-table] tbody tr").count() == 30
    # labels: one per parcel with a Code 128 barcode, print-friendly
    booking_no = Shipment.objects.first().booking.booking_no
    page.goto(f"{live_server.url}/shipping/bookings/{booking_no}/labels/")
    assert page.locator("[data-testid=label] svg").count() == 30
    screenshot(page, "booking-8-labels")
    page.emulate_media(media="print")
    assert not page.locator(".sidenav").is_visible() and not page.locator("[data-testid=print]").is_visible()
    screenshot(page, "booking-9-labels-print")


def test_a_missed_pickup_alerts_and_rebooks_with_another_courier(
    page, live_server, merchant, store, fast_sandbox, screenshot, time_machine
):
    Courier.objects.filter(code="STO").update(sandbox_scenario="miss_pickup")
    make_sender(store)
    for _ in range(3):
        paid_order(store)
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shipping/booking/")
    page.click("[data-testid=select-all]")
    page.click("[data-testid=book-selected]")
    page.click(".courier-card[data-courier=STO]")
    page.click("[data-testid=choose-courier]")
    page.click("[data-testid=submit-booking]")
    page.wait_for_selector("[data-testid=progress]")
    sandbox.tick()  # STO confirms ... and never comes
    wait_for_all(page, "confirmed", 3)
    sandbox.tick()
    # 25 hours later the SLA watch has flagged it
    time_machine.move_to(timezone.now() + timedelta(hours=25), tick=True)
    SWEEPS["shipping.sla_watch"]()
    page.reload()
    alert = page.locator("[data-testid=overdue-alert]")
    assert alert.is_visible() and "揽收超时" in page.inner_text("[data-testid=progress]")
    screenshot(page, "booking-10-pickup-overdue")
    page.select_option("[data-testid=rebook-courier]", "YTO")
    page.click("[data-testid=rebook]")
    page.wait_for_selector("text=已改派圆通速递")
    wait_for_all(page, "requested", 3)
    sandbox.tick()
    wait_for_all(page, "confirmed", 3)
    sandbox.tick()
    wait_for_all(page, "picked_up", 3)
    screenshot(page, "booking-11-rebooked-collected")
    assert set(Shipment.objects.filter(courier__code="STO").values_list("status", flat=True)) == {"cancelled"}
    assert set(Order.objects.values_list("status", flat=True)) == {"shipped"}
