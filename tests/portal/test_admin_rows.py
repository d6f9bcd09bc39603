"""`LargeTableAdmin` writes its changelist rows per page (`portal.templatetags.admin_rows`): the table is the
one Django's own `{% result_list %}` writes, cell for cell, for every big table."""

import re

import pytest
from django.db import connection

from aftersales.bench import cases, dataset
from portal.actors import Actor
from portal.admin_scale import LargeTableAdmin
from portal.sweeps import run_all
from shop.models import Store
from shop.services.funds import payout_adjust
from tests.portal.test_admin_scale import CHANGELISTS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the rows come from the bench's PostgreSQL data set"),
]


def table(response, url: str) -> str:
    assert response.status_code == 200
    found = re.search(r'<table id="result_list">.*?</table>', response.content.decode(), re.S)
    assert found, f"{url} shows no rows"
    return found.group(0)


def test_every_big_tables_rows_are_djangos_own(admin_client, monkeypatch):
    # given every table of the changelists filled (orders, parcels, scans, after-sales, reviews, payments, ledgers)
    ds = dataset.build(dataset.Size(orders=600, stores=6, big=200), log=lambda line: None)
    cases.make_due(ds, {"late": 20, "hard_limit": 10})  # late: compensations and ledger entries; hard limit: refunds
    run_all()
    for amount in (1200, -300):  # payout entries: the bench credits no payouts
        payout_adjust(store=Store.objects.get(pk=ds.big_store_id), bucket="available", amount=amount, reason="调账",
                      by=Actor.system())  # fmt: skip
    for url in CHANGELISTS:
        for params in ({}, {"o": "-2"}, {"_popup": "1"}):
            if "trackingevent" not in url:
                params = {"store": ds.big_store_id, **params}
            # when the changelist is written by our rows and by Django's change_list.html
            ours = table(admin_client.get(url, params), url)
            with monkeypatch.context() as patch:
                patch.setattr(LargeTableAdmin, "change_list_template", None)
                theirs = table(admin_client.get(url, params), url)
            # then the tables are the same, and row links keep the changelist's filters
            assert ours == theirs, (url, params)
            assert "store" not in params or "?_changelist_filters=store" in ours, (url, params)
