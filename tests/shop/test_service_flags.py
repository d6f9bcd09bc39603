"""The special-goods flags of the API (DOMAIN.md Shipping): a product's service promises, carried on its orders.

no_logistics ships with no waybill and is never booked online; free_sf self-ships by SF only; the flags are
written and read through the API, checked against the goods, shown on the pages.
"""

import pytest
from django.urls import reverse

from portal.exceptions import IllegalTransition, ValidationFailed
from portal.models import AuditEntry, Event
from shipping.selectors import unbooked_orders
from shop.models import Order
from shop.models.catalog import SERVICE_FLAGS
from shop.services.catalog import product_update
from shop.services.orders import order_ship, order_ship_no_logistics
from tests.shop.orders_support import on_sale_sku, pay, place

pytestmark = pytest.mark.django_db


def flagged_order(store, **flags):
    return pay(place(store, on_sale_sku(store, **{f"product__{k}": v for k, v in flags.items()})))


def test_the_api_writes_each_flag_and_orders_carry_the_promise_bought(api, store):
    sku = on_sale_sku(store, product__is_fresh=True)
    body = dict.fromkeys(("privacy_shipping", "bad_fruit_claim", "short_weight_claim", "free_sf"), True)
    written = api.patch(f"/api/v1/products/{sku.product_id}/", body, format="json")
    assert written.status_code == 200, written.json()
    assert written.json()["service_flags"] == ["privacy_shipping", "bad_fruit_claim", "short_weight_claim", "free_sf"]
    order = pay(place(store, sku))
    # the product changes later: the order keeps what the buyer bought
    api.patch(f"/api/v1/products/{sku.product_id}/", {"free_sf": False}, format="json")
    got = api.get(f"/api/v1/orders/{order.order_sn}/").json()
    assert got["service_flags"] == ["privacy_shipping", "bad_fruit_claim", "short_weight_claim", "free_sf"]
    assert {flag: got[flag] for flag in SERVICE_FLAGS} == {
        "no_logistics": False, "privacy_shipping": True, "bad_fruit_claim": True, "short_weight_claim": True,
        "home_install": False, "free_sf": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bad_fruit_claim": True}, "bad_fruit_claim"),  # not fresh
        ({"short_weight_claim": True}, "short_weight_claim"),
        ({"home_install": True}, "home_install"),  # not bulky
        ({"no_logistics": True, "free_sf": True}, "no_logistics"),
    ],
)
def test_flags_that_contradict_the_goods_are_field_errors_and_change_nothing(api, store, body, field):
    sku = on_sale_sku(store)
    response = api.patch(f"/api/v1/products/{sku.product_id}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    sku.product.refresh_from_db()
    assert sku.product.service_flags == []


def test_the_product_form_refuses_a_claim_on_goods_that_are_not_fresh(store):
    with pytest.raises(ValidationFailed) as exc:
        product_update(product=on_sale_sku(store).product, fields={"bad_fruit_claim": True}, skus=None, by="merchant")
    assert "生鲜" in str(exc.value.fields["bad_fruit_claim"])


def test_no_logistics_ships_without_a_waybill_once_audited_and_pushed(store, django_capture_on_commit_callbacks):
    order = flagged_order(store, no_logistics=True)
    assert order.no_logistics and not unbooked_orders(store).filter(pk=order.pk).exists()  # never booked online
    shipped = order_ship_no_logistics(order=order, by="merchant")
    assert (shipped.status, shipped.shipped_via, shipped.waybill_no) == ("shipped", "none", "")
    assert shipped.receipt_deadline is not None  # auto-confirm runs from shipment as for any order
    assert AuditEntry.objects.filter(object_id=order.pk, transition="ship").count() == 1
    assert Event.objects.get(type="order.shipped", store=store).payload["data"]["via"] == "none"
    with pytest.raises(IllegalTransition):
        order_ship_no_logistics(order=shipped, by="merchant")


def test_goods_that_need_a_courier_cannot_ship_without_logistics(store):
    order = flagged_order(store)
    with pytest.raises(IllegalTransition) as exc:
        order_ship_no_logistics(order=order, by="merchant")
    assert exc.value.code == "needs_logistics"
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_free_sf_self_ships_by_sf_only(store):
    order = flagged_order(store, free_sf=True)
    with pytest.raises(ValidationFailed) as exc:
        order_ship(order=order, courier_code="ZTO", waybill_no="773123456789", by="merchant")
    assert exc.value.code == "free_sf_courier" and "courier_code" in exc.value.fields
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert order_ship(order=order, courier_code="SF", waybill_no="SF1234567890123", by="merchant").status == "shipped"


def test_the_order_page_offers_no_logistics_shipping_and_sf_only(merchant_client, store):
    none = flagged_order(store, no_logistics=True)
    page = merchant_client.get(reverse("shop:order_detail", args=[none.order_sn])).content.decode()
    assert 'data-testid="ship-no-logistics"' in page and "无需物流发货" in page
    shipped = merchant_client.post(reverse("shop:order_ship_none", args=[none.order_sn]))
    assert shipped.status_code == 302 and Order.objects.get(pk=none.pk).status == "shipped"
    sf = flagged_order(store, free_sf=True)
    page = merchant_client.get(reverse("shop:order_detail", args=[sf.order_sn])).content.decode()
    assert 'data-testid="ship-no-logistics"' not in page
    assert '<option value="SF">' in page and '<option value="ZTO">' not in page
    assert "顺丰包邮" in page
    refused = merchant_client.post(
        reverse("shop:order_ship", args=[sf.order_sn]), {"courier_code": "ZTO", "waybill_no": "773123456789"}
    )
    assert refused.status_code == 400 and Order.objects.get(pk=sf.pk).status == "paid"


def test_the_api_ships_without_logistics_and_refuses_other_orders(api, store):
    none, plain = flagged_order(store, no_logistics=True), flagged_order(store)
    refused = api.post(f"/api/v1/orders/{plain.order_sn}/ship-no-logistics/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "needs_logistics"
    shipped = api.post(f"/api/v1/orders/{none.order_sn}/ship-no-logistics/")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    detail = api.get(f"/api/v1/orders/{none.order_sn}/").json()
    assert "ship_no_logistics" not in detail["actions"]


def test_the_english_order_page_names_the_flags(merchant_client, store):
    order = flagged_order(store, no_logistics=True)
    merchant_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert "No logistics needed" in page and "无需物流发货" not in page


def test_the_product_pages_show_the_promises(merchant_client, store):
    sku = on_sale_sku(store, product__is_bulky=True, product__home_install=True, product__free_sf=True)
    detail = merchant_client.get(reverse("shop:product_detail", args=[sku.product_id])).content.decode()
    assert "送货入户并安装" in detail and "顺丰包邮" in detail
    listing = merchant_client.get(reverse("shop:product_list")).content.decode()
    assert listing.count('data-testid="service-flag"') == 2
