"""The order state machine: every transition from every status (audit row on success, nothing changed on
refusal), and who is offered what in each status (available_actions: merchant, buyer, staff, strangers)."""

from datetime import timedelta

import pytest

from portal.audit import timeline_for
from portal.exceptions import IllegalTransition
from portal.fsm import edit, transition
from portal.models import AuditEntry
from shop.models import Order, Sku
from shop.models.orders import OrderStatus
from tests.conftest import force_status
from tests.factories import MembershipFactory, OrderFactory, OrderItemFactory, UserFactory
from tests.transition_table import check_actions, check_edits, check_table

pytestmark = pytest.mark.django_db

STATES = [s.value for s in OrderStatus]
SHIPPING = {"shipped", "delivered"}
ALLOWED = {
    "pay": ({"pending_payment"}, "paid"),
    "pay_into_group": ({"pending_payment"}, "grouping"),
    "form_group": ({"grouping"}, "paid"),
    "cancel": ({"pending_payment", "grouping", "paid"}, "cancelled"),
    "ship": ({"paid"}, "shipped"),
    "deliver": ({"shipped"}, "delivered"),
    "complete": (SHIPPING, "completed"),
}
KWARGS = {
    "pay": {"ship_within": timedelta(hours=48)},
    "form_group": {"ship_within": timedelta(hours=48)},
    "ship": {"courier_code": "SF", "waybill_no": "SF1234567890123", "via": "self"},
}
# Same-state field edits (portal.fsm.edit): audited with their verb, no from/to state.
EDITS = {
    "reship": SHIPPING,
    "flag_fake_shipping": SHIPPING,
    "extend_receipt": SHIPPING,
    "set_risk_hold": set(STATES),
    "change_address": {"pending_payment", "grouping", "paid"},
    "change_buyer_note": {"pending_payment", "grouping", "paid"},
}
EDIT_KWARGS = {
    "reship": {"courier_code": "SF", "waybill_no": "SF1234567890124"},
    "set_risk_hold": {"hold": True},
    "change_buyer_note": {"buyer_note": "请用顺丰"},
}


def test_order_transition_table(store):
    item = OrderItemFactory(order__store=store)

    def make(state: str) -> Order:
        order = OrderFactory(store=store, receipt_deadline=item.order.created_at)
        force_status(order, state)
        return order

    def stock_and_ledgers(order: Order):
        return list(Sku.objects.order_by("pk").values_list("stock", flat=True)), order.compensations.count()

    check_table(make, ALLOWED, STATES, kwargs=KWARGS, unchanged=stock_and_ledgers)
    check_edits(make, EDITS, STATES, kwargs=EDIT_KWARGS, unchanged=stock_and_ledgers)


def test_the_receipt_window_is_extended_once(store):
    order = OrderFactory(store=store, receipt_extended=True)
    check_edits(lambda s: (force_status(order, s), order)[1], {"extend_receipt": set()}, ["shipped", "delivered"])


def test_an_edit_in_the_timeline_reads_as_its_verb(store):
    order = OrderFactory(store=store)
    force_status(order, "shipped")
    edit(order, "set_risk_hold", by="system", hold=True)
    assert [row.verb for row in timeline_for(order)] == ["风控状态变更"]


def test_a_risk_hold_rules_out_shipping(store):
    order = OrderFactory(store=store, risk_hold=True)
    check_table(lambda s: (force_status(order, s), order)[1], {"ship": (set(), "shipped")}, ["paid"], kwargs=KWARGS)


ACTIONS = {
    "pending_payment": {
        "merchant": {"cancel"},
        "buyer": {"buyer_cancel", "change_address", "change_buyer_note"},
        "staff": {"hold_for_risk", "cancel_and_refund"},
    },
    "grouping": {"buyer": {"change_address", "change_buyer_note"}, "staff": {"hold_for_risk"}},
    "paid": {
        "merchant": {"ship", "book", "cancel"},
        "buyer": {"buyer_cancel", "change_address", "change_buyer_note"},
        "staff": {"hold_for_risk", "cancel_and_refund"},
    },
    "shipped": {
        "merchant": {"reship"},
        "buyer": {"confirm_receipt", "extend_receipt"},
        "staff": {"hold_for_risk", "confirm_receipt", "mark_delivered"},
    },
    "delivered": {
        "merchant": {"reship"},
        "buyer": {"confirm_receipt", "extend_receipt"},
        "staff": {"hold_for_risk", "confirm_receipt"},
    },
    "completed": {},
    "cancelled": {},
}


@pytest.fixture
def actors(merchant, staff_user):
    stranger = MembershipFactory().user  # a member of another store
    return {"merchant": merchant, "buyer": "buyer:b1", "staff": staff_user, "stranger": stranger, "system": "system"}


def test_who_is_offered_what_in_each_status(store, actors):
    order = OrderFactory(store=store)
    check_actions(order, ACTIONS, actors, STATES)


def test_a_risk_hold_offers_release_instead_of_shipping(store, actors):
    order = OrderFactory(store=store, risk_hold=True)
    check_actions(
        order,
        {
            "paid": {
                "merchant": {"cancel"},
                "buyer": {"buyer_cancel", "change_address", "change_buyer_note"},
                "staff": {"release_risk_hold", "cancel_and_refund"},
            }
        },
        actors,
        ["paid"],
    )


def test_staff_without_order_permission_are_offered_nothing(store):
    clerk = UserFactory(is_staff=True)
    order = OrderFactory(store=store)
    check_actions(order, {}, {"clerk": clerk}, STATES)


def test_a_caller_still_naming_an_edit_as_a_transition_gets_the_edit(store):
    """`transition(order, "extend_receipt")` (written before edits left the FSM) runs `edit`: same audit row."""
    order = OrderFactory(store=store, receipt_deadline=OrderFactory(store=store).created_at)
    force_status(order, "paid")
    with pytest.raises(IllegalTransition):
        transition(order, "extend_receipt", by="buyer:b1")
    force_status(order, "shipped")
    transition(order, "extend_receipt", by="buyer:b1")
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.transition, entry.from_state, entry.to_state, entry.actor_kind) == (
        "extend_receipt",
        "",
        "",
        "storefront",
    )
    assert Order.objects.get(pk=order.pk).receipt_extended is True
