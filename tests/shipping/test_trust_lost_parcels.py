"""Issue 10, lost parcels: the sandbox courier's `lost` scenario is flagged to the merchant and the platform."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal import dashboard
from portal.models import Notification
from shipping.carriers import sandbox
from shipping.models import Shipment
from tests.factories import UserFactory

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


def test_a_lost_parcel_is_flagged_to_the_merchant_and_the_platform(
    client, store, merchant, sender, fast_sandbox, django_capture_on_commit_callbacks
):
    # given a parcel booked with the sandbox's `lost` scenario, and one booked normally
    with django_capture_on_commit_callbacks(execute=True):
        lost_booking = book(store, [paid_order(store)], scenario="lost")
        book(store, [paid_order(store)])
    lost = lost_booking.shipments.get()
    # when the courier moves it until it reports it lost in transit
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            sandbox.tick()
    lost.refresh_from_db()
    assert lost.status == "exception" and lost.lost is True
    assert Shipment.objects.filter(lost=True).count() == 1
    # then the merchant is told (inbox) and sees it on the dashboard
    (note,) = Notification.objects.filter(user=merchant, kind="shipment.exception")
    assert note.title == f"包裹遗失：{lost.waybill_no}" and note.url == reverse("shipping:shipment_detail", args=[lost.pk])
    todo = {item.key: item for item in dashboard.todo(store)}
    assert todo["parcels_lost"].count == 1 and todo["parcels_lost"].level == "bad"
    # and support staff see it in the overview and find it with the admin's filter
    support = UserFactory(username="support_lost", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    client.force_login(support)
    overview = {item.key: item for item in dashboard.staff_overview()}
    assert overview["parcels_lost_platform"].count == 1
    listing = client.get(overview["parcels_lost_platform"].url)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1 and lost.waybill_no in listing.content.decode()
    assert 'data-overview="parcels_lost_platform"' in client.get(reverse("admin:index")).content.decode()


def test_a_damaged_parcel_is_an_exception_but_not_lost(
    store, merchant, sender, fast_sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = book(store, [paid_order(store)], scenario="exception").shipments.get()
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            sandbox.tick()
    shipment.refresh_from_db()
    assert shipment.status == "exception" and shipment.lost is False
    (note,) = Notification.objects.filter(kind="shipment.exception")
    assert "遗失" not in note.title
