"""Helpers for the order tests: an on-sale SKU, placing an order, paying it through the sandbox."""

from __future__ import annotations

from portal.payments.providers import get_provider
from portal.payments.services import payment_record_callback
from shop.models import Order, Sku
from shop.services.orders import LineIn, order_pay, order_place
from tests.conftest import force_status
from tests.factories import SkuFactory

ADDRESS = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路 100 号"}


def on_sale_sku(store, **kwargs) -> Sku:
    """A SKU of an on-sale product of `store`; `product__<field>` kwargs go to the product."""
    sku = SkuFactory(product__store=store, **kwargs)
    force_status(sku.product, "on_sale")
    return sku


def place(store, sku, quantity: int = 1, buyer: str = "buyer-1", **kwargs) -> Order:
    params = {
        "store": store,
        "buyer_ref": buyer,
        "lines": [LineIn(sku_id=sku.pk, quantity=quantity)],
        "recipient_name": "李四",
        "recipient_phone": "13812345678",
        **ADDRESS,
        "by": f"buyer:{buyer}",
    }
    params.update(kwargs)
    return order_place(**params)


def pay(order: Order) -> Order:
    """Pay through the sandbox: open the payment, then apply its signed callback."""
    payment, _url = order_pay(order=order, by="buyer")
    provider = get_provider()
    payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    order.refresh_from_db()
    return order
