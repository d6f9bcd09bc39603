"""Who is offered what on a parcel (available_actions): the merchant cancels while it is unweighed, and
nothing else; the POST re-checks it."""

import pytest
from django.urls import reverse

from shipping.models import Shipment, ShipmentStatus
from tests.conftest import force_status
from tests.factories import MembershipFactory
from tests.transition_table import check_actions

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db

STATES = [s.value for s in ShipmentStatus]


@pytest.fixture
def shipment(store, sender):
    return book(store, [paid_order(store)]).shipments.get()


def test_who_is_offered_what_on_a_parcel(shipment, merchant, staff_user):
    table = {
        "requested": {"merchant": {"cancel"}, "staff": {"staff_cancel"}},
        "confirmed": {"merchant": {"cancel"}, "staff": {"staff_cancel"}},
    }
    actors = {"merchant": merchant, "staff": staff_user, "stranger": MembershipFactory().user, "buyer": "buyer:b"}
    check_actions(shipment, table, actors, STATES)


def test_a_weighed_parcel_is_not_offered_for_cancelling(shipment, merchant):
    Shipment.objects.filter(pk=shipment.pk).update(real_weight_g=900)
    check_actions(shipment, {}, {"merchant": merchant}, ["requested", "confirmed"])


def test_posting_cancel_on_a_picked_up_parcel_changes_nothing(merchant_client, shipment):
    force_status(shipment, "picked_up")
    merchant_client.post(reverse("shipping:shipment_action", args=[shipment.pk, "cancel"]))
    assert Shipment.objects.get(pk=shipment.pk).status == "picked_up"


def test_the_parcel_page_offers_cancel_only_while_it_is_cancellable(merchant_client, shipment):
    url = reverse("shipping:shipment_detail", args=[shipment.pk])
    assert 'data-testid="cancel-parcel"' in merchant_client.get(url).content.decode()
    force_status(shipment, "picked_up")
    assert 'data-testid="cancel-parcel"' not in merchant_client.get(url).content.decode()


def test_a_posted_next_is_followed_only_within_the_site(merchant_client, shipment):
    url = reverse("shipping:shipment_action", args=[shipment.pk, "cancel"])
    detail = reverse("shipping:shipment_detail", args=[shipment.pk])
    for evil in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = merchant_client.post(url, {"next": evil})
        assert response.status_code == 302 and response["Location"] == detail, evil
    assert merchant_client.post(url, {"next": "/orders/"})["Location"] == "/orders/"
