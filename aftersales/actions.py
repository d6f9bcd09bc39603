"""What people may do to after-sales requests, complaints and reviews, from the FSM (portal.actions)."""

from __future__ import annotations

from portal.actions import Action, any_of, available_actions, declare, is_buyer, is_member, is_system, staff_with

from .models import AftersalesRequest

STAFF = staff_with("aftersales.change_aftersalesrequest")

declare(
    "aftersales.AftersalesRequest",
    [
        # merchant
        Action("approve", transition="approve", who=is_member),
        Action("reject", transition="reject", who=is_member),
        Action("return_address", transition="await_return", who=is_member),
        Action("receive", transition="receive_return", who=is_member),
        Action("ship", transition="ship_exchange", who=is_member),
        Action("ship", transition="ship_resend", who=is_member),
        Action("ship", transition="ship_repaired", who=is_member),
        Action("negotiate", transition="propose_offer", who=is_member),
        # buyer
        Action("update", edit="revise", who=is_buyer),
        Action("cancel", transition="cancel", who=is_buyer),
        Action("escalate", transition="escalate", who=is_buyer),
        Action("submit_return", edit="submit_return", who=is_buyer),
        Action("accept_offer", transition="accept_offer", who=is_buyer),
        Action("decline_offer", transition="decline_offer", who=is_buyer),
        # platform staff
        Action("decide", transition="decide", who=STAFF),
        # couriers and sweeps
        Action("return_delivered", edit="track_return_delivered", who=any_of(is_system, STAFF)),
        Action("force_refund", transition="force_refund", who=is_system),
    ],
)
declare(
    "aftersales.Complaint",
    [
        Action("uphold", transition="uphold", who=staff_with("aftersales.change_complaint")),
        Action("dismiss", transition="dismiss", who=staff_with("aftersales.change_complaint")),
    ],
)
declare(
    "aftersales.Review",
    [
        Action("hide", transition="hide", field="visibility", who=staff_with("aftersales.change_review")),
        Action("unhide", transition="unhide", field="visibility", who=staff_with("aftersales.change_review")),
    ],
)


def request_actions(req: AftersalesRequest, actor) -> frozenset[str]:
    """What `actor` may do to the request now (the selector pages and the API ask)."""
    return available_actions(req, actor)
