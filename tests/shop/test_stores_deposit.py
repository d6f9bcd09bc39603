"""The deposit: rule table, ledger arithmetic, payments, offline transfers, penalties, freezes."""

import importlib

import pytest
from django.apps import apps

from portal import sms
from portal.exceptions import Conflict, DomainError, PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Payment
from shop.models import Category, DepositEntry, DepositRule
from shop.selectors.stores import deposit_balance, deposit_summary, required_deposit
from shop.services.deposit import (
    deposit_deduct,
    deposit_freeze,
    deposit_payment_start,
    deposit_record_transfer,
    deposit_top_up,
    deposit_unfreeze,
)
from tests.factories import MembershipFactory
from tests.shop.store_helpers import approved_store, draft_store, open_store, owner_of, pay_deposit, staff

pytestmark = pytest.mark.django_db


def seed_rules():
    """Run the data migration's seeding (idempotent) so these tests see the shipped rule table."""
    migration = importlib.import_module("shop.migrations.0004_onboarding_seed")
    migration.seed(apps, None)


@pytest.mark.parametrize(
    ("store_type", "kind", "category", "expected"),
    [
        ("individual", "", "home", 200_000),
        ("individual", "", "fresh", 500_000),
        ("sole_proprietor", "", "apparel", 200_000),
        ("enterprise", "ordinary", "home", 100_000),
        ("enterprise", "flagship", "digital", 1_000_000),
        ("enterprise", "specialty", "crossborder", 2_000_000),
        ("enterprise", "exclusive", "fresh", 500_000),
    ],
)
def test_seeded_rule_table_gives_realistic_amounts(store_type, kind, category, expected):
    seed_rules()
    membership = MembershipFactory(
        store__store_type=store_type,
        store__enterprise_kind=kind,
        store__main_category=Category.objects.get(code=category),
    )
    assert required_deposit(membership.store) == expected


def test_most_specific_active_rule_wins_and_no_rule_is_a_clear_error():
    DepositRule.objects.all().delete()
    store = MembershipFactory(store__enterprise_kind="flagship").store
    with pytest.raises(DomainError) as exc:
        required_deposit(store)
    assert exc.value.code == "no_deposit_rule"
    DepositRule.objects.create(store_type="enterprise", amount=100_000)
    DepositRule.objects.create(store_type="enterprise", enterprise_kind="flagship", amount=300_000)
    assert required_deposit(store) == 300_000
    category_rule = DepositRule.objects.create(store_type="enterprise", category=store.main_category, amount=800_000)
    assert required_deposit(store) == 800_000
    DepositRule.objects.filter(pk=category_rule.pk).update(is_active=False)
    assert required_deposit(store) == 300_000


def test_ledger_arithmetic_balance_frozen_available_and_shortfall():
    # given an open store holding its ¥1,000 deposit
    store = open_store()
    # when money moves in every way
    deposit_top_up(store=store, amount=20_000, by="finance", ref="BANK-9")
    deposit_freeze(store=store, amount=30_000, reason="售后纠纷", by="aftersales", ref="AS-1")
    deposit_deduct(store=store, amount=500, reason="延迟发货赔付", by="orders", ref="261121-000000000000001")
    deposit_unfreeze(store=store, amount=10_000, reason="纠纷结束", by="aftersales", ref="AS-1")
    # then the balance is the signed sum and frozen money stays in it but is not available
    summary = deposit_summary(store)
    assert summary.balance == deposit_balance(store) == 100_000 + 20_000 - 500
    assert summary.frozen == 20_000
    assert summary.available == 99_500
    assert summary.required == 100_000 and summary.shortfall == 500
    kinds = list(DepositEntry.objects.filter(store=store).order_by("id").values_list("kind", flat=True))
    assert kinds == ["pay", "top_up", "freeze", "deduct", "unfreeze"]


def test_deduction_may_leave_a_shortfall_and_tells_the_merchant_by_sms(django_capture_on_commit_callbacks):
    store = open_store()
    owner = owner_of(store)
    owner.phone = "13700000002"
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        entry = deposit_deduct(store=store, amount=150_000, reason="虚假发货赔付", by="orders", ref="O-1")
    assert entry.kind == "deduct" and entry.actor_label == "orders"
    assert deposit_balance(store) == -50_000
    assert deposit_summary(store).shortfall == 150_000
    assert any("扣除" in message for _phone, message in sms.outbox)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100", None, True])
