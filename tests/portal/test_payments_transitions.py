"""Portal's own state machines (payments, refunds, webhook deliveries) through `transition`: audit row on
success; on refusal nothing changed (status, audit rows, the money fields), and who is offered what."""

import pytest

from portal.models import Event, Payment, Refund
from portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import force_status
from tests.factories import MembershipFactory
from tests.transition_table import check_actions, check_table

pytestmark = pytest.mark.django_db

PAYMENT_STATES = ["pending", "succeeded", "failed", "closed"]
REFUND_STATES = ["pending", "succeeded", "failed"]
DELIVERY_STATES = ["pending", "succeeded", "failed"]


def make_payment(store, state: str) -> Payment:
    payment = Payment.objects.create(purpose="order", reference=f"P{Payment.objects.count()}", amount=990, store=store)
    force_status(payment, state)
    return payment


def test_payment_transition_table(store):
    def paid_at(payment: Payment):
        return Payment.objects.filter(pk=payment.pk).values_list("paid_at", "amount").get()

    check_table(
        lambda s: make_payment(store, s),
        {
            "succeed": ({"pending"}, "succeeded"),
            "fail": ({"pending"}, "failed"),
            "close": ({"pending"}, "closed"),
        },
        PAYMENT_STATES,
        unchanged=paid_at,
    )


def test_the_sandbox_cashier_offers_paying_only_a_pending_payment(store, merchant):
    payment = make_payment(store, "pending")
    actors = {"merchant": merchant, "buyer": "buyer:b1", "system": "system"}
    pay = {name: {"pay"} for name in actors}
    check_actions(payment, {"pending": pay}, actors, PAYMENT_STATES)


def test_refund_transition_table(store):
    payment = make_payment(store, "succeeded")

    def make(state: str) -> Refund:
        refund = Refund.objects.create(payment=payment, store=store, reference=payment.reference, amount=500)
        force_status(refund, state)
        return refund

    def money(refund: Refund):
        return (
            Refund.objects.filter(pk=refund.pk).values_list("succeeded_at", "amount").get(),
            Payment.objects.filter(pk=payment.pk).values_list("status", "amount").get(),
        )

    check_table(
        make, {"succeed": ({"pending"}, "succeeded"), "fail": ({"pending"}, "failed")}, REFUND_STATES, unchanged=money
    )


def test_no_one_acts_on_a_refund_by_hand(store, merchant, staff_user):
    """Refunds move with the provider's answer only: no page offers an action on one."""
    refund = Refund.objects.create(payment=make_payment(store, "succeeded"), store=store, reference="r", amount=1)
    check_actions(refund, {}, {"merchant": merchant, "staff": staff_user, "buyer": "buyer:b1"}, REFUND_STATES)


@pytest.fixture
def delivery(store, merchant):
    endpoint = WebhookEndpoint.objects.create(
        store=store, url="https://erp.example.com/hook", event_types=["order.paid"], created_by=merchant
    )
    event = Event.objects.create(store=store, type="order.paid", payload={"order_sn": "1"})
    return WebhookDelivery.objects.create(endpoint=endpoint, event=event)


def test_webhook_delivery_transition_table(delivery):
    def make(state: str) -> WebhookDelivery:
        fresh = WebhookDelivery.objects.create(endpoint=delivery.endpoint, event=delivery.event, attempts=2)
        force_status(fresh, state)
        return fresh

    def attempts(d: WebhookDelivery):
        return WebhookDelivery.objects.filter(pk=d.pk).values_list("attempts", "finished_at").get()

    check_table(
        make,
        {"succeed": ({"pending"}, "succeeded"), "give_up": ({"pending"}, "failed")},
        DELIVERY_STATES,
        unchanged=attempts,
    )


def test_a_member_may_give_up_a_pending_delivery(delivery, merchant, staff_user):
    actors = {"merchant": merchant, "stranger": MembershipFactory().user, "buyer": "buyer:b1"}
    check_actions(delivery, {"pending": {"merchant": {"give_up"}}}, actors, DELIVERY_STATES)
