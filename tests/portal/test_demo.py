"""The demo tells a story: seeded, then one tick of every sweep, it has no fines, a short inbox and exactly
the handful of problems it was given on purpose."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from aftersales import selectors as aftersales_selectors
from aftersales.models import AftersalesRequest
from portal.models import Notification, User
from portal.sweeps import run_all
from shipping.models import Shipment, TrackingAction, TrackingEvent
from shop.models import Compensation, Order, Store
from shop.models.stores import DepositEntry

pytestmark = pytest.mark.django_db(transaction=True)  # the seeders commit: notifications go out on commit


def test_seeded_demo_has_its_deliberate_problems_and_one_sweep_tick_fines_nobody(client):
    # given the demo just seeded
    call_command("seed_demo", stdout=io.StringIO())
    store = Store.objects.get(name="拼拼优选旗舰店")
    now = timezone.now()

    # then every order the merchants shipped themselves has its courier's pickup scan
    self_shipped = Order.objects.filter(shipped_via="self", waybill_at__isnull=False)
    assert self_shipped.exists()
    scanned = set(TrackingEvent.objects.filter(action=TrackingAction.GOT).values_list("courier_code", "waybill_no"))
    assert {(o.courier_code, o.waybill_no.upper()) for o in self_shipped} <= scanned
    # and history was shipped on time, and no paid order is past (or within half an hour of) its ship-by
    assert not Order.objects.filter(shipped_at__gt=F("ship_by")).exists()
    assert not Order.objects.filter(status="paid", ship_by__lt=now + timedelta(minutes=30)).exists()
    # and the deliberate problems are there, once each: a late booking (the courier missed its pickup)
    assert {s.courier.code for s in Shipment.objects.filter(store=store, pickup_overdue=True)} == {"STO"}
    # an after-sales request close to its response deadline (and none past it)
    near = now + settings.PORTAL_TIME_RULES["aftersales_near_timeout"]
    requested = AftersalesRequest.objects.filter(store=store, status="requested")
    assert requested.filter(deadline_at__gt=now, deadline_at__lte=near).count() == 1
    assert not requested.filter(deadline_at__lte=now).exists()
    # and one review waiting for the merchant's reply
    assert aftersales_selectors.unanswered_reviews_count(store) == 1

    # when the scheduler's first tick runs every sweep once
    results = run_all()

    # then no sweep failed and nobody was fined: no compensation, no deposit deduction
    assert [name for name, changed in results.items() if changed < 0] == []
    assert list(Compensation.objects.values_list("order__store__name", "kind")) == []
    assert not DepositEntry.objects.filter(kind="deduct").exists()
    # and the merchant finds about ten unread messages, not a hundred
    merchant = User.objects.get(username="merchant")
    assert 5 <= Notification.objects.filter(user=merchant, read_at__isnull=True).count() <= 15
    # and the dashboard's first screen has no deposit to top up
    client.force_login(merchant)
    home = client.get("/")
    assert home.status_code == 200
    assert re.search(r"保证金待补缴</div>\s*<div[^>]*>¥0\.00<", home.content.decode())
