"""The one catalogue of the API's machine-readable error codes (`error.code`).

Every error body is `{"error": {"code", "message", "fields"}}` (portal/api/errors.py). `code` is stable and
one of the keys below; `message` is for people, in the request's language (Accept-Language: zh-Hans by
default, en); `fields` maps flattened input paths (`items[0].quantity`, `ids[2]`) to their messages.

PROTOCOL codes are raised by the API layer itself and carry their own default message. DOMAIN codes are
raised by the services (portal.exceptions.DomainError with `code=`); they are listed here with the status
they usually answer so integrators have one table (docs/api.md prints it) and a test keeps this list
complete (tests/portal/test_api_errors.py scans the services for `code="..."`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Code:
    status: int
    message: Promise | str
    description: str = ""


# --- protocol: raised by the API layer -------------------------------------------------------------

VALIDATION_FAILED = "validation_failed"
PARSE_ERROR = "parse_error"
TOO_DEEPLY_NESTED = "too_deeply_nested"
VALUE_OUT_OF_RANGE = "value_out_of_range"
PAYLOAD_TOO_LARGE = "payload_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
NOT_ACCEPTABLE = "not_acceptable"
NOT_AUTHENTICATED = "not_authenticated"
AUTHENTICATION_FAILED = "authentication_failed"
PERMISSION_DENIED = "permission_denied"
WRONG_SIDE = "wrong_side"
INSUFFICIENT_SCOPE = "insufficient_scope"
NOT_FOR_API_KEYS = "not_for_api_keys"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
THROTTLED = "throttled"

PROTOCOL: dict[str, Code] = {
    VALIDATION_FAILED: Code(400, _("请求参数无效。"), "input failed validation; see `fields`"),
    PARSE_ERROR: Code(400, _("请求体无法解析。"), "the body is not valid JSON / form data"),
    TOO_DEEPLY_NESTED: Code(400, _("请求体嵌套层级过深。"), "JSON nested deeper than 32 levels"),
    VALUE_OUT_OF_RANGE: Code(400, _("数值超出允许范围。"), "an integer or text the database cannot hold"),
    PAYLOAD_TOO_LARGE: Code(413, _("请求体过大。"), "JSON over 1 MB, uploads over 12 MB"),
    UNSUPPORTED_MEDIA_TYPE: Code(415, _("不支持该内容类型。"), "e.g. JSON sent to a multipart upload"),
    NOT_ACCEPTABLE: Code(406, _("无法以请求的格式返回。"), "the API answers application/json only"),
    NOT_AUTHENTICATED: Code(401, _("需要 API 密钥或登录。"), "no credentials"),
    AUTHENTICATION_FAILED: Code(401, _("API 密钥无效或已撤销。"), "wrong, revoked or malformed key"),
    PERMISSION_DENIED: Code(403, _("您没有执行此操作的权限。"), "not allowed (e.g. no store to act for)"),
    WRONG_SIDE: Code(403, _("此操作不对该类密钥开放。"), "a merchant key on a buyer operation or vice versa"),
    INSUFFICIENT_SCOPE: Code(403, _("此 API 密钥缺少所需的权限范围。"), "the key lacks the operation's scope"),
    NOT_FOR_API_KEYS: Code(403, _("API 密钥不能调用此操作。"), "session-only operation"),
    NOT_FOUND: Code(404, _("未找到。"), "unknown route, or an object of another store"),
    METHOD_NOT_ALLOWED: Code(405, _("不支持该请求方法。"), "see the route's allowed methods (Allow header)"),
    IDEMPOTENCY_KEY_REUSED: Code(422, _("此 Idempotency-Key 已用于另一个请求。"), "same key, different body"),
    THROTTLED: Code(429, _("请求过于频繁，请稍后重试。"), "rate limit hit; wait Retry-After seconds"),
}

# --- domain: raised by the services (status is the usual one; message comes from the service) -------

_DOMAIN_400 = """
validation_failed invalid bad_body bad_quantity bad_image bad_file_type bad_file_size bad_pickup_slot bad_sender
bad_account unknown_item unknown_courier unknown_sku unknown_group unknown_payment unknown_account unknown_callback
order_not_found sku_not_in_store product_not_on_sale out_of_stock per_order_limit per_buyer_limit empty_order
coupon_not_found coupon_not_claimable coupon_expired coupon_ended coupon_used coupon_sold_out coupon_limit_reached
group_not_open group_closed already_in_group already_member discount_overlap discount_sold_out discount_limit_reached
price_below_discount spend_and_save_overlap invalid_amount refund_exceeds_paid refund_exceeds_payment
return_address_required reason_required reasons_required seven_day_not_allowed type_not_allowed
review_window_passed return_window_passed followup_window_passed invalid_waybill no_waybill waybill_in_use
too_many_orders no_orders duplicate_orders courier_not_offered courier_inactive courier_refused same_courier
uscc_format uscc_check application_incomplete document_not_required agreement_outdated amount_mismatch
bad_signature bad_timestamp order_not_eligible buyer_mismatch complaint_too_early unfreeze_exceeds_frozen
no_deposit_rule deposit_shortfall deposit_unavailable store_not_open store_not_settled order_sn_collision
memo_too_long invalid_flag courier_not_configured sandbox_disabled selection_too_large store_quota induced_review
free_sf_courier fresh_claim_not_allowed photos_required seal_required invalid_account withdrawal_exceeds_available
"""
_DOMAIN_409 = """
illegal_transition conflict action_not_available already_paid already_booked already_weighed already_reviewed
already_replied already_followed_up already_extended already_complained not_payable not_received grouping
in_aftersales risk_hold parcel_booked parcel_picked_up nothing_to_rebook nothing_to_refund payment_not_found
payment_not_refundable deposit_not_payable deposit_not_due deposit_not_settleable deposit_frozen
application_locked endpoint_disabled sku_has_orders aftersales_duplicate product_without_image
no_pending_refund refund_pending second_item_overlap leader_free_overlap needs_logistics withdrawal_limited
"""

DOMAIN: dict[str, int] = {
    **dict.fromkeys(_DOMAIN_400.split(), 400),
    **dict.fromkeys(_DOMAIN_409.split(), 409),
    "permission_denied": 403,
    "unknown_provider": 404,
}

ALL: frozenset[str] = frozenset(PROTOCOL) | frozenset(DOMAIN)


def message(code: str) -> str:
    """The default message of a protocol code, in the active language."""
    entry = PROTOCOL.get(code)
    return str(entry.message) if entry else str(PROTOCOL[VALIDATION_FAILED].message)
