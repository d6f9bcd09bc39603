"""Penalties have one funding rule (DOMAIN.md: from the payouts and/or the deposit): `funds.penalty_charge`,
the available payouts first, then the deposit. Compensations and platform decisions both go through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import Compensation, DepositEntry, PayoutEntry
from shop.selectors.funds import payout_balances
from shop.services.funds import payout_adjust
from shop.services.orders import compensate_late_shipping
from tests.shop.orders_support import on_sale_sku, pay, place


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def test_a_late_shipping_compensation_is_paid_from_the_payouts_before_the_deposit(store, clock):
    # given a store with ¥3 available in payouts and a paid order past its ship-by time
    payout_adjust(store=store, bucket="available", amount=300, reason="期初", by="finance")
    pay(place(store, on_sale_sku(store, price=50000, group_price=40000)))
    clock.move_to(timezone.now() + timedelta(hours=49), tick=False)
    # when the sweep compensates the buyer (¥5)
    assert compensate_late_shipping() == 1
    # then the payouts pay ¥3 and the deposit the remaining ¥2
    compensation = Compensation.objects.get()
    assert compensation.status == "settled" and compensation.amount == 500
    charged = PayoutEntry.objects.get(store=store, kind="compensation")
    assert charged.amount == -300 and charged.ref_type == "compensation" and charged.ref_id == str(compensation.pk)
    deducted = DepositEntry.objects.get(store=store, kind="deduct")
    assert deducted.amount == 200 and deducted.ref == f"compensation:{compensation.pk}"
    assert payout_balances(store)["available"] == 0


def test_a_platform_decision_penalty_is_paid_from_the_payouts_first(escalated_request, staff_user):
    from aftersales.services import aftersales_decide

    store = escalated_request.store
    payout_adjust(store=store, bucket="available", amount=10000, reason="期初", by="finance")
    aftersales_decide(request=escalated_request, decision="full_refund", deposit_deduction=700, by=staff_user)
    charged = PayoutEntry.objects.get(store=store, kind="compensation")
    assert charged.amount == -700 and charged.ref_label == escalated_request.request_sn
    assert not DepositEntry.objects.filter(store=store, kind="deduct").exists()


@pytest.fixture
def escalated_request(store, merchant):
    from aftersales import services
    from tests.aftersales.conftest import make_order

    order = make_order(store)
    item = order.items.get()
    req = services.aftersales_open(
        order=order, item_id=item.pk, buyer_ref=order.buyer_ref, type="refund_only", reason="quality", amount=1000,
        by="buyer",
    )  # fmt: skip
    req = services.aftersales_reject(request=req, reason="no", by=merchant)
    return services.aftersales_escalate(request=req, buyer_ref=order.buyer_ref, reason="商家拒绝无理", by="buyer")
