"""Booking rules: the 30 limit, special goods and coverage, bookable orders, partial failure, cancel, query counts."""

import pytest

from portal.exceptions import Conflict, ValidationFailed
from shipping import services
from shipping.models import Booking, Courier, SandboxParcel, Shipment
from shipping.selectors import courier_options, unbooked_orders

from .conftest import book, make_sender, paid_order

pytestmark = pytest.mark.django_db


def nothing_booked():
    return Booking.objects.count() == 0 and Shipment.objects.count() == 0


def test_more_than_30_orders_are_refused_with_a_clear_message_never_cut(store, sender):
    orders = [paid_order(store) for _ in range(31)]
    with pytest.raises(ValidationFailed) as exc:
        book(store, orders)
    assert exc.value.code == "too_many_orders"
    assert "30" in exc.value.message and "31" in exc.value.message
    assert nothing_booked()


def test_exactly_30_orders_book(store, sender, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders)
    assert booking.shipments.exclude(waybill_no="").count() == 30


@pytest.mark.parametrize(
    ("flags", "courier", "word"),
    [(["frozen"], "ZTO", "冷冻"), (["fresh"], "YTO", "生鲜"), (["bulky"], "SF", "大件"), (["fragile"], "STO", "易碎")],
)
def test_special_goods_need_a_courier_that_carries_them(store, sender, flags, courier, word):
    order = paid_order(store, flags=flags)
    with pytest.raises(ValidationFailed) as exc:
        book(store, [order], courier=courier)
    assert exc.value.code == "courier_refused"
    assert word in exc.value.fields[order.order_sn][0]
    assert nothing_booked()


def test_coverage_refuses_remote_recipients_and_senders(store):
    xinjiang = paid_order(store, province="新疆维吾尔自治区", city="乌鲁木齐市")
    with pytest.raises(ValidationFailed) as exc:
        book(store, [xinjiang], courier="STO", sender=make_sender(store))
    assert "偏远" in exc.value.fields[xinjiang.order_sn][0]
    tibet_sender = make_sender(store, province="西藏自治区", city="拉萨市", label="拉萨仓")
    with pytest.raises(ValidationFailed):
        book(store, [paid_order(store)], courier="JTSD", sender=tibet_sender)
    assert nothing_booked()
    # EMS covers everywhere
    assert book(store, [xinjiang], courier="EMS", sender=tibet_sender).shipments.count() == 1


def test_courier_options_show_refusals_with_the_reason_and_prices_for_the_others(store, sender):
    orders = [paid_order(store, flags=["frozen"]), paid_order(store, province="广东省", city="广州市", weight_g=2500)]
    options = {o.courier.code: o for o in courier_options(orders, sender)}
    assert not options["ZTO"].available and "冷冻" in options["ZTO"].refusal
    assert options["SF"].available and options["JD"].available
    # SF: local first kg 1200; Guangdong is "near" to Zhejiang: 1400 + 2 kg × 400 (1–3 kg rate)
    assert options["SF"].prices == {orders[0].pk: 1200, orders[1].pk: 1400 + 2 * 400}
    assert options["SF"].total == 1200 + 2200
    assert [o.available for o in courier_options(orders, sender)][:2] == [True, True]  # available first


def test_orders_on_risk_hold_unpaid_or_of_another_store_cannot_be_booked(store, other_store, sender):
    held = paid_order(store, risk_hold=True)
    with pytest.raises(Conflict) as exc:
        book(store, [held])
    assert "风控" in exc.value.fields[held.order_sn][0]
    unpaid = paid_order(store)
    from tests.conftest import force_status

    force_status(unpaid, "pending_payment")
    with pytest.raises(Conflict):
        book(store, [unpaid])
    foreign = paid_order(other_store)
    with pytest.raises(ValidationFailed) as exc:
        book(store, [foreign])
    assert exc.value.code == "order_not_found"
    assert nothing_booked()


def test_an_order_is_never_booked_twice(store, sender):
    order = paid_order(store)
    book(store, [order])
    with pytest.raises(Conflict) as exc:
        book(store, [order], courier="SF")
    assert exc.value.code == "already_booked"
    assert Shipment.objects.filter(order=order).count() == 1


def test_orders_that_cannot_be_booked_are_refused_each_with_its_reason_and_the_rest_booked(
    store, sender, merchant, django_capture_on_commit_callbacks
):
    from tests.aftersales.test_actions import request_in
    from tests.conftest import force_status

    ok, cancelled, booked, disputed, held = (paid_order(store) for _ in range(5))
    force_status(cancelled, "cancelled")
    book(store, [booked])
    request_in(disputed, "requested")
    held.risk_hold = True
    held.save(update_fields=["risk_hold"])
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [ok, cancelled, booked, disputed, held], by=merchant)
    assert [s.order_id for s in booking.shipments.all()] == [ok.pk]
    reasons = {sn: r[0] for sn, r in booking.refused.items()}
    assert set(reasons) == {cancelled.order_sn, booked.order_sn, disputed.order_sn, held.order_sn}
    assert "已取消" in reasons[cancelled.order_sn]
    assert "已下单" in reasons[booked.order_sn]
    assert "售后" in reasons[disputed.order_sn]
    assert "风控" in reasons[held.order_sn]
    assert Shipment.objects.filter(order=booked).count() == 1


