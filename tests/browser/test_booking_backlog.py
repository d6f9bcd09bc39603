"""Issue 13 in Chromium: a backlog of 75 orders booked as three bookings (30, 30, 15) from one selection,
the selected labels printed, two orders to one buyer merged into one parcel, and a late parcel re-booked
from its own page; the booking pages at 390 px."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shipping.models import Booking, Shipment
from tests.browser.conftest import login
from tests.shipping.conftest import make_sender, paid_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_book_a_backlog_print_selected_labels_merge_and_rebook_a_late_parcel(
    page, live_server, merchant, store, screenshot, time_machine
):
    make_sender(store)
    orders = [paid_order(store, street=f"文三路 {i + 1} 号") for i in range(75)]
    login(page, live_server, merchant.username)
    page.goto(f"{live_server.url}/shipping/booking/")
    assert page.locator("[data-testid=unbooked-row]").count() == 50
    assert page.locator("[data-testid=next-page]").is_visible()
    # one selection across pages: select all 75 matching
    page.click("[data-testid=select-matching]")
    page.wait_for_selector("text=已选择全部 75 单")
    assert page.inner_text("[data-testid=selected-count]") == "75"
    assert "3 批" in page.inner_text("[data-testid=selected-batches]")
    screenshot(page, "booking-backlog-1-select-all-75")
    page.click("[data-testid=book-selected]")
    page.wait_for_selector("[data-testid=courier-options]")
    assert "3 批" in page.inner_text("[data-testid=courier-summary]")
    assert page.locator("[data-testid=on-time]").count() > 0
    page.click(".courier-card[data-courier=ZTO]")
    screenshot(page, "booking-backlog-2-courier")
    page.click("[data-testid=choose-courier]")
    page.wait_for_selector("[data-testid=review-booking]")
    assert [int(x) for x in page.eval_on_selector_all("[data-testid=review-booking]", "els => els.map(e => e.dataset.count)")] == [30, 30, 15]
    screenshot(page, "booking-backlog-3-confirm")
    page.click("[data-testid=submit-booking]")
    page.wait_for_selector("[data-testid=group-booking]")
    counts = page.eval_on_selector_all("[data-testid=group-booking]", "els => els.map(e => e.dataset.count)")
    assert [int(c) for c in counts] == [30, 30, 15]
    bookings = list(Booking.objects.order_by("id"))
    assert len(bookings) == 3 and len({b.group_no for b in bookings}) == 1
    assert {s.order_id for s in Shipment.objects.all()} == {o.pk for o in orders}
    screenshot(page, "booking-backlog-4-three-bookings")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "booking-backlog-4b-three-bookings-390px")
    page.set_viewport_size({"width": 1360, "height": 900})

    # print only two selected labels of the first booking
    first = bookings[0]
    page.goto(f"{live_server.url}/shipping/bookings/{first.booking_no}/labels/")
    page.wait_for_selector("[data-testid=label]")
    page.check("#labels-all")
    page.uncheck("#labels-all")
    picks = page.locator("input.label-pick")
    picks.nth(0).check()
    picks.nth(1).check()
    page.click("[data-testid=print-selected]")
    page.wait_for_selector("[data-testid=print]")
    assert page.locator("[data-testid=label]").count() == 2
    assert Shipment.objects.filter(label_printed_at__isnull=False).count() == 2
    screenshot(page, "booking-backlog-5-print-selected")
    page.goto(f"{live_server.url}/shipping/bookings/{first.booking_no}/labels/")
    assert page.locator("[data-testid=printed]").count() == 2

    # two orders to one buyer: offered as one parcel, merged, one waybill
    a = paid_order(store, street="学院路 8 号")
    b = paid_order(store, street="学院路 8 号")
    a.buyer_note = "放门卫处"
    a.save(update_fields=["buyer_note"])
    page.goto(f"{live_server.url}/shipping/booking/")
    assert page.locator("[data-testid=mergeable]").count() == 2
    assert page.locator("[data-testid=buyer-note]").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "booking-backlog-6-unbooked-390px")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.check("[data-testid=select-all]")
    page.click("[data-testid=book-selected]")
    page.click(".courier-card[data-courier=ZTO]")
    page.click("[data-testid=choose-courier]")
    page.wait_for_selector("[data-testid=merge-offers]")
    page.check("[data-testid=merge-offer]")
    page.click("[data-testid=apply-merge]")
    page.wait_for_selector("[data-testid=merged-badge]")
    assert page.locator("[data-testid=merged-badge]").count() == 2
    assert "放门卫处" in page.inner_text("[data-testid=confirm-lines]")
    screenshot(page, "booking-backlog-7-merge")
    page.click("[data-testid=submit-booking]")
    page.wait_for_selector("[data-testid=progress]")
    lead, member = Shipment.objects.get(order=a), Shipment.objects.get(order=b)
    assert member.parcel_lead_id == lead.pk and lead.waybill_no and member.waybill_no == lead.waybill_no
    page.goto(f"{live_server.url}/shop/orders/{b.order_sn}/")
    assert a.order_sn in page.inner_text("[data-testid=shared-parcel]")
    screenshot(page, "booking-backlog-8-order-shared-parcel")

    # three hours later nobody accepted it: re-book the late parcel from its own page
    time_machine.move_to(timezone.now() + timedelta(hours=3), tick=True)
    page.goto(f"{live_server.url}/shipping/shipments/{lead.pk}/")
    assert page.locator("[data-testid=parcel-rebook]").is_visible()
    assert page.eval_on_selector("[data-testid=ticket-kind]", "e => e.value") == "confirm_late"
    screenshot(page, "booking-backlog-9-late-parcel")
    page.click("[data-testid=rebook-parcel]")
    page.wait_for_selector("text=已改派")
    lead.refresh_from_db()
    member.refresh_from_db()
    assert lead.status == member.status == "cancelled"
    assert lead.replaced_by is not None and page.url.endswith(f"/shipping/shipments/{lead.replaced_by_id}/")
    assert Shipment.objects.get(pk=member.replaced_by_id).parcel_lead_id == lead.replaced_by_id
    screenshot(page, "booking-backlog-10-rebooked")
