"""`JoinedRead`: the hot-path reads built once give what the ORM's select_related gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import ApiKey
from portal.rows import JoinedRead
from shop.models import Sku
from tests.conftest import api_client_for
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_rows_and_relations_equal_the_orms():
    given = [SkuFactory(spec={"颜色": "红", "尺码": "XL"}), SkuFactory(stock=0)]
    ids = [s.pk for s in given]
    orm = {s.pk: s for s in Sku.objects.select_related("product").filter(pk__in=ids)}

    with CaptureQueriesContext(connection) as ctx:
        found = JoinedRead(Sku, ["product"]).fetch("t0.id IN (%s, %s)", ids)
        read = {s.pk: (values(s), values(s.product)) for s in found}  # the product is read with its SKU
    assert len(ctx.captured_queries) == 1
    assert read == {pk: (values(s), values(s.product)) for pk, s in orm.items()}
    assert read[given[0].pk][0]["spec"] == {"颜色": "红", "尺码": "XL"}  # JSON through the field's converter
    assert not found[0]._state.adding and found[0]._state.db == "default"  # saved as a loaded instance would be
    found[0].stock = 7
    found[0].save(update_fields=["stock"])
    assert Sku.objects.get(pk=found[0].pk).stock == 7


def test_a_missing_nullable_relation_is_none(store):
    client = api_client_for(store, user=None, scopes=["orders:read"])  # its creator was deleted
    with CaptureQueriesContext(connection) as ctx:
        (key,) = JoinedRead(ApiKey, ["store", "created_by"]).fetch("t0.store_id = %s", [store.pk])
        assert (key.store, key.created_by) == (store, None)
    assert len(ctx.captured_queries) == 1
    assert client.get("/api/v1/orders/").status_code == 200  # the key still acts for its store


def test_a_key_reads_its_creator_and_store_in_one_statement(store):
    user = UserFactory()
    client = api_client_for(store, user=user, scopes=["orders:read"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/orders/").status_code == 200
    key_reads = [q["sql"] for q in ctx.captured_queries if '"portal_apikey" t0' in q["sql"]]
    assert len(key_reads) == 1 and "JOIN" in key_reads[0]
    assert not [q for q in ctx.captured_queries if 'FROM "portal_user"' in q["sql"]]
