"""Issue 13 · 合并发货: orders of one store to one recipient at one address travel as one parcel with one
waybill; the courier's answers and scans reach every order in it; the order pages show the shared parcel."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import ValidationFailed
from shipping import selectors, services
from shipping.carriers.base import CourierUpdate
from shipping.models import Courier, SandboxParcel, Shipment

from .conftest import book, make_sender, paid_order

pytestmark = pytest.mark.django_db


def merged_lines(*orders, key="p1"):
    return [services.BookingLine(order_id=o.pk, parcel=key) for o in orders]


def scan(shipment, action="GOT"):
    update = CourierUpdate(
        message_id=uuid.uuid4().hex, kind="track", waybill_no=shipment.waybill_no, occurred_at=timezone.now(),
        action=action, description="揽收", node="杭州",
    )  # fmt: skip
    services.courier_updates_apply(courier=Courier.objects.get(pk=shipment.courier_id), updates=[update])


def test_two_orders_to_one_buyer_become_one_parcel_with_one_waybill(store, sender, django_capture_on_commit_callbacks):
    a, b = paid_order(store, weight_g=800), paid_order(store, weight_g=700)
    alone = paid_order(store, street="文二路 1 号")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [a, b, alone], lines=[*merged_lines(a, b), services.BookingLine(order_id=alone.pk)])
    lead, member, single = booking.shipments.order_by("id")
    assert member.parcel_lead_id == lead.pk and lead.parcel_lead_id is None and single.parcel_lead_id is None
    assert lead.predicted_weight_g == 1500 and member.predicted_price == 0
    zto = Courier.objects.get(code="ZTO")
    assert lead.predicted_price == zto.price_for(weight_g=1500, from_province="浙江省", to_province="浙江省")
    assert SandboxParcel.objects.count() == 2  # the courier was sent two parcels, not three
    assert lead.waybill_no and member.waybill_no == lead.waybill_no and member.parcel_code == lead.parcel_code
    # one pickup scan ships both orders; the waybill is shared by the same consignment
    scan(lead)
    lead.refresh_from_db()
    member.refresh_from_db()
    assert lead.status == member.status == "picked_up"
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == "shipped" and a.waybill_no == b.waybill_no == lead.waybill_no
    assert member.real_price == 0 and lead.real_price


def test_a_merged_parcel_needs_one_recipient_and_compatible_goods(store, sender):
    a = paid_order(store)
    other = paid_order(store, street="文二路 1 号")
    with pytest.raises(ValidationFailed) as exc:
        book(store, [a, other], lines=merged_lines(a, other))
    assert "同一收件人" in exc.value.fields[a.order_sn][0]
    fresh = paid_order(store, flags=["fresh"])
    with pytest.raises(ValidationFailed) as exc:
        book(store, [a, fresh], courier="SF", lines=merged_lines(a, fresh))
    assert "生鲜" in exc.value.fields[a.order_sn][-1]
    assert not Shipment.objects.exists()


def test_merge_groups_and_chunks_keep_a_parcel_in_one_booking(store):
    a, b = paid_order(store), paid_order(store)
    c = paid_order(store, street="文二路 1 号")
    frozen = paid_order(store, flags=["frozen"])
    groups = selectors.merge_groups([a, b, c, frozen])
    assert [[o.pk for o in g] for g in groups] == [[a.pk, b.pk]]
    lines = [services.BookingLine(order_id=i) for i in range(29)] + merged_lines(a, b)
    chunks = services.booking_chunks(lines)
    assert [len(c) for c in chunks] == [29, 2]


def test_cancelling_the_parcel_returns_both_orders_and_rebooking_moves_it_whole(
    store, sender, django_capture_on_commit_callbacks
):
    a, b = paid_order(store), paid_order(store)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [a, b], lines=merged_lines(a, b))
    lead, member = booking.shipments.order_by("id")
    with django_capture_on_commit_callbacks(execute=False):
        new = services.booking_rebook(
            booking=booking, courier=Courier.objects.get(code="YTO"), by="merchant", shipment_ids=[lead.pk]
        )
    copy_lead, copy_member = new.shipments.order_by("id")
    assert copy_member.parcel_lead_id == copy_lead.pk and copy_member.predicted_price == 0
    assert set(Shipment.objects.filter(status="cancelled").values_list("pk", flat=True)) == {lead.pk, member.pk}
    services.shipment_cancel(shipment=copy_lead, by="merchant")
    assert {o.pk for o in selectors.unbooked_orders(store)} == {a.pk, b.pk}


def test_the_confirmation_offers_the_merge_and_the_order_pages_show_the_shared_parcel(
    merchant_client, store, django_capture_on_commit_callbacks
):
    sender = make_sender(store)
    a, b = paid_order(store), paid_order(store)
    c = paid_order(store, street="文二路 1 号")
    html = merchant_client.get(reverse("shipping:booking_centre")).content.decode()
    assert html.count('data-testid="mergeable"') == 2
    url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&order={a.pk}&order={b.pk}&order={c.pk}"
    html = merchant_client.get(url).content.decode()
    assert html.count('data-testid="merge-offer"') == 1 and f'value="{a.pk}-{b.pk}"' in html
    assert 'data-testid="merged-badge"' not in html  # offered, not merged unasked
    day, _l, slots = selectors.pickup_days(Courier.objects.get(code="ZTO"))[0]
    form = {
        "sender": sender.pk,
        "pickup": f"{day.isoformat()}|{slots[0]}",
        "merge_offered": "1",
        "merge": f"{a.pk}-{b.pk}",
    }
    preview = merchant_client.post(url, {**form, "preview": "1"}).content.decode()
    assert preview.count('data-testid="merged-badge"') == 2
    assert not Shipment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(url, form)
    assert response.status_code == 302
    lead = Shipment.objects.get(order=a)
    assert Shipment.objects.get(order=b).waybill_no == lead.waybill_no != Shipment.objects.get(order=c).waybill_no
    order_page = merchant_client.get(reverse("shop:order_detail", args=[b.order_sn])).content.decode()
    assert 'data-testid="shared-parcel"' in order_page and a.order_sn in order_page
    parcel_page = merchant_client.get(reverse("shipping:shipment_detail", args=[lead.pk])).content.decode()
    assert b.order_sn in parcel_page and 'data-testid="shared-parcel"' in parcel_page
