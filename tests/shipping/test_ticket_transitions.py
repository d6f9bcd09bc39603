"""The platform ticket state machine through `transition`: audit row on success; on refusal nothing changed
(status, audit rows, the resolution and the parcel's status), and who is offered what."""

import pytest
from django.contrib.auth.models import Group

from shipping.models import PlatformTicket, Shipment
from tests.conftest import force_status
from tests.factories import UserFactory
from tests.transition_table import check_actions, check_table

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db

STATES = ["open", "resolved"]


def staff_in(group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def shipment(store, sender):
    return book(store, [paid_order(store)]).shipments.get()


def make_ticket(shipment, state: str) -> PlatformTicket:
    PlatformTicket.objects.filter(shipment=shipment).delete()
    ticket = PlatformTicket.objects.create(store_id=shipment.booking.store_id, shipment=shipment, kind="other")
    force_status(ticket, state)
    return ticket


def test_platform_ticket_transition_table(shipment):
    def untouched(t: PlatformTicket):
        return (
            PlatformTicket.objects.filter(pk=t.pk).values_list("resolution", "resolved_at").get(),
            Shipment.objects.filter(pk=shipment.pk).values_list("status", flat=True).get(),
        )

    check_table(lambda s: make_ticket(shipment, s), {"resolve": ({"open"}, "resolved")}, STATES, unchanged=untouched)


def test_only_support_resolves_a_ticket(shipment, merchant):
    actors = {
        "support": staff_in("support"),
        "reviewer": staff_in("reviewer"),
        "finance": staff_in("finance"),
        "merchant": merchant,
        "system": "system",
    }
    check_actions(make_ticket(shipment, "open"), {"open": {"support": {"resolve"}}}, actors, STATES)