def test_a_person_without_the_book_action_is_refused_per_order(store, other_store, sender):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(store=other_store).user  # a merchant, but not of this store
    order = paid_order(store)
    with pytest.raises(Conflict) as exc:
        book(store, [order], by=stranger)
    assert exc.value.code == "not_bookable" and exc.value.fields == {order.order_sn: ["当前状态不允许下单"]}
    assert nothing_booked()


def test_a_selection_books_the_bookable_and_lists_the_refused(store, django_capture_on_commit_callbacks):
    from tests.shipping.test_booking_backlog import submit_many

    orders = [paid_order(store) for _ in range(35)]
    book(store, orders[30:])  # the whole second booking of the selection is already booked
    with django_capture_on_commit_callbacks(execute=True):
        bookings = submit_many(store, orders)
    assert len(bookings) == 1 and bookings[0].shipments.count() == 30
    assert set(bookings.refused) == {o.order_sn for o in orders[30:]}


def test_recipient_edits_are_validated(store, sender):
    order = paid_order(store)
    bad = services.BookingLine(order_id=order.pk, recipient_phone="12345", province="火星")
    with pytest.raises(ValidationFailed) as exc:
        book(store, [order], lines=[bad])
    assert len(exc.value.fields[order.order_sn]) == 2
    good = services.BookingLine(
        order_id=order.pk, recipient_name="赵六", weight_g=3100, city="宁波市", district="海曙区"
    )
    shipment = book(store, [order], lines=[good]).shipments.get()
    assert (shipment.recipient_name, shipment.city, shipment.predicted_weight_g) == ("赵六", "宁波市", 3100)
    assert shipment.predicted_price == 500 + 2 * 100 + 1 * 150  # ZTO local: 4 kg


def test_partial_batch_failure_reports_each_order_and_returns_the_failed_to_unbooked(
    store, sender, django_capture_on_commit_callbacks
):
    ok = [paid_order(store) for _ in range(2)]
    out_of_area = paid_order(store, street="某某村 超区 8 号")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [*ok, out_of_area])
    outcomes = {s.order_id: s for s in booking.shipments.all()}
    assert all(outcomes[o.pk].waybill_no and outcomes[o.pk].status == "requested" for o in ok)
    failed = outcomes[out_of_area.pk]
    assert failed.status == "failed" and "超区" in failed.failure_reason
    back = list(unbooked_orders(store))
    assert [o.pk for o in back] == [out_of_area.pk] and "超区" in back[0].last_failure
    assert SandboxParcel.objects.count() == 2
    # dispatching again books nothing twice
    services.booking_dispatch(booking_id=booking.pk)
    assert SandboxParcel.objects.count() == 2


def test_cancel_until_weighed_returns_the_order_and_tells_the_courier(
    store, sender, django_capture_on_commit_callbacks
):
    order = paid_order(store)
    with django_capture_on_commit_callbacks(execute=True):
        shipment = book(store, [order]).shipments.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_cancel(shipment=shipment, by="merchant")
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert SandboxParcel.objects.get(waybill_no=shipment.waybill_no).stage == "cancelled"
    assert [o.pk for o in unbooked_orders(store)] == [order.pk]
    # a weighed parcel: refused, nothing changed
    with django_capture_on_commit_callbacks(execute=True):
        second = book(store, [order]).shipments.get()
    Shipment.objects.filter(pk=second.pk).update(real_weight_g=800)
    with pytest.raises(Conflict):
        services.shipment_cancel(shipment=second, by="merchant")
    assert Shipment.objects.get(pk=second.pk).status == "requested"


@pytest.mark.parametrize("n", [5, 30])
def test_booking_uses_a_constant_number_of_queries(
    store, sender, n, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    orders = [paid_order(store) for _ in range(n)]
    courier = Courier.objects.get(code="ZTO")
    book(store, [paid_order(store)])  # warm caches (content types) outside the measured block
    # 22 for 5 and for 30 orders (SQLite splits the 30-row insert in two; PostgreSQL does not), among them:
    # which courier account (kuaidi100) the booking goes through, the orders' live parcels and open
    # after-sales requests (the book action), this month's volume (the price tier), the merged parcels' members
    with django_assert_max_num_queries(22), django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders, courier=courier, sender=sender)
    assert booking.shipments.exclude(waybill_no="").count() == n


def test_a_courier_outage_leaves_the_booking_to_be_dispatched_by_the_sweep(
    store, sender, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from portal.sweeps import SWEEPS
    from shipping.carriers.sandbox import SandboxAdapter

    def down(self, courier, request):
        raise ConnectionError("courier unreachable")

    time_machine.move_to(timezone.now(), tick=False)
    with monkeypatch.context() as m:
        m.setattr(SandboxAdapter, "book_batch", down)
        with django_capture_on_commit_callbacks(execute=True):
            booking = book(store, [paid_order(store)])  # committed; the failed call is logged, not raised
    assert booking.shipments.get().waybill_no == ""
    assert SWEEPS["shipping.dispatch_pending"]() == 0  # too fresh: its own dispatch may still be running
    time_machine.shift(timedelta(minutes=2))
    assert SWEEPS["shipping.dispatch_pending"]() == 1
    assert booking.shipments.get().waybill_no
    assert SWEEPS["shipping.dispatch_pending"]() == 0
