"""Merchant pages: 在线下单 tabs, choose courier, confirm (editable, validated), progress, labels, addresses."""

import pytest
from django.urls import reverse

from shipping.models import Booking, Courier, SenderAddress
from shipping.selectors import pickup_days

from .conftest import book, make_sender, paid_order

pytestmark = pytest.mark.django_db


def selection(orders):
    return "&".join(f"order={o.pk}" for o in orders)


def confirm_post(orders, sender, courier="ZTO", **overrides):
    day, _label, slots = pickup_days(Courier.objects.get(code=courier))[0]
    data = {
        "sender": sender.pk,
        "pickup": f"{day.isoformat()}|{slots[0]}",
        "order": [o.pk for o in orders],
        "line-TOTAL_FORMS": len(orders),
        "line-INITIAL_FORMS": len(orders),
    }
    for i, o in enumerate(orders):
        data.update({
            f"line-{i}-order_id": o.pk, f"line-{i}-weight_g": 800, f"line-{i}-recipient_name": o.recipient_name,
            f"line-{i}-recipient_phone": o.recipient_phone, f"line-{i}-province": o.province, f"line-{i}-city": o.city,
            f"line-{i}-district": o.district, f"line-{i}-street": o.street,
        })  # fmt: skip
    data.update(overrides)
    return data


def test_unbooked_tab_lists_paid_orders_and_shows_held_ones_unselectable(merchant_client, store, sender):
    ok, held = paid_order(store), paid_order(store, risk_hold=True)
    html = merchant_client.get(reverse("shipping:booking_centre")).content.decode()
    assert ok.order_sn in html and held.order_sn in html and "风控审核中" in html
    assert f'value="{ok.pk}"' in html and f'value="{held.pk}"' not in html


def test_the_centre_page_uses_constant_queries(merchant_client, store, sender, django_assert_max_num_queries):
    for _ in range(3):
        paid_order(store)
    book(store, [paid_order(store)])
    with django_assert_max_num_queries(20):
        merchant_client.get(reverse("shipping:booking_centre"))
    for _ in range(15):
        paid_order(store)
    book(store, [paid_order(store) for _ in range(10)])
    with django_assert_max_num_queries(20):
        merchant_client.get(reverse("shipping:booking_centre"))
    with django_assert_max_num_queries(20):
        merchant_client.get(reverse("shipping:booking_centre") + "?tab=all")


def test_choosing_more_than_30_goes_on_as_consecutive_bookings(merchant_client, store, sender):
    orders = [paid_order(store) for _ in range(31)]
    response = merchant_client.get(f"{reverse('shipping:booking_courier')}?{selection(orders)}")
    assert response.status_code == 200
    assert "将分 2 批下单" in response.content.decode()


def test_courier_page_shows_refusals_and_prices(merchant_client, store, sender):
    orders = [paid_order(store, flags=["frozen"])]
    html = merchant_client.get(f"{reverse('shipping:booking_courier')}?{selection(orders)}").content.decode()
    assert "中通快递 不承运冷冻商品" in html and "¥12.00" in html  # SF local first kg


