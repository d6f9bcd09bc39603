"""Deadline sweeps of the shop app (orders' time rules), registered with portal.sweeps."""

from portal.sweeps import sweep
from shop.services.promotions import coupon_claims_expire


@sweep("coupon_claims_expire")
def expire_coupon_claims() -> int:
    return coupon_claims_expire()
