"""The order's whole story and the double-shipping rules (issue 9): a booked parcel rules out self-ship,
plain cancel and re-ship; a waybill of another live order is refused unless shipped together (合并发货);
an order in after-sales is not re-shipped. Each rule at service level, through the API and the page."""

import pytest
from django.urls import reverse

from aftersales.services import aftersales_open
from portal.exceptions import Conflict
from portal.models import AuditEntry
from shipping import services
from shipping.models import Shipment
from shop.models import Order
from shop.services.orders import order_cancel, order_reship, order_ship
from tests.aftersales.conftest import make_order
from tests.conftest import force_status

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db

WAYBILL = "SF1234567890123"


def booked(store):
    """A paid order booked online: its parcel awaits pickup (待揽收) with the courier's waybill."""
    order = paid_order(store)
    shipment = book(store, [order]).shipments.get()
    services.booking_dispatch(booking_id=shipment.booking_id)
    shipment.refresh_from_db()
    assert shipment.waybill_no
    return order, shipment


def snapshot(order, shipment=None):
    order.refresh_from_db()
    parcel = Shipment.objects.get(pk=shipment.pk).status if shipment else None
    return order.status, order.waybill_no, parcel, AuditEntry.objects.count()


def shipped(store, *, waybill=WAYBILL, **fields):
    order = make_order(store, status="shipped", **fields)
    Order.objects.filter(pk=order.pk).update(courier_code="SF", waybill_no=waybill, shipped_via="self")
    order.refresh_from_db()
    return order


# --- a live booked parcel: no self-ship, no plain cancel -------------------------------------------------


def test_self_ship_beside_a_live_booked_parcel_is_refused_and_changes_nothing(store, merchant, sender):
    order, shipment = booked(store)
    before = snapshot(order, shipment)
    with pytest.raises(Conflict) as refused:
        order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    assert refused.value.code == "parcel_booked"
    assert shipment.booking.booking_no in refused.value.message
    assert snapshot(order, shipment) == before


def test_a_merchants_plain_cancel_beside_a_live_booked_parcel_is_refused(store, merchant, sender):
    order, shipment = booked(store)
    before = snapshot(order, shipment)
    with pytest.raises(Conflict) as refused:
        order_cancel(order=order, reason="缺货", by=merchant)
    assert refused.value.code == "parcel_booked"
    assert snapshot(order, shipment) == before


def test_after_cancelling_the_parcel_explicitly_the_merchant_may_self_ship(
    store, merchant, sender, django_capture_on_commit_callbacks
):
    order, shipment = booked(store)
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_cancel(shipment=shipment, by=merchant)
    order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    order.refresh_from_db()
    assert (order.status, order.waybill_no, order.shipped_via) == ("shipped", WAYBILL, "self")


def test_the_api_refuses_self_ship_beside_a_booked_parcel_with_409_naming_it(api, store, sender):
    order, shipment = booked(store)
    response = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": WAYBILL}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "parcel_booked" and shipment.booking.booking_no in error["message"]
    order.refresh_from_db()
    assert order.status == "paid" and not order.waybill_no


def test_the_order_page_shows_the_parcel_and_offers_neither_self_ship_nor_cancel(merchant_client, store, sender):
    order, shipment = booked(store)
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert f'data-testid="parcel-{shipment.pk}"' in html and shipment.waybill_no in html
    assert reverse("shipping:shipment_detail", args=[shipment.pk]) in html
    assert 'data-testid="parcel-booked"' in html
    assert 'data-testid="ship-card"' not in html and 'data-testid="cancel-card"' not in html


def test_posting_self_ship_on_the_page_beside_a_booked_parcel_changes_nothing(merchant_client, store, sender):
    order, shipment = booked(store)
    before = snapshot(order, shipment)
    response = merchant_client.post(
        reverse("shop:order_ship", args=[order.order_sn]), {"courier_code": "SF", "waybill_no": WAYBILL}
    )
    assert response.status_code == 400
    assert snapshot(order, shipment) == before


def test_a_paid_order_without_a_parcel_offers_self_ship_booking_and_cancel(merchant_client, store):
    order = paid_order(store)
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert 'data-testid="ship-card"' in html and 'data-testid="cancel-card"' in html
    assert reverse("shipping:booking_centre") in html


# --- the same waybill on two orders -------------------------------------------------------------------


def test_a_waybill_of_another_stores_live_order_is_refused(store, merchant, other_store):
    shipped(other_store)
    order = paid_order(store)
    before = snapshot(order)
    with pytest.raises(Conflict) as refused:
        order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    assert refused.value.code == "waybill_in_use"
    assert snapshot(order) == before


def test_a_waybill_of_the_same_stores_order_to_another_recipient_is_refused(store, merchant):
    shipped(store, recipient_name="王五")
    order = paid_order(store)
    with pytest.raises(Conflict) as refused:
        order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    assert refused.value.code == "waybill_in_use"


def test_shipping_the_same_recipient_and_address_together_may_share_a_waybill(store, merchant):
    first = shipped(store)
    order = paid_order(store)
    assert (order.recipient_name, order.street) == (first.recipient_name, first.street)
    order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    order.refresh_from_db()
    assert order.status == "shipped" and order.waybill_no == WAYBILL