def test_confirm_then_submit_books_and_redirects_to_progress(
    merchant_client, store, sender, django_capture_on_commit_callbacks
):
    orders = [paid_order(store) for _ in range(2)]
    url = f"{reverse('shipping:booking_confirm')}?courier=ZTO&{selection(orders)}"
    page = merchant_client.get(url).content.decode()
    assert orders[0].recipient_name in page and "提交下单" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_client.post(
            f"{reverse('shipping:booking_confirm')}?courier=ZTO", confirm_post(orders, sender)
        )
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == reverse("shipping:booking_detail", args=[booking.booking_no])
    detail = merchant_client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in detail and booking.shipments.first().waybill_no in detail
    fragment = merchant_client.get(response.url + "?fragment=1", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "shipment-row" in fragment
    labels = merchant_client.get(reverse("shipping:booking_labels", args=[booking.booking_no])).content.decode()
    assert labels.count('data-testid="label"') == 2 and "<svg" in labels


def test_confirm_shows_field_errors_for_bad_recipients(merchant_client, store, sender):
    orders = [paid_order(store)]
    data = confirm_post(orders, sender, **{"line-0-recipient_phone": "123", "line-0-street": ""})
    response = merchant_client.post(f"{reverse('shipping:booking_confirm')}?courier=ZTO", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "请输入有效的中国大陆手机号" in html and 'data-testid="line-error"' in html
    assert Booking.objects.count() == 0


def test_confirm_shows_the_courier_refusal_on_the_order(merchant_client, store, sender):
    orders = [paid_order(store, flags=["frozen"])]
    response = merchant_client.post(f"{reverse('shipping:booking_confirm')}?courier=ZTO", confirm_post(orders, sender))
    assert response.status_code == 400 and "不承运冷冻商品" in response.content.decode()


def test_booking_actions_cancel_rebook_report(merchant_client, store, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, [paid_order(store)])
    with django_capture_on_commit_callbacks(execute=True):
        r = merchant_client.post(
            reverse("shipping:booking_action", args=[booking.booking_no, "rebook"]), {"courier": "YTO"}
        )
    new = Booking.objects.exclude(pk=booking.pk).get()
    assert r.url == reverse("shipping:booking_detail", args=[new.booking_no])
    merchant_client.post(reverse("shipping:booking_action", args=[new.booking_no, "report"]), {"kind": "pickup_missed"})
    assert new.shipments.get().tickets.count() == 1
    merchant_client.post(reverse("shipping:booking_action", args=[new.booking_no, "cancel"]))
    assert new.shipments.get().status == "cancelled"


def test_shipment_pages_and_conversation(merchant_client, store, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = book(store, [paid_order(store)]).shipments.get()
    shipment.refresh_from_db()
    assert (
        shipment.waybill_no
        in merchant_client.get(reverse("shipping:shipment_list") + f"?q={shipment.waybill_no}").content.decode()
    )
    url = reverse("shipping:shipment_action", args=[shipment.pk, "message"])
    with django_capture_on_commit_callbacks(execute=True):
        merchant_client.post(url, {"topic": "damage", "body": "外箱破损"})
    assert "外箱破损" in merchant_client.get(reverse("shipping:shipment_detail", args=[shipment.pk])).content.decode()
    assert merchant_client.post(url, {"topic": "damage", "body": ""}).status_code == 400


def test_address_book(merchant_client, store):
    data = {
        "label": "义乌仓",
        "contact_name": "赵",
        "phone": "13600001111",
        "province": "浙江省",
        "city": "金华市",
        "district": "义乌市",
        "street": "国际商贸城 1 号",
    }
    assert merchant_client.post(reverse("shipping:address_create"), data).status_code == 302
    assert (
        merchant_client.post(
            reverse("shipping:address_create"), {**data, "label": "广州仓", "province": "广东省", "is_default": "on"}
        ).status_code
        == 302
    )
    assert SenderAddress.objects.get(is_default=True).label == "广州仓"
    bad = merchant_client.post(reverse("shipping:address_create"), {**data, "phone": "1"})
    assert bad.status_code == 400
    default = SenderAddress.objects.get(is_default=True)
    merchant_client.post(reverse("shipping:address_delete", args=[default.pk]))
    assert SenderAddress.objects.get().is_default


def test_another_store_gets_404_everywhere(merchant_client, store, other_store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(other_store, [paid_order(other_store)])
    shipment = booking.shipments.get()
    address = make_sender(other_store, label="别人的仓")
    for url in (
        reverse("shipping:booking_detail", args=[booking.booking_no]),
        reverse("shipping:booking_labels", args=[booking.booking_no]),
        reverse("shipping:shipment_detail", args=[shipment.pk]),
        reverse("shipping:address_edit", args=[address.pk]),
        f"{reverse('shipping:booking_courier')}?order={shipment.order_id}",
        f"{reverse('shipping:booking_confirm')}?courier=ZTO&order={shipment.order_id}",
    ):
        assert merchant_client.get(url).status_code == 404, url
    for url in (
        reverse("shipping:booking_action", args=[booking.booking_no, "cancel"]),
        reverse("shipping:shipment_action", args=[shipment.pk, "cancel"]),
        reverse("shipping:address_delete", args=[address.pk]),
    ):
        assert merchant_client.post(url).status_code == 404, url
    assert (
        shipment.order.order_sn
        not in merchant_client.get(reverse("shipping:booking_centre") + "?tab=all").content.decode()
    )


def test_order_tracking_fragment_renders(store, sender, django_capture_on_commit_callbacks):
    from django.template.loader import render_to_string

    from shipping.selectors import shipments_for_order

    order = paid_order(store)
    with django_capture_on_commit_callbacks(execute=True):
        book(store, [order])
    html = render_to_string("shipping/_order_tracking.html", {"shipments": shipments_for_order(order)})
    assert "物流跟踪" in html and "中通快递" in html


def test_order_tracking_tag(store, sender):
    from django.template import Context, Template

    order = paid_order(store)
    html = Template("{% load shipping_tags %}{% order_tracking order %}").render(Context({"order": order}))
    assert "尚未在线下单" in html


@pytest.mark.parametrize("n", [3, 25])
def test_progress_page_and_tracking_list_use_constant_queries(
    merchant_client, store, sender, n, django_assert_max_num_queries
):
    booking = book(store, [paid_order(store) for _ in range(n)])
    with django_assert_max_num_queries(14):
        merchant_client.get(reverse("shipping:booking_detail", args=[booking.booking_no]))
    with django_assert_max_num_queries(14):
        merchant_client.get(reverse("shipping:booking_labels", args=[booking.booking_no]))
    with django_assert_max_num_queries(14):
        merchant_client.get(reverse("shipping:shipment_list"))


def test_overdue_parcels_are_flagged_on_the_centre_and_filterable(merchant_client, store, sender, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    late = book(store, [paid_order(store)]).shipments.get()
    time_machine.shift(timedelta(hours=3))
    on_time = book(store, [paid_order(store)]).shipments.get()
    html = merchant_client.get(reverse("shipping:booking_centre")).content.decode()
    assert 'data-testid="centre-overdue"' in html
    listed = merchant_client.get(reverse("shipping:shipment_list") + "?overdue=1").context["page"].object_list
    assert [s.pk for s in listed] == [late.pk] and on_time.pk != late.pk
