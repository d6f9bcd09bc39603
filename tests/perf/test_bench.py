"""The bench command runs end to end on a small volume and leaves the database unchanged (not timed)."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import User
from shop.models import Order, Store

pytestmark = pytest.mark.django_db


def test_bench_runs_and_rolls_back():
    out = StringIO()
    call_command("bench", orders=300, repeat=1, stdout=out)
    report = out.getvalue()
    assert "Seeded 300 orders" in report
    for name in ("dashboard.todo", "dashboard.charts 90d", "page / (dashboard)", "page order list"):
        assert name in report
    assert "Rolled back" in report
    assert not Order.objects.exists()
    assert not Store.objects.exists()
    assert not User.objects.filter(username__startswith="bench-").exists()
