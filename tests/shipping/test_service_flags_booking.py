"""Service promises in 在线下单: installation and free SF choose the courier, privacy keeps goods names off the
waybill and the courier's order, goods shipped without logistics are not in the backlog."""

import pytest
from django.urls import reverse

from portal.exceptions import Conflict, ValidationFailed
from shipping.models import Shipment
from shipping.selectors import booking_tab_counts, courier_options, unbooked_orders

from .conftest import book, paid_order

pytestmark = pytest.mark.django_db


def promised(store, *, flags=(), **promises):
    order = paid_order(store, flags=flags)
    for name, value in promises.items():
        setattr(order, name, value)
    order.save()
    return order


def test_home_installation_is_booked_only_with_a_courier_that_installs(store, sender):
    order = promised(store, flags=["bulky"], home_install=True)
    options = {o.courier.code: o for o in courier_options([order], sender)}
    assert options["JD"].available and options["DEPPON"].available
    assert not options["EMS"].available and "送货入户并安装" in options["EMS"].refusal
    with pytest.raises(ValidationFailed) as exc:
        book(store, [order], courier="EMS")
    assert "送货入户并安装" in exc.value.fields[order.order_sn][0]
    assert book(store, [order], courier="JD").shipments.get().special_goods == ["bulky", "install"]


def test_free_sf_is_booked_with_sf_only(store, sender):
    order = promised(store, free_sf=True)
    options = {o.courier.code: o for o in courier_options([order], sender)}
    assert [code for code, o in options.items() if o.available] == ["SF"]
    assert "顺丰" in options["ZTO"].refusal
    with pytest.raises(ValidationFailed):
        book(store, [order], courier="ZTO")
    assert book(store, [order], courier="SF").shipments.get().courier.code == "SF"


def test_privacy_shipping_keeps_goods_names_off_the_waybill(store, sender, merchant_client):
    secret = promised(store, privacy_shipping=True)
    plain = paid_order(store)
    booking = book(store, [secret, plain])
    by_order = {s.order_id: s for s in Shipment.objects.filter(booking=booking)}
    title = secret.items.get().product_title
    assert title not in by_order[secret.pk].goods_summary and "隐私发货" in by_order[secret.pk].goods_summary
    assert plain.items.get().product_title in by_order[plain.pk].goods_summary
    labels = merchant_client.get(reverse("shipping:booking_labels", args=[booking.booking_no])).content.decode()
    assert title not in labels


def test_goods_shipped_without_logistics_are_not_in_the_backlog(store):
    none, plain = promised(store, no_logistics=True), paid_order(store)
    assert list(unbooked_orders(store)) == [plain]
    assert booking_tab_counts(store)["unbooked"] == 1
    with pytest.raises(Conflict) as exc:
        book(store, [none])
    assert "无需物流" in str(exc.value.fields[none.order_sn])
