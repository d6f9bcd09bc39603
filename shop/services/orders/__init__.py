"""Every write of the order state machine (DESIGN.md: Order), one module per aggregate.

The public service functions are re-exported here, so `shop.services.orders.<name>` keeps working;
new code may import from the submodule that owns the name.
"""

from .compensations import compensation_amount, compensation_settle, compensation_waive, order_complain_not_shipped
from .deadlines import (
    auto_confirm_receipt,
    cancel_unpaid,
    cancel_unshipped_past_hard_limit,
    compensate_late_shipping,
    fail_expired_groups,
    fake_shipping_check,
    warn_ship_by_near,
)
from .groups import group_fail
from .items import order_close_if_fully_refunded, order_item_lock, order_item_refund_record, order_item_refundable
from .lifecycle import (
    courier_choices,
    order_buyer_note_set,
    order_cancel,
    order_cancel_transition,
    order_change_address,
    order_confirm_receipt,
    order_deliver,
    order_deliver_booked,
    order_extend_receipt,
    order_reship,
    order_set_risk_hold,
    order_ship,
    order_ship_booked,
    order_ship_no_logistics,
)
from .memos import order_memo_set, orders_memo_set
from .placement import LineIn, order_pay, order_place

__all__ = [
    "order_close_if_fully_refunded",
    "order_item_lock",
    "order_item_refund_record",
    "order_item_refundable",
    "LineIn",
    "order_place",
    "order_pay",
    "group_fail",
    "order_cancel",
    "order_cancel_transition",
    "courier_choices",
    "order_ship",
    "order_ship_no_logistics",
    "order_ship_booked",
    "order_reship",
    "order_deliver",
    "order_deliver_booked",
    "order_confirm_receipt",
    "order_change_address",
    "order_buyer_note_set",
    "order_extend_receipt",
    "order_set_risk_hold",
    "order_memo_set",
    "orders_memo_set",
    "compensation_amount",
    "compensation_settle",
    "compensation_waive",
    "order_complain_not_shipped",
    "cancel_unpaid",
    "fail_expired_groups",
    "warn_ship_by_near",
    "compensate_late_shipping",
    "cancel_unshipped_past_hard_limit",
    "auto_confirm_receipt",
    "fake_shipping_check",
]
