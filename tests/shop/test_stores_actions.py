"""The store, product, compensation and group-buy state machines through `transition` (audit row on success,
nothing changed on refusal: status, audit, deposit ledger), and who is offered what (available_actions)."""

import pytest
from django.contrib.auth.models import Group

from shop.models import DepositEntry, Store, StoreStatus
from shop.models.orders import Compensation, GroupBuy
from tests.conftest import force_status
from tests.factories import MembershipFactory, OrderFactory, ProductFactory, SkuFactory, UserFactory
from tests.transition_table import check_actions, check_table

pytestmark = pytest.mark.django_db

STORE_STATES = [s.value for s in StoreStatus]
STORE_ALLOWED = {
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"submitted"}, "approved"),
    "reject": ({"submitted"}, "rejected"),
    "mark_deposit_paid": ({"approved"}, "deposit_paid"),
    "sign_agreement": ({"deposit_paid"}, "agreement_signed"),
    "open": ({"agreement_signed"}, "open"),
    "suspend": ({"open"}, "suspended"),
    "reinstate": ({"suspended"}, "open"),
    "start_closing": ({"open", "suspended"}, "closing"),
    "close": ({"closing"}, "closed"),
}


def test_store_transition_table(store):
    def make(state: str) -> Store:
        force_status(store, state)
        return store

    check_table(make, STORE_ALLOWED, STORE_STATES, unchanged=lambda s: DepositEntry.objects.filter(store=s).count())


PAYABLE = {"approved", "deposit_paid", "agreement_signed", "open", "suspended"}
OPENED = {"open", "suspended", "closing", "closed"}  # the owner withdraws available payouts (提现)
STORE_ACTIONS = {
    state: {
        "owner": {"draft": {"edit_application", "submit"}, "rejected": {"edit_application", "submit"}}.get(state)
        or {"approved": {"pay_deposit"}, "deposit_paid": {"sign_agreement"}}.get(state, set())
        | ({"withdraw"} if state in OPENED else set()),
        "operator": {"edit_application", "submit"} if state in ("draft", "rejected") else set(),
        "reviewer": {"review"}
        if state == "submitted"
        else ({"suspend"} if state == "open" else set()) | ({"reinstate"} if state == "suspended" else set()),
        "finance": ({"transfer"} if state in PAYABLE else set())
        | ({"close"} if state in ("open", "suspended") else set())
        | ({"approve_refund", "reject_refund", "reopen_refund"} if state == "closing" else set()),
    }
    for state in STORE_STATES
}


def staff_in(group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_who_is_offered_what_on_a_store(store, merchant):
    operator = MembershipFactory(store=store, role="operator").user
    actors = {
        "owner": merchant,
        "operator": operator,
        "reviewer": staff_in("reviewer"),
        "finance": staff_in("finance"),
        "stranger": MembershipFactory().user,
        "buyer": "buyer:b1",
    }
    check_actions(store, STORE_ACTIONS, actors, STORE_STATES)


def test_product_transition_table(store):
    product = ProductFactory(store=store)
    SkuFactory(product=product)

    def make(state: str):
        force_status(product, state)
        return product

    check_table(
        make,
        {"put_on_sale": ({"draft", "off_shelf"}, "on_sale"), "take_off_shelf": ({"on_sale"}, "off_shelf")},
        ["draft", "on_sale", "off_shelf"],
    )
    check_actions(
        product,
        {
            "draft": {"merchant": {"put_on_sale"}},
            "off_shelf": {"merchant": {"put_on_sale"}},
            "on_sale": {"merchant": {"take_off_shelf"}},
        },
        {"merchant": store.memberships.get().user, "stranger": MembershipFactory().user},
        ["draft", "on_sale", "off_shelf"],
    )


def test_compensation_transition_table(store):
    order = OrderFactory(store=store)

    def make(state: str) -> Compensation:
        Compensation.objects.filter(order=order).delete()
        c = Compensation.objects.create(
            store=store, order=order, buyer_ref=order.buyer_ref, kind="late_shipping", amount=300
        )
        force_status(c, state)
        return c

    states = ["pending", "settled", "waived"]
    allowed = {"settle": ({"pending"}, "settled"), "waive": ({"pending"}, "waived")}
    check_table(make, allowed, states, unchanged=lambda c: DepositEntry.objects.filter(store=store).count())
    check_actions(
        make("pending"),
        {"pending": {"finance": {"settle", "waive"}}},
        {"finance": staff_in("finance"), "reviewer": staff_in("reviewer"), "merchant": store.memberships.get().user},
        states,
    )


def test_group_buy_transition_table(store):
    product = ProductFactory(store=store)

    def make(state: str) -> GroupBuy:
        g = GroupBuy.objects.create(
            store=store, product=product, leader_ref="b1", size=2, expires_at=product.created_at
        )
        force_status(g, state)
        return g

    check_table(make, {"form": ({"open"}, "formed"), "fail": ({"open"}, "failed")}, ["open", "formed", "failed"])
