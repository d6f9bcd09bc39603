"""Deadline sweeps of the shop app (orders' time rules), registered with portal.sweeps.

Each calls the orders' deadline rules (`shop.services.orders.deadlines`); running one twice
changes nothing the second time.
"""

from portal.sweeps import sweep
from shop.services import funds
from shop.services.orders import deadlines
from shop.services.promotions import coupon_claims_expire


@sweep("orders.cancel_unpaid")
def cancel_unpaid() -> int:
    return deadlines.cancel_unpaid()


@sweep("orders.fail_expired_groups")
def fail_expired_groups() -> int:
    return deadlines.fail_expired_groups()


@sweep("orders.warn_ship_by_near")
def warn_ship_by_near() -> int:
    return deadlines.warn_ship_by_near()


@sweep("orders.compensate_late_shipping")
def compensate_late_shipping() -> int:
    return deadlines.compensate_late_shipping()


@sweep("orders.cancel_unshipped_past_hard_limit")
def cancel_unshipped_past_hard_limit() -> int:
    return deadlines.cancel_unshipped_past_hard_limit()


@sweep("orders.auto_confirm_receipt")
def auto_confirm_receipt() -> int:
    return deadlines.auto_confirm_receipt()


@sweep("orders.fake_shipping_check")
def fake_shipping_check() -> int:
    return deadlines.fake_shipping_check()


@sweep("coupon_claims_expire")
def expire_coupon_claims() -> int:
    return coupon_claims_expire()


@sweep("payouts")
def payouts() -> int:
    """Credit completed orders to pending payouts, then settle the credits whose period is over."""
    return funds.payouts_sweep()
