"""Settlement ledger: credits after completion, settlement after the period, debits, adjustments.
Balances always equal the sum of entries."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import ValidationFailed
from portal.models import Notification
from portal.sweeps import SWEEPS
from shop.models import PayoutEntry
from shop.selectors.funds import payout_balances
from shop.services.funds import payout_adjust, payout_debit, payouts_credit_completed, payouts_settle_due
from tests.conftest import force_status
from tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def completed_order(store, paid=10000, refunded=0, at=None):
    order = OrderFactory(store=store, paid_amount=paid)
    OrderItemFactory(order=order, paid_amount=paid, refunded_amount=refunded)
    force_status(order, "completed")
    type(order).objects.filter(pk=order.pk).update(completed_at=at or timezone.now())
    return order


def assert_balances_are_sums(store):
    balances = payout_balances(store)
    for bucket in ("pending", "available"):
        total = PayoutEntry.objects.filter(store=store, bucket=bucket).aggregate(s=Sum("amount"))["s"] or 0
        assert balances[bucket] == total
    return balances


def test_completed_orders_credit_pending_then_settle_after_the_period(
    store, other_store, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    completed_order(store, paid=10000)
    completed_order(store, paid=5000, refunded=2000)
    OrderFactory(store=store, paid_amount=9999)  # not completed: nothing
    completed_order(other_store, paid=7000)

    with django_capture_on_commit_callbacks(execute=True):
        assert SWEEPS["payouts"]() == 3
    assert SWEEPS["payouts"]() == 0  # idempotent
    assert assert_balances_are_sums(store) == {"pending": 13000, "available": 0}
    assert Notification.objects.filter(store=store, kind="payout.changed").exists()

    time_machine.shift(timedelta(days=7) - timedelta(seconds=1))
    assert payouts_settle_due() == 0
    time_machine.shift(timedelta(seconds=1))
    assert payouts_settle_due() == 3
    assert payouts_settle_due() == 0
    assert assert_balances_are_sums(store) == {"pending": 0, "available": 13000}
    assert assert_balances_are_sums(other_store) == {"pending": 0, "available": 7000}


def test_settlement_period_is_configurable(store, settings, time_machine):
    settings.PORTAL_TIME_RULES = {**settings.PORTAL_TIME_RULES, "settlement_period": timedelta(days=1)}
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    completed_order(store)
    payouts_credit_completed()
    time_machine.shift(timedelta(days=1))
    assert payouts_settle_due() == 1


def test_a_refund_while_pending_comes_out_of_the_pending_credit(store, merchant, time_machine):
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    order = completed_order(store, paid=10000)
    payouts_credit_completed()
    entry = payout_debit(
        store=store,
        amount=3000,
        reason="售后退款",
        by=merchant,
        ref_type="order",
        ref_id=order.pk,
        ref_label=order.order_sn,
    )
    assert (entry.bucket, entry.amount) == ("pending", -3000)
    time_machine.shift(timedelta(days=7))
    payouts_settle_due()
    assert assert_balances_are_sums(store) == {"pending": 0, "available": 7000}
    # after settlement a debit comes out of the available balance, which may go negative
    payout_debit(store=store, amount=9000, reason="平台判定", by="support", ref_type="order", ref_id=order.pk)
    assert assert_balances_are_sums(store) == {"pending": 0, "available": -2000}


def test_a_fully_refunded_order_settles_as_a_zero_pair(store, time_machine):
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    order = completed_order(store, paid=10000)
    payouts_credit_completed()
    payout_debit(store=store, amount=10000, reason="退款", by="system", ref_type="order", ref_id=order.pk)
    time_machine.shift(timedelta(days=8))
    assert payouts_settle_due() == 1
    assert payouts_settle_due() == 0
    assert assert_balances_are_sums(store) == {"pending": 0, "available": 0}


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_bad_debit_amounts_change_nothing(store, amount):
    with pytest.raises(ValidationFailed) as err:
        payout_debit(store=store, amount=amount, reason="x", by="system")
    assert "amount" in err.value.fields
    assert not PayoutEntry.objects.exists()


def test_entries_are_append_only(store):
    entry = payout_adjust(store=store, bucket="available", amount=500, reason="补差", by="finance")
    entry.amount = 1
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_adjustment_corrects_an_entry_of_the_same_store_only(store, other_store):
    wrong = payout_debit(store=store, amount=800, reason="误扣", by="system", ref_type="order", ref_id="1")
    fix = payout_adjust(store=store, bucket="available", amount=800, reason="冲正误扣", by="finance", corrects=wrong)
    assert (fix.kind, fix.corrects, fix.ref_id) == ("adjustment", wrong, "1")
    assert assert_balances_are_sums(store)["available"] == 0
    with pytest.raises(ValidationFailed):
        payout_adjust(store=other_store, bucket="available", amount=800, reason="x", by="finance", corrects=wrong)
    assert PayoutEntry.objects.count() == 2


def test_funds_page_shows_balances_and_linked_causes(merchant_client, store, other_store):
    payout_debit(store=store, amount=1234, reason="赔付", by="system", kind="compensation")
    payout_debit(store=other_store, amount=999, reason="别人的", by="system")
    response = merchant_client.get(reverse("shop:funds"))
    assert response.status_code == 200
    assert response.context["balances"] == {"pending": 0, "available": -1234}
    body = response.content.decode()
    assert "-¥12.34" in body
    assert "别人的" not in body


def test_funds_csv_export_is_scoped_to_the_store(merchant_client, store, other_store):
    payout_adjust(store=store, bucket="available", amount=500, reason="补差", by="finance")
    payout_adjust(store=other_store, bucket="available", amount=700, reason="别人的", by="finance")
    response = merchant_client.get(reverse("shop:funds"), {"format": "csv"})
    content = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "5.00" in content and "补差" in content
    assert "别人的" not in content


def test_funds_page_queries_stay_constant(merchant_client, store, django_assert_max_num_queries):
    for n in range(3):
        payout_adjust(store=store, bucket="available", amount=100 + n, reason="x", by="finance")
    # 14: with the withdrawal card (its sanctions and the last withdrawals)
    with django_assert_max_num_queries(14):
        merchant_client.get(reverse("shop:funds"))
    for n in range(40):
        payout_adjust(store=store, bucket="available", amount=100 + n, reason="x", by="finance")
    with django_assert_max_num_queries(14):
        merchant_client.get(reverse("shop:funds"))


def test_finance_adds_a_compensating_entry_in_the_admin(admin_client, store):
    wrong = payout_debit(store=store, amount=800, reason="误扣", by="system")
    response = admin_client.post(
        reverse("admin:shop_payoutentry_add"),
        {"store": store.pk, "bucket": "available", "amount": "800", "reason": "冲正", "corrects": wrong.pk},
    )
    assert response.status_code == 302
    assert assert_balances_are_sums(store)["available"] == 0
    fix = PayoutEntry.objects.get(kind="adjustment")
    assert (fix.actor_label, fix.corrects) == ("staff", wrong)
    # no edits: the change page is read-only
    admin_client.post(reverse("admin:shop_payoutentry_change", args=[wrong.pk]), {"amount": "1"})
    wrong.refresh_from_db()
    assert wrong.amount == -800


def test_admin_refuses_a_zero_or_unexplained_adjustment(admin_client, store):
    response = admin_client.post(
        reverse("admin:shop_payoutentry_add"), {"store": store.pk, "bucket": "available", "amount": "0", "reason": ""}
    )
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"amount", "reason"}
    assert not PayoutEntry.objects.exists()


def test_funds_page_shows_the_deposit_from_its_ledger(merchant_client, store, django_capture_on_commit_callbacks):
    from shop.selectors.stores import required_deposit
    from shop.services.deposit import deposit_top_up

    with django_capture_on_commit_callbacks(execute=True):
        deposit_top_up(store=store, amount=12345, by="finance", ref="T1")
    response = merchant_client.get(reverse("shop:funds"))
    deposit = response.context["deposit"]
    assert (deposit.balance, deposit.shortfall) == (12345, required_deposit(store) - 12345)
    assert "¥123.45" in response.content.decode()


def test_finance_staff_see_and_correct_payouts(client, store):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    finance = UserFactory(username="fin", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)
    wrong = payout_debit(store=store, amount=800, reason="误扣", by="system")
    assert client.get(reverse("admin:shop_payoutentry_changelist")).status_code == 200
    response = client.post(
        reverse("admin:shop_payoutentry_add"),
        {"store": store.pk, "bucket": "available", "amount": "800", "reason": "冲正", "corrects": wrong.pk},
    )
    assert response.status_code == 302
    assert assert_balances_are_sums(store)["available"] == 0


def test_a_penalty_takes_the_available_payouts_first_then_the_deposit(store, django_capture_on_commit_callbacks):
    from shop.selectors.stores import deposit_balance
    from shop.services.deposit import deposit_top_up
    from shop.services.funds import penalty_charge

    with django_capture_on_commit_callbacks(execute=True):
        deposit_top_up(store=store, amount=100000, by="finance", ref="T1")
        payout_adjust(store=store, bucket="available", amount=1500, reason="期初", by="finance")
        payout, deposit = penalty_charge(
            store=store, amount=2000, reason="虚假发货赔付", by="system", ref_type="order", ref_id=7, ref_label="X-7"
        )
    assert (payout.kind, payout.amount, deposit.amount, deposit.ref) == ("compensation", -1500, 500, "order:X-7")
    assert assert_balances_are_sums(store)["available"] == 0
    assert deposit_balance(store) == 100000 - 500
    with django_capture_on_commit_callbacks(execute=True):
        payout, deposit = penalty_charge(store=store, amount=300, reason="延迟发货", by="system")
    assert payout is None and deposit.amount == 300


def test_a_refund_after_the_credit_is_debited_from_the_payouts(store, time_machine, django_capture_on_commit_callbacks):
    from portal.models import Payment
    from portal.payments.services import refund_create

    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    before = completed_order(store, paid=10000, refunded=0)
    after = completed_order(store, paid=8000)
    payments = {}
    for order in (before, after):
        payments[order.pk] = Payment.objects.create(
            purpose="order", reference=order.order_sn, amount=order.paid_amount, store_id=store.pk
        )
        force_status(payments[order.pk], "succeeded")
    # a refund made before the credit: the credit leaves it out (paid − refunded), no debit
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(payment=payments[before.pk], amount=1000, reference="AS1", reason="质量问题", by="system")
        before.items.update(refunded_amount=1000)
    time_machine.shift(timedelta(minutes=1))
    payouts_credit_completed()
    # a refund after the credit: debited from the pending credit
    time_machine.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(payment=payments[after.pk], amount=500, reference="AS2", reason="破损", by="system")
    debit = PayoutEntry.objects.get(kind="debit")
    assert (debit.amount, debit.bucket, debit.ref_label) == (-500, "pending", after.order_sn)
    assert assert_balances_are_sums(store) == {"pending": 9000 + 7500, "available": 0}


def test_entries_link_to_their_cause(merchant_client, store, time_machine):
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    order = completed_order(store)
    payouts_credit_completed()
    body = merchant_client.get(reverse("shop:funds")).content.decode()
    assert f'href="{reverse("shop:order_detail", args=[order.order_sn])}"' in body


def test_funds_filter_by_kind_survives_paging(merchant_client, store):
    for n in range(55):
        payout_adjust(store=store, bucket="available", amount=100 + n, reason="x", by="finance")
    payout_debit(store=store, amount=5, reason="y", by="system")
    page = merchant_client.get(reverse("shop:funds"), {"kind": "adjustment"})
    assert all(e.kind == "adjustment" for e, _url in page.context["rows"])
    assert "?kind=adjustment&page=2" in page.content.decode()


def test_the_payouts_sweep_reads_only_what_is_due(store, time_machine, django_assert_num_queries, monkeypatch):
    """Credited and settled orders leave the sweep's partial indexes: an idle tick is two index reads whatever the
    history, and orders with nothing to credit (fully refunded before completion) are marked too, so a batch of them
    never blocks the queue."""
    from shop.services import funds

    monkeypatch.setattr(funds, "BATCH", 2)
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    refunded = [
        completed_order(store, paid=5000, refunded=5000, at=timezone.now() - timedelta(hours=1)) for _ in range(3)
    ]
    owed = completed_order(store, paid=10000)
    ticks = [payouts_credit_completed() for _ in range(3)]
    assert ticks == [0, 1, 0]  # two refunded orders, then the last refunded one and the owed one, then nothing
    owed.refresh_from_db()
    assert owed.payout_credited_at and owed.payout_available_at == owed.completed_at + timedelta(days=7)
    assert PayoutEntry.objects.filter(ref_id__in=[str(o.pk) for o in refunded]).count() == 0
    assert all(type(o).objects.get(pk=o.pk).payout_settled_at for o in refunded)  # nothing to settle either
    with django_assert_num_queries(2):  # the uncredited and the unsettled partial indexes, nothing else
        assert payouts_credit_completed() + payouts_settle_due() == 0
    time_machine.shift(timedelta(days=7))
    assert payouts_settle_due() == 1
    owed.refresh_from_db()
    assert owed.payout_settled_at is not None
    with django_assert_num_queries(2):
        assert payouts_credit_completed() + payouts_settle_due() == 0
    assert assert_balances_are_sums(store) == {"pending": 0, "available": 10000}
