"""Bench case: API order placement against a minimal DRF create on the same database and settings.

The minimal endpoint (`MinimalOrderCreate`) is a ModelSerializer over the same `shop_order` table with no
authentication, no validation beyond the serializer's fields and no uniqueness probe: one INSERT. It is
mounted only by the bench's URLconf (`aftersales.bench.urls`, through `override_settings`), never by
production URLs. Both go through Django's test client in one process (the real middleware, DEBUG off),
interleaved, inside a transaction the bench rolls back.
"""

from __future__ import annotations

import itertools
import secrets

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework import serializers
from rest_framework.generics import CreateAPIView
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from portal.actors import Actor
from portal.models import ApiKey
from portal.services import api_key_create
from shop.models import Order, Sku, Store

from .cases import timed
from .dataset import Dataset

MINIMAL_PATH = "/bench/minimal-order/"


class MinimalOrderIn(serializers.ModelSerializer):
    store_id = serializers.IntegerField()

    class Meta:
        model = Order
        fields = ("order_sn", "store_id", "buyer_ref", "recipient_name", "recipient_phone", "province", "city",
                  "district", "street", "goods_amount", "paid_amount")  # fmt: skip
        extra_kwargs = {"order_sn": {"validators": []}}  # the unique constraint decides, as in placement


class MinimalOrderCreate(CreateAPIView):
    """The floor of an API create: parse, validate the fields, one INSERT, serialise what was written."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = MinimalOrderIn


def place_path() -> str:
    return reverse("api-orders")  # POST on the orders collection places an order


def _sn(counter: itertools.count) -> str:
    return f"990101-{next(counter):015d}"


def run(ds: Dataset, n: int) -> dict[str, float]:
    """`n` placements and `n` minimal creates, interleaved; returns requests/s, queries and the ratio."""
    store = Store.objects.get(pk=ds.big_store_id)
    sku = Sku.objects.filter(product__store=store, product__status="on_sale").order_by("pk").first()
    if sku is None:
        raise RuntimeError("the big store has no SKU on sale")
    _key, raw = api_key_create(store=store, name="bench", scopes=[s.value for s in ApiKey.Scope],
                               kind=ApiKey.Kind.STOREFRONT, by=Actor.system())  # fmt: skip
    storefront, anonymous = APIClient(), APIClient()
    storefront.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path, counter = place_path(), itertools.count(secrets.randbelow(10**12))
    address = {"recipient_name": "王五", "recipient_phone": "13812345678", "province": "浙江省", "city": "杭州市",
               "district": "西湖区", "street": "文三路 100 号"}  # fmt: skip

    def place(i: int) -> int:
        payload = {"buyer_ref": f"bench-{i}", "items": [{"sku_id": sku.pk, "quantity": 1}], **address}
        return storefront.post(path, payload, format="json").status_code

    def minimal(i: int) -> int:
        payload = {"order_sn": _sn(counter), "store_id": store.pk, "buyer_ref": f"bench-{i}", "goods_amount": 9900,
                   "paid_amount": 9900, **address}  # fmt: skip
        return anonymous.post(MINIMAL_PATH, payload, format="json").status_code

    for call in (place, minimal):  # warm: caches, the key's last_used_at, the URL resolver
        if call(-1) != 201:
            raise RuntimeError(f"{call.__name__} answered {call(-2)}")
    with CaptureQueriesContext(connection) as ctx:
        place(-3)
    place_queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        minimal(-3)
    minimal_queries = len(ctx.captured_queries)
    place_ms = minimal_ms = 0.0
    for i in range(n):
        ms, code = timed(lambda i=i: place(i))
        place_ms += ms
        assert code == 201, code
        ms, code = timed(lambda i=i: minimal(i))
        minimal_ms += ms
        assert code == 201, code
    place_rps, minimal_rps = n / place_ms * 1000, n / minimal_ms * 1000
    return {
        "place_rps": place_rps,
        "minimal_rps": minimal_rps,
        "ratio": place_rps / minimal_rps,
        "place_queries": place_queries,
        "minimal_queries": minimal_queries,
        "place_ms": place_ms / n,
        "minimal_ms": minimal_ms / n,
    }
