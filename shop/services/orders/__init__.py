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
from .lifecycle import (
    ORDER_CANCELLED_HOOKS,
    courier_choices,
    order_cancel,
    order_cancel_transition,
    order_confirm_receipt,
    order_deliver,
    order_extend_receipt,
    order_reship,
    order_set_risk_hold,
    order_ship,
)
from .placement import LineIn, order_pay, order_place

__all__ = [
    "LineIn",
    "order_place",
    "order_pay",
    "group_fail",
    "ORDER_CANCELLED_HOOKS",
    "order_cancel",
    "order_cancel_transition",
    "courier_choices",
    "order_ship",
    "order_reship",
    "order_deliver",
    "order_confirm_receipt",
    "order_extend_receipt",
    "order_set_risk_hold",
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
