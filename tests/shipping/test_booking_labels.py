"""Issue 13 · labels for real printers: print only the selected, 已打印 and reprint, two sizes, note and goods, PDF."""

import re

import pytest
from django.urls import reverse

from portal.models import AuditEntry
from shipping.models import Shipment

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(store, sender, django_capture_on_commit_callbacks):
    orders = [paid_order(store) for _ in range(3)]
    orders[0].buyer_note = "放门卫处"
    orders[0].save(update_fields=["buyer_note"])
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, orders)
    return booking, list(booking.shipments.order_by("id"))


def test_print_only_the_selected_labels_and_mark_them_printed(merchant_client, booked):
    booking, shipments = booked
    url = reverse("shipping:booking_labels", args=[booking.booking_no])
    choose = merchant_client.get(url).content.decode()
    assert choose.count('class="label-pick"') == 3 and choose.count(" checked>") >= 3
    page = merchant_client.post(
        url, {"shipment": [shipments[0].pk, shipments[2].pk], "format": "print"}
    ).content.decode()
    assert page.count('data-testid="label"') == 2
    assert shipments[1].waybill_no not in page and shipments[0].waybill_no in page
    assert "放门卫处" in page and 'data-testid="label-note"' in page  # the buyer note on the label
    assert shipments[0].goods_summary[:10] in page  # the product summary
    printed = set(Shipment.objects.filter(label_printed_at__isnull=False).values_list("pk", flat=True))
    assert printed == {shipments[0].pk, shipments[2].pk}
    assert AuditEntry.objects.filter(transition="print_label").count() == 2
    # back on the choice page the printed ones read 已打印 and are unticked; ticking one reprints it
    choose = merchant_client.get(url).content.decode()
    assert choose.count('data-testid="printed"') == 2
    ticked = re.findall(r'name="shipment" value="(\d+)"[^>]*checked', choose)
    assert ticked == [str(shipments[1].pk)]
    merchant_client.post(url, {"shipment": [shipments[0].pk], "format": "print"})
    assert AuditEntry.objects.filter(transition="reprint_label").count() == 1


def test_nothing_selected_prints_nothing(merchant_client, booked):
    booking, _shipments = booked
    url = reverse("shipping:booking_labels", args=[booking.booking_no])
    response = merchant_client.post(url, {"format": "print"})
    assert response.status_code == 302
    assert not Shipment.objects.filter(label_printed_at__isnull=False).exists()


@pytest.mark.parametrize(("size", "points"), [("100x150", (283.46, 425.2)), ("76x130", (215.43, 368.5))])
def test_pdf_download_of_a_batch_at_the_printer_size(merchant_client, booked, size, points):
    booking, shipments = booked
    url = reverse("shipping:booking_labels", args=[booking.booking_no])
    response = merchant_client.post(url, {"shipment": [s.pk for s in shipments], "format": "pdf", "size": size})
    assert response["Content-Type"] == "application/pdf"
    assert f"labels-{booking.booking_no}-{size}.pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 3
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert box and abs(float(box.group(1)) - points[0]) < 1 and abs(float(box.group(2)) - points[1]) < 1
    assert Shipment.objects.filter(label_printed_at__isnull=False).count() == 3


def test_the_small_layout_is_chosen_for_76x130(merchant_client, booked):
    booking, shipments = booked
    url = reverse("shipping:booking_labels", args=[booking.booking_no])
    page = merchant_client.post(url, {"shipment": [shipments[0].pk], "size": "76x130"}).content.decode()
    assert "labels size-76x130" in page and "labels-76x130.css" in page
