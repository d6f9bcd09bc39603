"""The order keeps its discount split by who funds it (DOMAIN.md Orders: amounts): seller, platform,
group-leader-free; the order page and the API show the three."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.services.pricing import DISCOUNT_FUNDERS
from shop.services.promotions import coupon_claim, coupon_create, discount_create
from tests.conftest import api_client_for
from tests.shop.orders_support import on_sale_sku, place

pytestmark = pytest.mark.django_db


def test_the_order_keeps_seller_platform_and_leader_free_shares(store, merchant_client):
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    sku = on_sale_sku(store, price=10000, group_price=8000, stock=10)
    discount_create(store=store, sku=sku, kind="price", price=7000, activity_stock=5, by="t", **window)
    coupon = coupon_create(store=store, name="店铺券", kind="threshold", amount=1000, quantity=5, by="t", **window)
    claim = coupon_claim(coupon=coupon, buyer_ref="b1", by="t")
    order = place(store, sku, quantity=2, buyer="b1", coupon_code=claim.code)
    # the store's promotions and coupon are the seller's; nothing is platform-funded or a leader's free order
    assert (order.seller_discount, order.platform_discount, order.leader_free_discount) == (7000, 0, 0)
    assert order.seller_discount + order.platform_discount + order.leader_free_discount == order.discount_amount
    page = merchant_client.get(reverse("shop:order_detail", args=[order.order_sn])).content.decode()
    assert 'data-testid="seller-discount">-¥70.00' in page and 'data-testid="platform-discount">-¥0.00' in page
    body = api_client_for(store).get(f"/api/v1/orders/{order.order_sn}/").json()
    assert (body["seller_discount"], body["platform_discount"], body["leader_free_discount"]) == (7000, 0, 0)


def test_every_discount_kind_has_a_funder():
    assert set(DISCOUNT_FUNDERS.values()) <= {"seller", "platform", "leader_free"}
    assert {"limited_time", "spend_and_save", "coupon"} <= set(DISCOUNT_FUNDERS)
