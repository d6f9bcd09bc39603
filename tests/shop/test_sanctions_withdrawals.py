"""Repeated violations (DOMAIN.md Stores): search demotion, then a withdrawal limit, then suspension; withdrawals
(提现) of available payouts, paid or sent back by finance with its own login."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict, PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Event
from shop.models import PayoutEntry, StoreSanction, Withdrawal
from shop.models.funds import PayoutBucket, PayoutKind
from shop.selectors.funds import payout_balances
from shop.selectors.stores import active_sanctions
from shop.services.evaluation import evaluation_run, sanction_lift
from shop.services.funds import withdrawal_pay, withdrawal_reject, withdrawal_request
from tests.aftersales.conftest import make_order
from tests.aftersales.test_reviews import review
from tests.shop.store_helpers import staff

pytestmark = pytest.mark.django_db
ACCOUNT = "6222 0212 3456 7890"


def available(store, amount):
    PayoutEntry.objects.create(
        store=store, kind=PayoutKind.SETTLE, bucket=PayoutBucket.AVAILABLE, amount=amount, actor_label="system"
    )


def fail_days(store, time_machine, days):
    review(make_order(store), scores=(1, 5, 5))
    for _ in range(days):
        evaluation_run()
        time_machine.move_to(timezone.now() + timedelta(days=1))


def test_the_ladder_demotes_then_limits_withdrawals_and_each_is_told(
    store, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail_days(store, time_machine, 2)
        assert not StoreSanction.objects.exists()
        fail_days(store, time_machine, 1)  # third failing day in a row
    assert [s.kind for s in active_sanctions(store)] == ["search_demotion"]
    assert active_sanctions(store)[0].reasons == ["描述相符评分"]
    fail_days(store, time_machine, 2)  # fifth
    assert sorted(s.kind for s in active_sanctions(store)) == ["search_demotion", "withdrawal_limit"]
    assert StoreSanction.objects.count() == 2  # one live sanction of a kind
    assert Event.objects.filter(type="store.sanctioned", store=store).count() >= 1


def test_the_ladder_is_a_setting_and_sanctions_end(store, time_machine, settings):
    settings.STORE_SANCTION_LADDER = {"withdrawal_limit": 1}
    settings.STORE_SANCTION_DAYS = 2
    fail_days(store, time_machine, 1)
    assert [s.kind for s in active_sanctions(store)] == ["withdrawal_limit"]
    assert active_sanctions(store, now=timezone.now() + timedelta(days=3)) == []


def test_a_withdrawal_leaves_the_available_payouts_and_finance_pays_it(store, merchant, client):
    available(store, 50000)
    w = withdrawal_request(store=store, amount=20000, account=ACCOUNT, by=merchant)
    assert (w.status, w.account, w.amount) == ("requested", "6222021234567890", 20000)
    assert payout_balances(store)["available"] == 30000
    assert AuditEntry.objects.filter(object_id=w.pk, transition="request").exists()
    with pytest.raises(PermissionDenied):
        withdrawal_pay(withdrawal=w, by=staff("support", "support_w"))
    finance = staff("finance", "finance_w")
    assert withdrawal_pay(withdrawal=w, by=finance).status == "paid"
    assert payout_balances(store)["available"] == 30000  # paying moves no balance


def test_a_sent_back_withdrawal_returns_its_amount(store, merchant):
    available(store, 50000)
    w = withdrawal_request(store=store, amount=20000, account=ACCOUNT, by=merchant)
    finance = staff("finance", "finance_r")
    with pytest.raises(ValidationFailed):
        withdrawal_reject(withdrawal=w, reason=" ", by=finance)
    w = withdrawal_reject(withdrawal=w, reason="账户名与店铺不符", by=finance)
    assert (w.status, w.reason) == ("rejected", "账户名与店铺不符")
    assert payout_balances(store)["available"] == 50000


@pytest.mark.parametrize(
    ("amount", "account", "code"),
    [
        (60000, ACCOUNT, "withdrawal_exceeds_available"),
        (50, ACCOUNT, "invalid_amount"),
        (1000, "abc", "invalid_account"),
    ],
)
def test_withdrawals_refused_with_a_clear_error_change_nothing(store, merchant, amount, account, code):
    available(store, 50000)
    with pytest.raises(ValidationFailed) as exc:
        withdrawal_request(store=store, amount=amount, account=account, by=merchant)
    assert exc.value.code == code
    assert not Withdrawal.objects.exists() and payout_balances(store)["available"] == 50000


def test_a_withdrawal_limit_refuses_withdrawals_until_lifted(store, merchant):
    available(store, 50000)
    sanction = StoreSanction.objects.create(
        store=store, kind="withdrawal_limit", reasons=["延迟发货率（%）"], ends_at=timezone.now() + timedelta(days=7)
    )
    with pytest.raises(Conflict) as exc:
        withdrawal_request(store=store, amount=1000, account=ACCOUNT, by=merchant)
    assert exc.value.code == "withdrawal_limited"
    sanction_lift(sanction=sanction, reason="已整改", by=staff("support", "support_l"))
    assert withdrawal_request(store=store, amount=1000, account=ACCOUNT, by=merchant).status == "requested"


def test_the_funds_page_withdraws_and_shows_a_limit(merchant_client, store):
    available(store, 50000)
    url = reverse("shop:funds")
    assert 'data-testid="withdraw"' in merchant_client.get(url).content.decode()
    refused = merchant_client.post(url, {"amount": "900", "account": ACCOUNT})
    assert refused.status_code == 400 and "可提现货款只有 500.00 元" in refused.content.decode()
    made = merchant_client.post(url, {"amount": "120.50", "account": ACCOUNT}, follow=True)
    page = made.content.decode()
    assert Withdrawal.objects.get().amount == 12050 and "提现申请已提交" in page and "**** 7890" in page
    StoreSanction.objects.create(store=store, kind="withdrawal_limit", ends_at=timezone.now() + timedelta(days=7))
    page = merchant_client.get(url).content.decode()
    assert 'data-testid="withdrawal-limited"' in page and 'data-testid="withdraw"' not in page
    evaluation = merchant_client.get(reverse("shop:evaluation")).content.decode()
    assert 'data-testid="sanctions"' in evaluation and "限制提现" in evaluation


def test_finance_pays_and_sends_back_in_the_admin_with_its_own_login(client, store, merchant):
    available(store, 50000)
    paid = withdrawal_request(store=store, amount=1000, account=ACCOUNT, by=merchant)
    back = withdrawal_request(store=store, amount=2000, account=ACCOUNT, by=merchant)
    client.force_login(staff("finance", "finance_a"))
    url = reverse("admin:shop_withdrawal_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "pay", "_selected_action": [paid.pk]})
    client.post(url, {"action": "reject", "_selected_action": [back.pk], "reason": "账号有误"})
    assert Withdrawal.objects.get(pk=paid.pk).status == "paid"
    assert (Withdrawal.objects.get(pk=back.pk).status, Withdrawal.objects.get(pk=back.pk).reason) == (
        "rejected", "账号有误",
    )  # fmt: skip
    assert payout_balances(store)["available"] == 49000
    client.force_login(staff("reviewer", "reviewer_a"))
    assert client.get(url).status_code == 403


def test_support_lifts_a_sanction_in_the_admin_with_its_own_login(client, store):
    sanction = StoreSanction.objects.create(
        store=store, kind="search_demotion", reasons=["描述相符评分"], ends_at=timezone.now() + timedelta(days=7)
    )
    client.force_login(staff("support", "support_admin"))
    url = reverse("admin:shop_storesanction_changelist")
    client.post(url, {"action": "lift", "_selected_action": [sanction.pk]})
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None and active_sanctions(store) == []
    assert AuditEntry.objects.filter(object_id=sanction.pk, transition="lift").exists()
