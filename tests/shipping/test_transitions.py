"""Every shipment transition: allowed from its sources, refused elsewhere with nothing changed."""

import pytest

from portal.exceptions import IllegalTransition
from portal.fsm import transition
from portal.models import AuditEntry
from shipping.models import Shipment, ShipmentStatus
from tests.conftest import force_status

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db

ALL = [s.value for s in ShipmentStatus]
ALLOWED = {
    "confirm": (["requested"], "confirmed"),
    "pick_up": (["requested", "confirmed"], "picked_up"),
    "depart": (["picked_up"], "in_transit"),
    "send_out": (["picked_up", "in_transit"], "out_for_delivery"),
    "sign": (["picked_up", "in_transit", "out_for_delivery", "exception"], "delivered"),
    "fail": (["requested", "confirmed", "picked_up", "in_transit", "out_for_delivery"], "exception"),
    "cancel": (["requested", "confirmed"], "cancelled"),
    "reject": (["requested"], "failed"),
    "return_to_sender": (["picked_up", "in_transit", "out_for_delivery", "exception"], "returned"),
}
CASES = [(name, source, source in sources, target) for name, (sources, target) in ALLOWED.items() for source in ALL]


@pytest.fixture
def shipment(store):
    return book(store, [paid_order(store)]).shipments.get()


@pytest.mark.parametrize(("name", "source", "allowed", "target"), CASES)
def test_transition_table(shipment, name, source, allowed, target):
    force_status(shipment, source)
    audits = AuditEntry.objects.count()
    if allowed:
        transition(shipment, name, by="test")
        shipment.refresh_from_db()
        assert shipment.status == target
        assert AuditEntry.objects.count() == audits + 1
    else:
        with pytest.raises(IllegalTransition):
            transition(shipment, name, by="test")
        assert Shipment.objects.get(pk=shipment.pk).status == source
        assert AuditEntry.objects.count() == audits


def test_a_weighed_parcel_cannot_be_cancelled(shipment):
    force_status(shipment, "confirmed")
    Shipment.objects.filter(pk=shipment.pk).update(real_weight_g=900)
    shipment.refresh_from_db()
    with pytest.raises(IllegalTransition):
        transition(shipment, "cancel", by="test")
    assert Shipment.objects.get(pk=shipment.pk).status == "confirmed"


def test_booking_status_codes_derive_from_the_shipment_status(shipment):
    codes = {}
    for status in ALL:
        force_status(shipment, status)
        codes[status] = shipment.booking_status
    assert codes == {
        "requested": 0, "confirmed": 100, "picked_up": 200, "in_transit": 200, "out_for_delivery": 200,
        "exception": 200, "delivered": 300, "returned": 300, "cancelled": 400, "failed": 400,
    }  # fmt: skip