def test_a_waybill_of_another_orders_booked_parcel_is_refused(store, merchant, sender):
    _booked, shipment = booked(store)
    order = paid_order(store, city="广州市", province="广东省")
    with pytest.raises(Conflict) as refused:
        order_ship(order=order, courier_code="ZTO", waybill_no=shipment.waybill_no, by=merchant)
    assert refused.value.code == "waybill_in_use"
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_a_waybill_of_a_completed_order_is_no_longer_in_use(store, merchant, other_store):
    force_status(shipped(other_store), "completed")
    order = paid_order(store)
    order_ship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_re_shipping_onto_another_orders_waybill_is_refused(store, merchant, other_store):
    shipped(other_store)
    order = shipped(store, waybill="SF9999999999999", recipient_name="赵六")
    with pytest.raises(Conflict) as refused:
        order_reship(order=order, courier_code="SF", waybill_no=WAYBILL, by=merchant)
    assert refused.value.code == "waybill_in_use"
    assert Order.objects.get(pk=order.pk).waybill_no == "SF9999999999999"


def test_the_api_refuses_a_waybill_in_use_with_409(api, store, other_store):
    shipped(other_store)
    order = paid_order(store)
    response = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": WAYBILL}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "waybill_in_use"
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_the_page_shows_a_waybill_in_use_on_the_form(merchant_client, store, other_store):
    shipped(other_store)
    order = paid_order(store)
    response = merchant_client.post(
        reverse("shop:order_ship", args=[order.order_sn]), {"courier_code": "SF", "waybill_no": WAYBILL}
    )
    assert response.status_code == 400 and "已用于其他订单" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == "paid"


# --- an order in after-sales ----------------------------------------------------------------------------


def open_request(order):
    item = order.items.get()
    return aftersales_open(
        order=order, item_id=item.pk, buyer_ref=order.buyer_ref, type="refund_only",
        reason="damaged", amount=item.paid_amount, by=f"buyer:{order.buyer_ref}",
    )  # fmt: skip


def test_a_delivered_order_in_aftersales_is_not_re_shipped(store, merchant):
    order = make_order(store, status="delivered", courier_code="SF", waybill_no=WAYBILL)
    open_request(order)
    before = snapshot(order)
    with pytest.raises(Conflict) as refused:
        order_reship(order=order, courier_code="SF", waybill_no="SF5555555555555", by=merchant)
    assert refused.value.code == "in_aftersales"
    assert snapshot(order) == before


def test_the_page_of_a_delivered_order_in_aftersales_links_the_request_and_offers_no_reship(merchant_client, store):
    order = make_order(store, status="delivered", courier_code="SF", waybill_no=WAYBILL)
    req = open_request(order)
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert 'data-testid="reship-card"' not in html
    assert reverse("aftersales:request_detail", args=[req.pk]) in html and req.request_sn in html
    response = merchant_client.post(
        reverse("shop:order_reship", args=[order.order_sn]), {"courier_code": "SF", "waybill_no": "SF5555555555555"}
    )
    assert response.status_code == 400 and Order.objects.get(pk=order.pk).waybill_no == WAYBILL


def test_a_delivered_order_without_aftersales_still_offers_reship(merchant_client, store):
    order = make_order(store, status="delivered", courier_code="SF", waybill_no=WAYBILL)
    html = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert 'data-testid="reship-card"' in html


def test_the_request_page_links_back_to_its_order(merchant_client, store):
    order = make_order(store, status="delivered")
    req = open_request(order)
    html = merchant_client.get(reverse("aftersales:request_detail", args=[req.pk])).content.decode()
    assert reverse("shop:order_detail", args=[order.order_sn]) in html


# --- the API resource tells the whole story -------------------------------------------------------------


def test_the_order_resource_carries_parcels_aftersales_and_compensations(api, store, sender):
    order, shipment = booked(store)
    req = open_request(order)
    body = api.get(f"/api/v1/orders/{order.order_sn}/").json()
    [parcel] = body["parcels"]
    assert parcel["ref"] == str(shipment.pk) and parcel["live"] is True
    assert parcel["details"]["waybill_no"] == shipment.waybill_no
    assert parcel["details"]["booking_no"] == shipment.booking.booking_no
    assert parcel["url"] == reverse("shipping:shipment_detail", args=[shipment.pk])
    [request] = body["aftersales"]
    assert request["ref"] == req.request_sn and request["details"]["type"] == "refund_only"
    assert request["details"]["amount"] == order.items.get().paid_amount
    assert body["compensations"] == []
    assert body["actions"] == ["cancel_parcel"]  # booked: neither self-ship nor plain cancel, the parcel first


def test_the_order_resource_lists_what_the_merchant_may_do(api, store):
    order = paid_order(store)
    assert api.get(f"/api/v1/orders/{order.order_sn}/").json()["actions"] == ["book", "cancel", "ship"]


def test_another_stores_order_resource_is_404(other_api, store, sender):
    order, _shipment = booked(store)
    assert other_api.get(f"/api/v1/orders/{order.order_sn}/").status_code == 404


def test_the_shipment_page_links_to_its_order(merchant_client, store, sender):
    order, shipment = booked(store)
    html = merchant_client.get(reverse("shipping:shipment_detail", args=[shipment.pk])).content.decode()
    assert reverse("shop:order_detail", args=[order.order_sn]) in html
