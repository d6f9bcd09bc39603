"""What people may do to the shop's state machines, from the FSM (portal.actions).

`available_actions(order, actor)` is what the order page, the admin and the API offer; a POST re-checks
it with `check_action`. Rules beyond the FSM's source states and guards are here, named:
a live booked parcel (在线下单) rules out self-ship, booking, plain cancel and re-ship; an order in
after-sales is neither re-shipped nor booked; goods shipped without logistics (无需物流发货) are never booked.
"""

from __future__ import annotations

from portal.actions import Action, any_of, available_actions, declare, is_buyer, is_member, is_owner, staff_with
from shop.models import Order, Store, StoreStatus
from shop.models.orders import OrderStatus
from shop.models.promotions import CouponSource
from shop.selectors.story import order_in_aftersales, order_live_parcel
from shop.services.deposit import PAYABLE_STATUSES

__all__ = ["available_actions", "order_actions", "store_actions"]


def _no_live_parcel(order: Order) -> bool:
    return order_live_parcel(order) is None


def _not_grouping(order: Order) -> bool:
    return order.status != OrderStatus.GROUPING  # a group's orders end with their group


def _reshippable(order: Order) -> bool:
    return _no_live_parcel(order) and not order_in_aftersales(order)


def _bookable(order: Order) -> bool:
    return not order.no_logistics and _no_live_parcel(order) and not order_in_aftersales(order)


def _ships_without_logistics(order: Order) -> bool:
    return order.no_logistics and _no_live_parcel(order)


def _cancellable_by_merchant(order: Order) -> bool:
    return _not_grouping(order) and _no_live_parcel(order)


def _live_parcel_cancellable(order: Order) -> bool:
    parcel = order_live_parcel(order)
    return parcel is not None and not parcel.picked_up


def _holdable(order: Order) -> bool:
    """Risk review matters until the order is over (completed or cancelled)."""
    return not order.risk_hold and order.status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


ORDER_STAFF = staff_with("shop.change_order")

declare(
    "shop.Order",
    [
        # merchant (pages, merchant API keys)
        Action("ship", transition="ship", who=is_member, when=_no_live_parcel),
        Action("book", transition="ship", who=is_member, when=_bookable),
        Action("ship_no_logistics", transition="ship", who=is_member, when=_ships_without_logistics),
        Action("reship", edit="reship", who=is_member, when=_reshippable),
        Action("cancel", transition="cancel", who=is_member, when=_cancellable_by_merchant),
        Action("cancel_parcel", transition="cancel", who=is_member, when=_live_parcel_cancellable),
        # buyer (storefront)
        Action("buyer_cancel", transition="cancel", who=is_buyer, when=_not_grouping),
        Action("confirm_receipt", transition="complete", who=any_of(is_buyer, ORDER_STAFF)),
        Action("extend_receipt", edit="extend_receipt", who=is_buyer),
        Action("change_address", edit="change_address", who=is_buyer, when=_no_live_parcel),
        Action("change_buyer_note", edit="change_buyer_note", who=is_buyer),
        # platform staff (admin)
        Action("hold_for_risk", edit="set_risk_hold", who=ORDER_STAFF, when=_holdable),
        Action("release_risk_hold", edit="set_risk_hold", who=ORDER_STAFF, when=lambda o: o.risk_hold),
        Action("cancel_and_refund", transition="cancel", who=ORDER_STAFF, when=_not_grouping),
        Action("mark_delivered", transition="deliver", who=ORDER_STAFF),
    ],
)

STORE_REVIEWER = staff_with("shop.review_store")
STORE_SUSPENDER = staff_with("shop.suspend_store")
STORE_FINANCE = staff_with("shop.settle_deposit")

