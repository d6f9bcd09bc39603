"""Every write of after-sales, complaints and reviews, one module per aggregate. Each function is atomic and audited.

The public service functions are re-exported here, so `aftersales.services.<name>` keeps working;
new code may import from the submodule that owns the name.
"""

from .common import (
    ELIGIBLE_ORDER_STATUSES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    PHOTO_FORMATS,
    RECEIVED_ORDER_STATUSES,
    check_photos,
    rules,
)
from .complaints import complaint_file, complaint_resolve
from .deadlines import aftersales_auto_approve, aftersales_auto_receive, aftersales_expire, reviews_default_positive
from .intervention import aftersales_decide, aftersales_force_refund
from .negotiation import aftersales_negotiate, aftersales_offer_accept, aftersales_offer_decline, negotiation_refundable
from .refunds import refundable_amount
from .requests import (
    aftersales_approve,
    aftersales_cancel,
    aftersales_escalate,
    aftersales_open,
    aftersales_receive_return,
    aftersales_reject,
    aftersales_request_return,
    aftersales_return_delivered,
    aftersales_ship_replacement,
    aftersales_submit_return,
    aftersales_update,
    default_return_address,
)
from .reviews import review_create, review_followup, review_hide, review_reply, review_unhide

__all__ = [
    "refundable_amount",
    "aftersales_open",
    "aftersales_update",
    "aftersales_cancel",
    "aftersales_escalate",
    "aftersales_submit_return",
    "aftersales_return_delivered",
    "default_return_address",
    "aftersales_approve",
    "aftersales_request_return",
    "aftersales_reject",
    "aftersales_receive_return",
    "aftersales_ship_replacement",
    "aftersales_decide",
    "aftersales_force_refund",
    "aftersales_negotiate",
    "aftersales_offer_accept",
    "aftersales_offer_decline",
    "negotiation_refundable",
    "complaint_file",
    "complaint_resolve",
    "review_create",
    "review_followup",
    "review_reply",
    "review_hide",
    "review_unhide",
    "aftersales_auto_approve",
    "aftersales_expire",
    "aftersales_auto_receive",
    "reviews_default_positive",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "PHOTO_FORMATS",
    "ELIGIBLE_ORDER_STATUSES",
    "RECEIVED_ORDER_STATUSES",
    "rules",
    "check_photos",
]
