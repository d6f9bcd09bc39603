"""SLA watch (2 h confirmation, 24 h pickup), re-booking, sandbox scenarios, courier desk, tickets, polling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.exceptions import Conflict, ValidationFailed
from portal.models import Event
from portal.sweeps import SWEEPS
from shipping import services
from shipping.carriers import sandbox
from shipping.models import Courier, PlatformTicket, Shipment
from shipping.selectors import overdue_shipment_count, unanswered_message_count

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(store, sender, django_capture_on_commit_callbacks):
    def make(courier="ZTO", n=2, scenario=""):
        with django_capture_on_commit_callbacks(execute=True):
            return book(store, [paid_order(store) for _ in range(n)], courier=courier, scenario=scenario)

    return make


def sweep(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return SWEEPS["shipping.sla_watch"]()


def test_confirmation_later_than_2_hours_alerts_once_and_marks_overdue(
    store, booked, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    booking = booked(scenario="late_confirm")
    time_machine.shift(timedelta(hours=1, minutes=59))
    assert sweep(django_capture_on_commit_callbacks) == 0
    time_machine.shift(timedelta(minutes=2))
    assert all(s.is_confirm_late for s in booking.shipments.all())  # from the clock, before the sweep
    assert sweep(django_capture_on_commit_callbacks) == 2
    assert sweep(django_capture_on_commit_callbacks) == 0  # idempotent
    assert set(booking.shipments.values_list("confirm_overdue", flat=True)) == {True}
    events = Event.objects.filter(type="shipment.sla_breached")
    assert events.count() == 1 and events.get().payload["data"]["kind"] == "confirm_overdue"
    assert overdue_shipment_count(store) == 2
    # the late courier still confirms afterwards (2 h 30 min): the flag stays as a record
    time_machine.shift(timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()
    assert set(booking.shipments.values_list("status", "confirm_overdue")) == {("confirmed", True)}


def test_pickup_later_than_24_hours_alerts_and_one_click_rebooks_with_another_courier(
    store, booked, time_machine, fast_sandbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    Courier.objects.filter(code="STO").update(sandbox_scenario="miss_pickup")
    booking = booked(courier="STO")
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()  # confirms
        sandbox.tick()  # ... and never collects
    assert set(booking.shipments.values_list("status", flat=True)) == {"confirmed"}
    time_machine.shift(timedelta(hours=23, minutes=59))
    assert sweep(django_capture_on_commit_callbacks) == 0
    time_machine.shift(timedelta(minutes=2))
    assert sweep(django_capture_on_commit_callbacks) == 2
    assert Event.objects.filter(type="shipment.sla_breached").get().payload["data"]["kind"] == "pickup_overdue"
    old = list(booking.shipments.order_by("id"))
    assert all(s.pickup_overdue and s.is_overdue for s in old)
    # when: re-book with YTO
    with django_capture_on_commit_callbacks(execute=True):
        new = services.booking_rebook(booking=booking, courier=Courier.objects.get(code="YTO"), by="merchant")
    # then the first is cancelled (and told), the new one is dispatched, the orders are booked once
    for s in old:
        s.refresh_from_db()
        assert s.status == "cancelled" and s.replaced_by.booking_id == new.pk
    assert new.rebooked_from_id == booking.pk and new.courier.code == "YTO"
    assert all(s.waybill_no.startswith("YT") for s in new.shipments.all())
    assert Shipment.objects.filter(status__in=["requested", "confirmed"]).count() == 2
    from shipping.models import SandboxParcel

    assert set(SandboxParcel.objects.filter(courier_code="STO").values_list("stage", flat=True)) == {"cancelled"}
    # and the new courier collects: the orders ship
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()
        sandbox.tick()
    assert {s.order.status for s in new.shipments.select_related("order")} == {"shipped"}


def test_rebooking_refuses_the_same_courier_incapable_couriers_and_collected_parcels(
    store, sender, booked, django_capture_on_commit_callbacks, fast_sandbox
):
    booking = booked(courier="ZTO")
    with pytest.raises(ValidationFailed):
        services.booking_rebook(booking=booking, courier=Courier.objects.get(code="ZTO"), by="m")
    with django_capture_on_commit_callbacks(execute=True):
        frozen = book(store, [paid_order(store, flags=["frozen"])], courier="SF")
    with pytest.raises(ValidationFailed) as exc:
        services.booking_rebook(booking=frozen, courier=Courier.objects.get(code="ZTO"), by="m")
    assert exc.value.code == "courier_refused"
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()
        sandbox.tick()  # collected
    with pytest.raises(Conflict):
        services.booking_rebook(booking=booking, courier=Courier.objects.get(code="SF"), by="m")
    assert Shipment.objects.filter(status="cancelled").count() == 0


@pytest.mark.parametrize(("scenario", "ticks", "last_action"), [("exception", 3, "FAIL"), ("lost", 4, "FAIL")])
def test_exception_and_lost_scenarios_raise_an_exception(
    store, booked, fast_sandbox, django_capture_on_commit_callbacks, scenario, ticks, last_action
):
    booking = booked(n=1, scenario=scenario)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(ticks + 2):
            sandbox.tick()
    shipment = booking.shipments.get()
    assert shipment.status == "exception"
    assert shipment.events.last().action == last_action
    assert Event.objects.filter(type="shipment.exception").exists()
    assert shipment.order.status == "shipped"


def test_couriers_without_webhooks_are_polled(store, booked, fast_sandbox, django_capture_on_commit_callbacks):
    booking = booked(courier="EMS", n=1)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()  # the courier confirms on its side only: nothing pushed
    shipment = booking.shipments.get()
    assert shipment.status == "requested"
    with django_capture_on_commit_callbacks(execute=True):
        assert SWEEPS["shipping.poll_tracking"]() == 1
        assert services.shipments_poll() == 0  # already seen
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"


def test_the_courier_desk_answers_questions(store, booked, fast_sandbox, django_capture_on_commit_callbacks):
    shipment = booked(n=1).shipments.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.courier_message_send(shipment=shipment, topic="pickup_delay", body="什么时候来揽收？", by="m")
    assert unanswered_message_count(store) == 1
    with pytest.raises(ValidationFailed):
        services.courier_message_send(shipment=shipment, topic="other", body="  ", by="m")
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.tick()
    assert unanswered_message_count(store) == 0
    reply = shipment.messages.get(sender="courier")
    assert reply.topic == "pickup_delay" and "揽收" in reply.body
    assert Event.objects.filter(type="courier.message").exists()


def test_a_ticket_is_reported_once_and_resolved_by_staff(store, booked, staff_user):
    shipment = booked(n=1).shipments.get()
    ticket = services.ticket_report(shipment=shipment, kind="pickup_missed", description="超过 24 小时未揽收", by="m")
    assert services.ticket_report(shipment=shipment, kind="pickup_missed", description="again", by="m") == ticket
    services.ticket_resolve(ticket=ticket, resolution="已督促快递，并补偿商家", by=staff_user)
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolved_at
    assert PlatformTicket.objects.count() == 1


def test_polling_takes_the_least_recently_polled_parcels_first(store, booked, fast_sandbox, monkeypatch, time_machine):
    # given three live parcels of a courier without webhooks
    time_machine.move_to(timezone.now(), tick=False)
    booking = booked(courier="EMS", n=3)
    asked: list[str] = []
    from shipping.carriers import registry

    class Recorder:
        def track(self, courier, *, waybill_no):
            asked.append(waybill_no)
            return []

    monkeypatch.setattr(registry, "adapter_for", lambda courier: Recorder())
    monkeypatch.setattr(services.courier_reports, "adapter_for", lambda courier: Recorder())
    waybills = sorted(booking.shipments.values_list("waybill_no", flat=True))
    # when the sweep polls two at a time: the never-polled first, and none again within the re-poll interval
    services.shipments_poll(limit=2)
    services.shipments_poll(limit=2)
    assert sorted(asked) == waybills
    services.shipments_poll(limit=2)
    assert len(asked) == 3
    # then, the interval over, the two least recently polled are asked again
    time_machine.shift(timedelta(minutes=30))
    services.shipments_poll(limit=2)
    assert sorted(asked[3:]) == sorted(asked[:2])


def test_an_idle_poll_is_two_index_reads_per_polling_courier(
    store, booked, fast_sandbox, time_machine, django_assert_num_queries
):
    time_machine.move_to(timezone.now(), tick=False)
    booked(courier="EMS", n=2)
    booked(courier="ZTO", n=2)  # pushes webhooks: never polled
    services.shipments_poll()
    time_machine.shift(timedelta(minutes=29))
    polling = Courier.objects.filter(pushes_webhooks=False).count()
    with django_assert_num_queries(1 + 2 * polling):  # the couriers, then nothing due for each
        assert services.shipments_poll() == 0