declare(
    "shop.Store",
    [
        # merchant
        Action("edit_application", transition="submit", who=is_member),
        Action("submit", transition="submit", who=is_member),
        Action("pay_deposit", transition="mark_deposit_paid", who=is_owner),
        Action("sign_agreement", transition="sign_agreement", who=is_owner),
        Action("withdraw", who=is_owner, when=lambda s: s.has_opened()),
        # staff
        Action("review", transition="approve", who=STORE_REVIEWER),
        Action("suspend", transition="suspend", who=STORE_SUSPENDER),
        Action("reinstate", transition="reinstate", who=STORE_SUSPENDER),
        Action("close", transition="start_closing", who=STORE_FINANCE),
        Action("approve_refund", transition="close", who=STORE_FINANCE),
        Action("reject_refund", who=STORE_FINANCE, when=lambda s: s.status == StoreStatus.CLOSING),
        Action("reopen_refund", who=STORE_FINANCE, when=lambda s: s.status == StoreStatus.CLOSING),
        Action("transfer", who=STORE_FINANCE, when=lambda s: s.status in PAYABLE_STATUSES),
    ],
)


PRODUCT_STAFF = staff_with("shop.change_product")  # support takes a product off the shelf in the admin
declare(
    "shop.Product",
    [
        Action("put_on_sale", transition="put_on_sale", who=any_of(is_member, PRODUCT_STAFF)),
        Action("take_off_shelf", transition="take_off_shelf", who=any_of(is_member, PRODUCT_STAFF)),
    ],
)
for _promotion in ("shop.LimitedTimeDiscount", "shop.SpendAndSave", "shop.SecondItemDiscount", "shop.LeaderFree"):
    _staff = staff_with(f"shop.change_{_promotion.split('.')[1].lower()}")  # the admin's "end" action
    declare(_promotion, [Action("end", transition="end", who=any_of(is_member, _staff))])


def _store_coupon_member(coupon, actor) -> bool:
    """The store's members end its own batches, never a 平台补贴券 (the platform's, ended by finance)."""
    return coupon.source == CouponSource.STORE and is_member(coupon, actor)


PLATFORM_COUPON_STAFF = staff_with("shop.change_platformcoupon")
_coupon_end = Action(
    "end",
    transition="end",
    who=any_of(_store_coupon_member, staff_with("shop.change_couponbatch"), PLATFORM_COUPON_STAFF),
)
declare("shop.CouponBatch", [_coupon_end])
declare("shop.PlatformCoupon", [_coupon_end])  # the admin's rows of 平台补贴券 are this proxy's instances
WITHDRAWAL_FINANCE = staff_with("shop.change_withdrawal")
declare(
    "shop.Withdrawal",
    [
        Action("pay", transition="pay", who=WITHDRAWAL_FINANCE),
        Action("reject", transition="reject", who=WITHDRAWAL_FINANCE),
    ],
)
declare("shop.CouponClaim", [])  # claims move with their orders (use, release) and the expiry sweep only
declare(
    "shop.StoreDocument",
    [
        Action("approve", transition="approve", who=STORE_REVIEWER),
        Action("reject", transition="reject", who=STORE_REVIEWER),
        Action("replace", transition="replace", who=is_member),
    ],
)
declare(
    "shop.DepositRefundRequest",
    [
        Action("approve", transition="approve", who=STORE_FINANCE),
        Action("reject", transition="reject", who=STORE_FINANCE),
    ],
)
declare(
    "shop.Compensation",
    [
        Action("settle", transition="settle", who=STORE_FINANCE),
        Action("waive", transition="waive", who=STORE_FINANCE),
    ],
)
declare("shop.GroupBuy", [Action("fail_group", transition="fail", who=ORDER_STAFF)])
declare(
    "shop.SuspensionProposal",
    [
        Action("confirm", transition="confirm", who=STORE_SUSPENDER),
        Action("dismiss", transition="dismiss", who=STORE_SUSPENDER),
    ],
)


def order_actions(order: Order, actor) -> frozenset[str]:
    """What `actor` may do to the order now (the selector pages, admin and API ask)."""
    return available_actions(order, actor)


def store_actions(store: Store, actor) -> frozenset[str]:
    return available_actions(store, actor)