def test_bad_amounts_are_refused_and_nothing_is_recorded(amount):
    store = open_store()
    before = DepositEntry.objects.count()
    for call in (deposit_deduct, deposit_freeze, deposit_unfreeze):
        with pytest.raises(ValidationFailed) as exc:
            call(store=store, amount=amount, reason="x", by="t")
        assert "amount" in exc.value.fields
    with pytest.raises(ValidationFailed):
        deposit_top_up(store=store, amount=amount, by="t")
    assert DepositEntry.objects.count() == before


def test_deduct_needs_a_reason_and_unfreeze_cannot_exceed_frozen():
    store = open_store()
    with pytest.raises(ValidationFailed):
        deposit_deduct(store=store, amount=100, reason=" ", by="t")
    deposit_freeze(store=store, amount=100, reason="x", by="t")
    with pytest.raises(ValidationFailed) as exc:
        deposit_unfreeze(store=store, amount=101, reason="x", by="t")
    assert exc.value.code == "unfreeze_exceeds_frozen"
    assert deposit_summary(store).frozen == 100


def test_paying_the_deposit_through_the_sandbox_moves_the_store_on_once():
    # given an approved store
    store = approved_store()
    # when the payment is opened twice (the merchant clicked back) then it is the same payment
    first = deposit_payment_start(store=store, by=owner_of(store))
    assert first.amount == 100_000 and deposit_payment_start(store=store, by=owner_of(store)) == first
    # when the sandbox confirms it
    store = pay_deposit(store)
    # then one pay entry, the store is deposit_paid, nothing more to pay
    assert store.status == "deposit_paid"
    assert list(DepositEntry.objects.filter(store=store).values_list("kind", "amount")) == [("pay", 100_000)]
    with pytest.raises(Conflict) as exc:
        deposit_payment_start(store=store, by=owner_of(store))
    assert exc.value.code == "deposit_not_due"


def test_offline_transfer_by_finance_part_payment_waits_for_the_rest():
    store = approved_store()
    finance = staff("finance")
    deposit_record_transfer(store=store, amount=40_000, ref="BANK-1", by=finance)
    store.refresh_from_db()
    assert store.status == "approved" and deposit_payment_start(store=store, by="t").amount == 60_000
    deposit_record_transfer(store=store, amount=60_000, ref="BANK-2", by=finance)
    store.refresh_from_db()
    assert store.status == "deposit_paid"
    assert list(DepositEntry.objects.filter(store=store).order_by("id").values_list("kind", flat=True)) == [
        "pay",
        "top_up",
    ]
    assert AuditEntry.objects.filter(object_id=store.pk, transition="mark_deposit_paid").count() == 1


def test_offline_transfer_needs_finance_and_a_bank_reference():
    store = approved_store()
    with pytest.raises(PermissionDenied):
        deposit_record_transfer(store=store, amount=100_000, ref="BANK-1", by=staff("reviewer"))
    with pytest.raises(ValidationFailed) as exc:
        deposit_record_transfer(store=store, amount=100_000, ref=" ", by=staff("finance", "fin2"))
    assert "ref" in exc.value.fields
    assert not DepositEntry.objects.exists()


def test_no_deposit_before_approval():
    store = draft_store()
    with pytest.raises(Conflict):
        deposit_payment_start(store=store, by=owner_of(store))
    with pytest.raises(Conflict):
        deposit_top_up(store=store, amount=100, by="t")
    assert not Payment.objects.exists() and not DepositEntry.objects.exists()


def test_a_deposit_paid_after_the_store_closed_goes_straight_back(django_capture_on_commit_callbacks):
    from portal.payments.providers import get_provider
    from portal.payments.services import payment_record_callback
    from shop.services.deposit import deposit_refund_approve
    from shop.services.stores import store_close

    # given a payment opened for a top-up, then the store closes before the payer confirms
    store = open_store()
    deposit_deduct(store=store, amount=1_000, reason="赔付", by="orders")
    payment = deposit_payment_start(store=store, by=owner_of(store))
    deposit_top_up(store=store, amount=1_000, by="finance", ref="BANK")
    with django_capture_on_commit_callbacks(execute=True):
        store_close(store=store, reason="关店", by="system")
        deposit_refund_approve(store=store, reason="", by="system")
    # when the late callback arrives
    provider = get_provider()
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record_callback(result=provider.parse_callback(*provider.callback_request(payment)))
    # then the payment is refunded and the closed store's ledger is untouched
    assert payment.refunds.get().status == "succeeded"
    assert deposit_balance(store) == 0
    assert not DepositEntry.objects.filter(payment=payment).exists()
