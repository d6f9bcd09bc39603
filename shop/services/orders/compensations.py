"""Compensations to buyers (late shipping, not shipped, fake shipping) and how they are funded."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.events import emit
from portal.exceptions import Conflict, DomainError, IllegalTransition
from portal.fsm import transition
from shop.models import Compensation, Order
from shop.models.funds import RefType
from shop.models.orders import CompensationKind, OrderStatus
from shop.services.funds import penalty_charge
from shop.services.promotions import (
    coupon_grant,
)

from .common import _order_url, _rules


def compensation_amount(kind: str, paid_amount: int) -> int:
    """DOMAIN.md: late ¥3 (1% capped at ¥30 above ¥300); complaint 10% within ¥5–¥100; fake ¥20."""
    rules = settings.PORTAL_COMPENSATION_RULES
    if kind == CompensationKind.LATE_SHIPPING:
        if paid_amount > rules["late_shipping_rate_above"]:
            return min(paid_amount * rules["late_shipping_permille"] // 1000, rules["late_shipping_cap"])
        return rules["late_shipping_flat"]
    if kind == CompensationKind.NOT_SHIPPED:
        share = paid_amount * rules["not_shipped_permille"] // 1000
        return max(rules["not_shipped_min"], min(share, rules["not_shipped_max"]))
    return rules["fake_shipping"]


def _compensate(order: Order, kind: str, *, by) -> Compensation | None:
    """Record the compensation once per order and kind, give the buyer its no-threshold coupon, then try to settle
    it from the deposit."""
    try:
        with transaction.atomic():
            compensation = Compensation.objects.create(
                store_id=order.store_id,
                order=order,
                buyer_ref=order.buyer_ref,
                kind=kind,
                amount=compensation_amount(kind, order.paid_amount),
            )
    except IntegrityError:
        return None  # already compensated for this
    compensation.coupon = coupon_grant(
        store=order.store,
        buyer_ref=order.buyer_ref,
        amount=compensation.amount,
        reason=_("订单 %(sn)s %(kind)s赔付") % {"sn": order.order_sn, "kind": compensation.get_kind_display()},
        by=by,
    )
    compensation.save(update_fields=["coupon"])
    _settle(compensation, by=by)
    emit(
        type="order.late_shipping" if kind == CompensationKind.LATE_SHIPPING else "order.compensated",
        store_id=order.store_id,
        title=_("订单 %(sn)s 产生赔付：%(kind)s") % {"sn": order.order_sn, "kind": compensation.get_kind_display()},
        body=_("赔付 ¥%(amount).2f 给买家，从货款或保证金扣除。") % {"amount": compensation.amount / 100},
        url=_order_url(order),
        data={"order_sn": order.order_sn, "kind": kind, "amount": compensation.amount},
    )
    return compensation


def _settle(compensation: Compensation, *, by) -> bool:
    """Charge the compensation to the store (`funds.penalty_charge`: payouts first, then the deposit); if the
    ledgers refuse, it stays pending for staff."""
    try:
        with transaction.atomic():
            penalty_charge(
                store=compensation.store,
                amount=compensation.amount,
                reason=_("订单 %(sn)s %(kind)s赔付")
                % {"sn": compensation.order.order_sn, "kind": compensation.get_kind_display()},
                by=by,
                ref_type=RefType.COMPENSATION,
                ref_id=compensation.pk,
            )
            transition(compensation, "settle", by=by)
    except DomainError:
        return False
    return True


@transaction.atomic
def compensation_settle(*, compensation: Compensation, by) -> Compensation:
    compensation = Compensation.objects.select_for_update().select_related("store", "order").get(pk=compensation.pk)
    require_action(compensation, by, "settle")
    if not _settle(compensation, by=by):
        raise Conflict(_("保证金暂不能扣除。"), code="deposit_unavailable")
    return compensation


@transaction.atomic
def compensation_waive(*, compensation: Compensation, reason: str, by) -> Compensation:
    compensation = Compensation.objects.select_for_update().get(pk=compensation.pk)
    require_action(compensation, by, "waive")
    transition(compensation, "waive", by=by, reason=reason)
    return compensation


@transaction.atomic
def order_complain_not_shipped(*, order: Order, by) -> Compensation:
    """The buyer complains that a paid order is still unshipped past the complaint window."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PAID or timezone.now() < order.ship_clock_at + _rules()["not_shipped_complaint"]:
        raise IllegalTransition(_("订单尚未超过可投诉的未发货时限。"), code="complaint_too_early")
    compensation = _compensate(order, CompensationKind.NOT_SHIPPED, by=by)
    if compensation is None:
        raise Conflict(_("该订单已投诉过。"), code="already_complained")
    return compensation
