"""The bench command runs end to end on a tiny data set: the page, its floor and the admin agree (not timed)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.models import User
from shop.models import Order, Store

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench builds its data set with PostgreSQL SQL"),
]


def test_bench_builds_a_data_set_and_matches_every_floor():
    out = StringIO()
    call_command("bench", orders=600, stores=6, big=200, repeat=1, sweeps=True, api=3, stdout=out)
    report = out.getvalue()
    assert "Built 600 orders over 6 stores" in report
    for name in ("default", "tab paid", "tab aftersales", "search phone", "7-day date range", "admin: store + phone"):
        assert name in report
    assert "match the floor in every case" in report
    assert "minimal staff page for store + order number" in report
    assert "idle tick, all sweeps" in report and "Sweeps rolled back" in report
    assert "four order sweeps, 100k due" in report
    assert "order placement" in report and "minimal DRF create" in report and "placement / minimal" in report
    big = Store.objects.get(name="bench-big")
    assert Order.objects.filter(store=big).count() == 200
    assert User.objects.filter(username="bench-owner", memberships__store=big).exists()
    # a second run reuses the data set
    again = StringIO()
    call_command("bench", orders=600, stores=6, big=200, repeat=1, build_only=True, stdout=again)
    assert "Reusing the data set" in again.getvalue()


def test_bench_refuses_a_database_not_meant_for_it(settings, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "portal")
    with pytest.raises(CommandError, match="bench"):
        call_command("bench", orders=10, stores=2, big=5, stdout=StringIO())
