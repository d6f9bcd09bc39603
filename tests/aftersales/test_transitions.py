"""The after-sales state machine: which transition is allowed from which state (pure, in memory)."""

import pytest
from django_fsm import can_proceed

from aftersales.models import AftersalesRequest
from aftersales.models import AftersalesStatus as S
from aftersales.models import AftersalesType as T

ALLOWED = {
    # (transition, type, has_return_waybill): source states it is allowed from
    ("approve", T.REFUND_ONLY, False): {S.REQUESTED},
    ("reject", T.REFUND_ONLY, False): {S.REQUESTED, S.RETURN_RECEIVED},
    ("await_return", T.RETURN_REFUND, False): {S.APPROVED},
    ("await_return", T.REFUND_ONLY, False): set(),
    ("receive_return", T.RETURN_REFUND, True): {S.AWAITING_RETURN},
    ("receive_return", T.RETURN_REFUND, False): set(),
    ("mark_refunded", T.REFUND_ONLY, False): {S.APPROVED},
    ("mark_refunded", T.RETURN_REFUND, True): {S.RETURN_RECEIVED},
    ("mark_refunded", T.EXCHANGE, True): set(),
    ("ship_exchange", T.EXCHANGE, True): {S.RETURN_RECEIVED},
    ("ship_resend", T.RESEND, False): {S.APPROVED},
    ("ship_repaired", T.REPAIR, True): {S.RETURN_RECEIVED},
    ("ship_repaired", T.EXCHANGE, True): set(),
    ("ship_exchange", T.REPAIR, True): set(),
    ("await_return", T.REPAIR, False): {S.APPROVED},
    ("escalate", T.REFUND_ONLY, False): {S.REJECTED},
    ("decide", T.REFUND_ONLY, False): {S.IN_INTERVENTION},
    ("cancel", T.REFUND_ONLY, False): {S.REQUESTED, S.APPROVED, S.AWAITING_RETURN, S.REJECTED},
    ("cancel", T.RETURN_REFUND, True): set(),
    ("close", T.RETURN_REFUND, False): {S.AWAITING_RETURN, S.REJECTED},
}


@pytest.mark.parametrize(("name", "type", "waybill"), list(ALLOWED))
@pytest.mark.parametrize("source", list(S))
def test_transition_table(name, type, waybill, source):
    req = AftersalesRequest(type=type, status=source, return_waybill_no="SF1234567890123" if waybill else "")
    assert can_proceed(getattr(req, name)) is (source in ALLOWED[(name, type, waybill)])


EDITS = {
    # same-state edits (portal.fsm.edit), (verb, type, has_return_waybill): states `can_<verb>()` allows
    ("revise", T.REFUND_ONLY, False): {S.REQUESTED},
    ("submit_return", T.RETURN_REFUND, False): {S.AWAITING_RETURN},
    ("submit_return", T.RETURN_REFUND, True): set(),
    ("track_return_delivered", T.RETURN_REFUND, True): {S.AWAITING_RETURN},
    ("track_return_delivered", T.RETURN_REFUND, False): set(),
}


@pytest.mark.parametrize(("name", "type", "waybill"), list(EDITS))
@pytest.mark.parametrize("source", list(S))
def test_edit_table(name, type, waybill, source):
    req = AftersalesRequest(type=type, status=source, return_waybill_no="SF1234567890123" if waybill else "")
    assert getattr(req, f"can_{name}")() is (source in EDITS[(name, type, waybill)])
