"""Issue 13 · book any backlog: filters and keyset pages of 未下单, the server-side selection, consecutive
bookings of at most 30 from one confirmation, partial failures, the read-only review with an edit per row."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import ValidationFailed
from shipping import selectors, services
from shipping.carriers.sandbox import OUT_OF_AREA_MARK
from shipping.models import Booking, Courier, Shipment

from .conftest import make_sender, paid_order

pytestmark = pytest.mark.django_db


def submit_many(store, orders, *, courier="ZTO", sender=None):
    courier = Courier.objects.get(code=courier)
    sender = sender or make_sender(store)
    day, _label, slots = selectors.pickup_days(courier)[0]
    return services.booking_submit_many(
        store=store,
        courier=courier,
        sender=sender,
        pickup_date=day,
        pickup_slot=slots[0],
        lines=[services.BookingLine(order_id=o.pk) for o in orders],
        by="merchant",
    )


def test_75_orders_become_three_bookings_of_30_30_15_sharing_one_group(store, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(75)]
    with django_capture_on_commit_callbacks(execute=True):
        bookings = submit_many(store, orders)
    assert [b.shipments.count() for b in bookings] == [30, 30, 15]
    assert len({b.booking_no for b in bookings}) == 3
    assert len({b.group_no for b in bookings}) == 1 and bookings[0].group_no.startswith("BG")
    # consecutive, in the given (ship-by) order
    assert list(bookings[0].shipments.order_by("id").values_list("order_id", flat=True)) == [o.pk for o in orders[:30]]
    assert Shipment.objects.exclude(waybill_no="").count() == 75


def test_one_refused_order_books_nothing_and_names_it(store):
    orders = [paid_order(store) for _ in range(40)]
    frozen = paid_order(store, flags=["frozen"])
    with pytest.raises(ValidationFailed) as exc:
        submit_many(store, [*orders, frozen], courier="ZTO")
    assert list(exc.value.fields) == [frozen.order_sn]
    assert Booking.objects.count() == 0 and Shipment.objects.count() == 0


def test_courier_refusals_at_dispatch_return_those_orders_to_unbooked_with_the_reason(
    store, django_capture_on_commit_callbacks
):
    orders = [paid_order(store) for _ in range(33)]
    far = paid_order(store, street=f"{OUT_OF_AREA_MARK}村 1 号")
    with django_capture_on_commit_callbacks(execute=True):
        bookings = submit_many(store, [*orders, far])
    assert len(bookings) == 2
    failed = Shipment.objects.get(order=far)
    assert failed.status == "failed" and "超区" in failed.failure_reason
    back = list(selectors.unbooked_orders(store))
    assert [o.pk for o in back] == [far.pk] and "超区" in back[0].last_failure


def test_query_count_per_booking_is_constant(store, django_capture_on_commit_callbacks):
    sender = make_sender(store)
    small = [paid_order(store) for _ in range(30)]
    big = [paid_order(store) for _ in range(90)]
    with CaptureQueriesContext(connection) as one, django_capture_on_commit_callbacks(execute=False):
        submit_many(store, small, sender=sender)
    with CaptureQueriesContext(connection) as three, django_capture_on_commit_callbacks(execute=False):
        submit_many(store, big, sender=sender)
    per_booking = len(one.captured_queries)
    assert per_booking <= 30
    assert len(three.captured_queries) <= 3 * per_booking + 2


def test_selection_larger_than_the_submission_limit_is_refused(store, settings):
    settings.SHIPPING_SELECTION_LIMIT = 40
    orders = [paid_order(store) for _ in range(41)]
    with pytest.raises(ValidationFailed) as exc:
        submit_many(store, orders)
    assert exc.value.code == "selection_too_large"


# --- 未下单: filters and keyset pages ------------------------------------------------------------------
def test_filters_narrow_the_backlog(store):
    now = timezone.now()
    plain = paid_order(store)
    noted = paid_order(store)
    noted.buyer_note = "放门卫处"
    noted.save(update_fields=["buyer_note"])
    canton = paid_order(store, province="广东省", city="广州市")
    fragile = paid_order(store, flags=["fragile"])
    late = paid_order(store)
    late.ship_by = now - timedelta(hours=1)
    late.save(update_fields=["ship_by"])
    F = selectors.BacklogFilters

    def ids(**kw):
        return {o.pk for o in selectors.unbooked_filtered(store, F(**kw))}

    assert ids() == {plain.pk, noted.pk, canton.pk, fragile.pk, late.pk}
    assert ids(note=True) == {noted.pk}
    assert ids(province="广东省") == {canton.pk}
    assert ids(special="fragile") == {fragile.pk} == ids(special="any")
    assert ids(urgency="overdue") == {late.pk}
    title = fragile.items.get().product_title
    assert fragile.pk in ids(product=title[:4])
    assert F.from_query({"urgency": "bogus", "note": "1"}) == F(note=True)


def test_last_booking_failed_filter(store, django_capture_on_commit_callbacks):
    ok = paid_order(store)
    far = paid_order(store, street=f"{OUT_OF_AREA_MARK} 2 号")
    with django_capture_on_commit_callbacks(execute=True):
        submit_many(store, [far])
    assert {o.pk for o in selectors.unbooked_filtered(store, selectors.BacklogFilters(failed=True))} == {far.pk}
    assert ok.pk in {o.pk for o in selectors.unbooked_filtered(store, selectors.BacklogFilters())}


def test_keyset_pages_walk_the_backlog_by_ship_by_both_ways(store):
    base = timezone.now() + timedelta(hours=5)
    orders = []
    for i in range(7):
        o = paid_order(store)
        o.ship_by = base + timedelta(minutes=i // 2)  # ties on ship-by: the id breaks them
        o.save(update_fields=["ship_by"])
        orders.append(o)
    qs = selectors.unbooked_filtered(store, selectors.BacklogFilters())
    seen, after = [], None
    for _ in range(4):
        page = selectors.backlog_page(qs, size=3, after=after)
        seen += [o.pk for o in page]
        after = page.next_cursor
        if not after:
            break
    assert seen == [o.pk for o in orders]
    last = selectors.backlog_page(qs, size=3, after=selectors.backlog_page(qs, size=3).next_cursor)
    back = selectors.backlog_page(qs, size=3, before=last.prev_cursor)
    assert [o.pk for o in back] == [o.pk for o in orders[:3]] and back.prev_cursor is None


# --- pages -----------------------------------------------------------------------------------------------
def test_select_all_matching_across_pages_then_one_confirmation_books_three_bookings(
    merchant_client, store, django_capture_on_commit_callbacks
):
    make_sender(store)
    orders = [paid_order(store) for _ in range(75)]
    held = paid_order(store, risk_hold=True)
    html = merchant_client.get(reverse("shipping:booking_centre")).content.decode()
    assert html.count('data-testid="unbooked-row"') == 50 and 'data-testid="next-page"' in html
    assert "选择全部 75 单" in html
    response = merchant_client.post(reverse("shipping:booking_select"), {"op": "all", "next": "/shipping/booking/"})
    assert response.status_code == 302
    response = merchant_client.post(reverse("shipping:booking_select"), {"op": "book"})
    assert response.url == reverse("shipping:booking_courier") + "?sel=1"
    html = merchant_client.get(response.url).content.decode()
    assert "将分 3 批下单" in html
    confirm_url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&sel=1"
    html = merchant_client.get(confirm_url).content.decode()
    assert html.count('data-testid="review-booking"') == 3 and html.count('data-testid="review-row"') == 75
    assert held.order_sn not in html
    day, _l, slots = selectors.pickup_days(Courier.objects.get(code="ZTO"))[0]
    sender = selectors.default_sender(store)
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(confirm_url, {"sender": sender.pk, "pickup": f"{day.isoformat()}|{slots[0]}"})
    assert response.status_code == 302, response.content.decode()[:2000]
    bookings = list(Booking.objects.order_by("id"))
    assert [b.shipments.count() for b in bookings] == [30, 30, 15]
    assert response.url == reverse("shipping:booking_group", args=[bookings[0].group_no])
    html = merchant_client.get(response.url).content.decode()
    assert html.count('data-testid="group-booking"') == 3 and html.count('data-testid="group-shipment"') == 75
    assert all(b.booking_no in html for b in bookings)
    # the selection is gone once booked
    assert 'data-testid="selected-count">0<' in merchant_client.get(reverse("shipping:booking_centre")).content.decode()
    assert {s.order_id for s in Shipment.objects.all()} == {o.pk for o in orders}


def test_ticks_on_a_page_are_kept_and_unticks_dropped(merchant_client, store):
    a, b, c = (paid_order(store) for _ in range(3))
    url = reverse("shipping:booking_select")
    page = [o.pk for o in (a, b, c)]
    merchant_client.post(url, {"op": "add", "order": [a.pk, b.pk], "page_order": page})
    assert merchant_client.session[f"booking_selection:{store.pk}"] == [a.pk, b.pk]
    merchant_client.post(url, {"op": "add", "order": [b.pk], "page_order": page})
    session = merchant_client.session
    assert session[f"booking_selection:{store.pk}"] == [b.pk]


def test_unbooked_page_queries_do_not_grow_with_the_backlog(merchant_client, store, django_assert_max_num_queries):
    for _ in range(5):
        paid_order(store)
    merchant_client.get(reverse("shipping:booking_centre"))  # the session learns the store
    with django_assert_max_num_queries(10):
        merchant_client.get(reverse("shipping:booking_centre"))
    for _ in range(60):
        paid_order(store)
    with django_assert_max_num_queries(10):
        html = merchant_client.get(reverse("shipping:booking_centre") + "?note=1&province=浙江省").content.decode()
    assert "没有符合条件的订单" in html


def test_review_table_shows_full_phone_address_note_products_and_totals(merchant_client, store):
    sender = make_sender(store)
    order = paid_order(store, street="文一西路 969 号 3 幢 1201 室")
    order.buyer_note = "放门卫处"
    order.save(update_fields=["buyer_note"])
    html = merchant_client.get(f"{reverse('shipping:booking_confirm')}?courier=ZTO&order={order.pk}").content.decode()
    assert order.recipient_phone in html  # the full phone, not masked
    assert "浙江省杭州市西湖区文一西路 969 号 3 幢 1201 室" in html
    assert "放门卫处" in html and order.items.get().product_title in html
    assert sender.full_address in html and 'data-testid="booking-total"' in html
    assert 'name="line-0-recipient_name"' not in html  # read-only: no editable inputs on the review


def test_edit_action_per_row_changes_what_is_booked(merchant_client, store, django_capture_on_commit_callbacks):
    sender = make_sender(store)
    order = paid_order(store)
    other = paid_order(store)
    merchant_client.post(reverse("shipping:booking_select"), {"op": "book", "order": [order.pk, other.pk]})
    confirm_url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&sel=1"
    edit = reverse("shipping:booking_line_edit", args=[order.pk]) + "?next=" + confirm_url.replace("&", "%26")
    assert merchant_client.get(edit).status_code == 200
    data = {
        "order_id": order.pk, "weight_g": 2500, "recipient_name": "门卫室", "recipient_phone": "13900009999",
        "province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路 1 号",
    }  # fmt: skip
    bad = merchant_client.post(edit, {**data, "recipient_phone": "12"})
    assert bad.status_code == 400
    response = merchant_client.post(edit, data)
    assert response.status_code == 302 and response.url == confirm_url
    html = merchant_client.get(confirm_url).content.decode()
    assert "门卫室" in html and "13900009999" in html and "已修改" in html
    day, _l, slots = selectors.pickup_days(Courier.objects.get(code="ZTO"))[0]
    with django_capture_on_commit_callbacks(execute=False):
        merchant_client.post(confirm_url, {"sender": sender.pk, "pickup": f"{day.isoformat()}|{slots[0]}"})
    shipment = Shipment.objects.get(order=order)
    assert (shipment.recipient_name, shipment.recipient_phone, shipment.predicted_weight_g) == (
        "门卫室", "13900009999", 2500
    )  # fmt: skip
    assert Shipment.objects.get(order=other).recipient_name == other.recipient_name


def test_pickup_slot_after_the_24_hour_promise_is_warned(store, time_machine):
    time_machine.move_to(timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0)), tick=False)
    day = timezone.localdate()
    assert selectors.pickup_promise_conflict(pickup_date=day + timedelta(days=1), pickup_slot="14:00-18:00")
    assert not selectors.pickup_promise_conflict(pickup_date=day + timedelta(days=1), pickup_slot="09:00-10:00")
    assert not selectors.pickup_promise_conflict(pickup_date=day, pickup_slot="14:00-18:00")


def _book_selection_through_the_page(client, store, n, capture_on_commit):
    """Select all `n` waiting orders, open the confirmation and submit it (dispatch to the sandbox included)."""
    [paid_order(store) for _ in range(n)]
    client.post(reverse("shipping:booking_select"), {"op": "all", "next": "/shipping/booking/"})
    confirm_url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&sel=1"
    day, _l, slots = selectors.pickup_days(Courier.objects.get(code="ZTO"))[0]
    data = {"sender": selectors.default_sender(store).pk, "pickup": f"{day.isoformat()}|{slots[0]}"}
    with CaptureQueriesContext(connection) as queries, capture_on_commit(execute=True):
        response = client.post(confirm_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries.captured_queries)


def test_booking_300_orders_through_the_confirmation_costs_the_same_queries_per_booking_as_30(
    merchant_client, store, django_capture_on_commit_callbacks
):
    make_sender(store)
    q30 = _book_selection_through_the_page(merchant_client, store, 30, django_capture_on_commit_callbacks)
    q300 = _book_selection_through_the_page(merchant_client, store, 300, django_capture_on_commit_callbacks)
    assert Booking.objects.count() == 11 and Shipment.objects.exclude(waybill_no="").count() == 330
    per_booking = (q300 - q30) / 9  # the nine more bookings of 30, the page's own queries taken out
    assert per_booking <= 30, (q30, q300)
    assert q300 <= 10 * q30, (q30, q300)  # queries(300) ≈ 10 × queries(30): nothing grows per order


def test_an_order_cancelled_after_the_selection_is_left_out_and_named_on_the_page(
    merchant_client, store, django_capture_on_commit_callbacks
):
    from tests.conftest import force_status

    make_sender(store)
    kept, gone = paid_order(store), paid_order(store)
    merchant_client.post(reverse("shipping:booking_select"), {"op": "all", "next": "/shipping/booking/"})
    confirm_url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&sel=1"
    day, _l, slots = selectors.pickup_days(Courier.objects.get(code="ZTO"))[0]
    data = {"sender": selectors.default_sender(store).pk, "pickup": f"{day.isoformat()}|{slots[0]}"}
    assert gone.order_sn in merchant_client.get(confirm_url).content.decode()
    force_status(gone, "cancelled")  # the buyer cancels while the merchant reads the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(confirm_url, data, follow=True)
    html = response.content.decode()
    assert f"1 单未下单：{gone.order_sn}：订单状态为“已取消”" in html
    assert [s.order_id for s in Shipment.objects.all()] == [kept.pk]
