"""Volume price tiers (DOMAIN.md "Price estimate … volume tiers"): from N parcels booked with a courier this
month the store's first-kg price drops; the courier choice shows the tier applied and how many more parcels
reach the next one; bookings are priced at the tier; the tiers are the courier's data, edited in the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shipping import selectors
from shipping.models import Courier, Shipment

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db
LOCAL = {"from_province": "浙江省", "to_province": "浙江省"}


@pytest.fixture
def zto():
    zto = Courier.objects.get(code="ZTO")
    zto.volume_tiers = [[3, 50], [5, 100]]
    zto.save(update_fields=["volume_tiers"])
    return zto


def test_the_first_kg_price_drops_at_each_tier_and_the_next_tier_is_named(zto):
    base = zto.price_table["local"][0]
    assert [zto.first_kg_price(**LOCAL, volume=v) for v in (0, 2, 3, 4, 5, 99)] == [
        base, base, base - 50, base - 50, base - 100, base - 100,
    ]  # fmt: skip
    assert zto.price_for(weight_g=2500, **LOCAL, volume=5) == zto.price_for(weight_g=2500, **LOCAL) - 100
    assert [zto.next_tier(v) for v in (0, 3, 4, 5)] == [(3, 50), (2, 100), (1, 100), None]


def test_tiers_are_validated_where_they_are_edited(zto, admin_client):
    for bad in ([[5, 10], [3, 20]], [[3, -1]], [3, 50], [[3, 50, 1]], [[3, 10], [3, 20]]):
        zto.volume_tiers = bad
        with pytest.raises(ValidationError):
            zto.clean()
    zto.volume_tiers = [[3, 50]]
    zto.clean()
    html = admin_client.get(reverse("admin:shipping_courier_change", args=[zto.pk])).content.decode()
    assert 'name="volume_tiers"' in html


def test_the_courier_choice_shows_the_tier_applied_and_how_many_more_reach_the_next(
    merchant_client, store, sender, zto
):
    book(store, [paid_order(store) for _ in range(4)], courier=zto)  # this month: 4 parcels …
    Shipment.objects.filter(pk=Shipment.objects.last().pk).update(status="cancelled")  # … one cancelled: 3
    order = paid_order(store)
    assert selectors.month_volumes(store.pk)[zto.pk] == 3
    html = merchant_client.get(f"{reverse('shipping:booking_courier')}?order={order.pk}").content.decode()
    first = zto.price_table["local"][0]
    assert f"本月已寄 3 单，首重 ¥{(first - 50) / 100:.2f}" in html
    assert f"再寄 2 单可享 ¥{(first - 100) / 100:.2f} 首重" in html
    # and the booking is priced at the tier
    booking = book(store, [order], courier=zto)
    assert booking.shipments.get().predicted_price == zto.price_for(weight_g=800, **LOCAL) - 50
