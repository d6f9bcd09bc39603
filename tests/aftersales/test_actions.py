"""The after-sales request's state machine through `transition` (audit row on success; nothing changed on
refusal: status, audit, the item's refunded amount), and who is offered what (available_actions)."""

import pytest

from aftersales.models import AftersalesRequest, AftersalesStatus
from portal.exceptions import IllegalTransition
from portal.fsm import transition
from tests.conftest import force_status
from tests.factories import MembershipFactory, UserFactory
from tests.transition_table import check_actions, check_edits, check_table

from .conftest import make_order

pytestmark = pytest.mark.django_db

STATES = [s.value for s in AftersalesStatus]
# refund only, no return waybill
ALLOWED = {
    "approve": ({"requested"}, "approved"),
    "reject": ({"requested", "return_received"}, "rejected"),
    "mark_refunded": ({"approved"}, "refunded"),
    "escalate": ({"rejected"}, "in_intervention"),
    "decide": ({"in_intervention"}, "decided"),
    "cancel": ({"requested", "approved", "awaiting_return", "rejected"}, "cancelled"),
    "close": ({"awaiting_return", "rejected"}, "closed"),
    "await_return": (set(), "awaiting_return"),
    "ship_resend": (set(), "resent"),
    "propose_offer": ({"requested"}, "negotiating"),
    "decline_offer": ({"negotiating"}, "requested"),
}


@pytest.fixture
def order(store):
    return make_order(store)


def request_in(order, state: str, type: str = "refund_only", **fields) -> AftersalesRequest:
    item = order.items.get()
    req = AftersalesRequest.objects.create(
        request_sn=f"AS{AftersalesRequest.objects.count() + 1:020d}", store=order.store, order=order, item=item,
        buyer_ref=order.buyer_ref, type=type, reason="damaged", amount=1000, **fields,
    )  # fmt: skip
    force_status(req, state)
    return req


def test_request_transition_table(order):
    item = order.items.get()
    check_table(
        lambda state: request_in(order, state),
        ALLOWED,
        STATES,
        kwargs={"propose_offer": {"amount": 500, "note": "x"}},
        unchanged=lambda req: type(item).objects.get(pk=item.pk).refunded_amount,
    )


def test_request_edits_keep_the_state_and_are_audited_by_verb(order):
    item = order.items.get()

    def refunded(req):
        return type(item).objects.get(pk=item.pk).refunded_amount, AftersalesRequest.objects.get(pk=req.pk).amount

    check_edits(lambda state: request_in(order, state), {"revise": {"requested"}}, STATES, unchanged=refunded)
    # the return waybill: submitted once while awaiting the return, then its delivery is tracked
    check_edits(
        lambda state: request_in(order, state, "return_refund"),
        {"submit_return": {"awaiting_return"}, "track_return_delivered": set()},
        STATES,
        kwargs={"submit_return": {"courier_code": "SF", "waybill_no": "SF1234567890123"}},
    )
    check_edits(
        lambda state: request_in(order, state, "return_refund", return_waybill_no="SF1234567890123"),
        {"submit_return": set(), "track_return_delivered": {"awaiting_return"}},
        STATES,
    )


def test_accepting_an_offer_needs_one(order):
    check_table(
        lambda state: request_in(order, state, offer_amount=500),
        {"accept_offer": ({"negotiating"}, "approved")},
        STATES,
    )
    req = request_in(order, "negotiating")
    with pytest.raises(IllegalTransition):
        transition(req, "accept_offer", by="test")


def test_return_types_await_the_return_and_receive_it_with_a_waybill(order):
    check_table(
        lambda state: request_in(order, state, "return_refund", return_waybill_no="SF1234567890123"),
        {"receive_return": ({"awaiting_return"}, "return_received"), "await_return": ({"approved"}, "awaiting_return")},
        STATES,
    )


MERCHANT = {
    "requested": {"approve", "reject", "negotiate"},
    "return_received": {"reject"},
}
BUYER = {
    "requested": {"update", "cancel"},
    "negotiating": {"accept_offer", "decline_offer"},
    "approved": {"cancel"},
    "awaiting_return": {"cancel", "submit_return"},
    "rejected": {"cancel", "escalate"},
}


def test_who_is_offered_what_on_a_refund_only_request(order, merchant, staff_user):
    req = request_in(order, "requested", offer_amount=500)
    actors = {
        "merchant": merchant,
        "buyer": "buyer:b1",
        "staff": staff_user,
        "stranger": MembershipFactory().user,
        "clerk": UserFactory(is_staff=True),
    }
    table = {
        s: {
            "merchant": MERCHANT.get(s, set()),
            "buyer": BUYER.get(s, set()),
            "staff": {"decide"} if s == "in_intervention" else set(),
        }
        for s in STATES
    }
    check_actions(req, table, actors, STATES)


def test_the_merchant_is_offered_the_return_address_receipt_and_the_exchange_shipment(order, merchant):
    exchange = request_in(order, "approved", "exchange")
    check_actions(
        exchange,
        {"approved": {"m": {"return_address"}}, "return_received": {"m": {"reject", "ship"}}},
        {"m": merchant},
        ["approved", "return_received"],
    )
    with_waybill = request_in(order, "awaiting_return", "return_refund", return_waybill_no="SF1234567890123")
    check_actions(with_waybill, {"awaiting_return": {"m": {"receive"}}}, {"m": merchant}, ["awaiting_return"])
    resend = request_in(order, "approved", "resend")
    check_actions(resend, {"approved": {"m": {"ship"}}}, {"m": merchant}, ["approved"])
