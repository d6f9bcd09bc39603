"""Group buys: join or lead a group, form it when full, fail it (and refund everyone) when its window closes.

A group opened while its product has a 团长免单 with places left holds one place; when it forms, its leader's
payment is refunded (the leader's free order); when it fails, the place goes back."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.audit import audit_record
from portal.events import emit
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import transition
from portal.payments.services import refund_create
from shop.models import GroupBuy, Order, OrderItem, Sku, Store
from shop.models.orders import GroupStatus, OrderStatus
from shop.services.promotions import leader_free_give_back, leader_free_take

from .common import LEADER_FREE_REFUND_PREFIX, _emit_paid, _rules, _ship_within, _succeeded_payment
from .lifecycle import _cancel_locked


def _group_for(*, store: Store, buyer_ref: str, skus: list[Sku], group_id: int | None) -> GroupBuy:
    """The group to join (locked and checked), or a new one the buyer leads."""
    if len({s.product_id for s in skus}) != 1:
        raise ValidationFailed(_("拼团订单只能包含一种商品。"), fields={"items": [_("拼团只能购买一种商品。")]})
    product = skus[0].product
    if group_id is None:
        now = timezone.now()
        return GroupBuy.objects.create(
            store=store,
            product=product,
            leader_ref=buyer_ref,
            size=product.group_size,
            expires_at=now + _rules()["group_window"],
            leader_free=leader_free_take(product=product, at=now),
        )
    group = GroupBuy.objects.select_for_update().filter(pk=group_id, store=store).first()
    if group is None or group.product_id != product.pk:
        raise ValidationFailed(_("拼团不存在。"), code="unknown_group", fields={"group_id": [_("拼团不存在。")]})
    members = list(group.orders.exclude(status=OrderStatus.CANCELLED).values_list("buyer_ref", "status"))
    paid = [ref for ref, status in members if status == OrderStatus.GROUPING]
    if group.status != GroupStatus.OPEN or group.expires_at <= timezone.now() or len(paid) >= group.size:
        raise Conflict(_("该拼团已结束。"), code="group_closed", fields={"group_id": [_("该拼团已结束。")]})
    if group.leader_ref not in paid:
        raise Conflict(
            _("团长尚未支付，暂不能参团。"), code="group_not_open", fields={"group_id": [_("团长尚未支付。")]}
        )
    if buyer_ref in {ref for ref, _status in members}:
        raise Conflict(_("您已在该拼团中。"), code="already_in_group", fields={"group_id": [_("您已在该拼团中。")]})
    return group


def _group_form(group: GroupBuy, *, by) -> None:
    """Group full: it forms and every paid order in it becomes to-ship (caller holds the group lock); a leader
    holding a 团长免单 place gets their payment back."""
    transition(group, "form", by=by)
    for order in Order.objects.select_for_update().filter(group=group, status=OrderStatus.GROUPING).order_by("pk"):
        order.group = group  # the locked group, for is_free_leader
        transition(order, "form_group", by=by, ship_within=_ship_within(order))
        if order.is_free_leader:
            _leader_free_refund(order, group=group, by=by)
        _emit_paid(order)
    emit(
        type="group.formed",
        store_id=group.store_id,
        title=_("拼团成功"),
        body=_("拼团 G%(id)s 已成团。") % {"id": group.pk},
        data={"group_id": group.pk},
    )


def _leader_free_refund(order: Order, *, group: GroupBuy, by) -> None:
    """团长免单: the leader's whole payment is refunded and kept on the order as its leader-free share (seller-funded),
    so paid = goods − discounts + postage still holds, at 0, and the payout credits nothing for it."""
    amount = order.paid_amount
    payment = _succeeded_payment(order)
    if amount <= 0 or payment is None:
        return
    items = list(order.items.all())
    for item in items:
        item.discount += item.paid_amount
        item.paid_amount = 0
    OrderItem.objects.bulk_update(items, ["discount", "paid_amount"])
    order.leader_free_discount += amount
    order.discount_amount += amount
    order.paid_amount = 0
    order.discounts = [
        *order.discounts,
        {"kind": "leader_free", "label": _("团长免单"), "amount": amount, "promotion_id": group.leader_free_id},
    ]
    order.save(update_fields=["leader_free_discount", "discount_amount", "paid_amount", "discounts", "updated_at"])
    reference = f"{LEADER_FREE_REFUND_PREFIX}{order.order_sn}"
    refund_create(payment=payment, amount=amount, reference=reference, reason=_("团长免单"), by=by)
    audit_record(
        order, "leader_free", by=by, reason=_("团长免单"), data={"amount": amount, "promotion": group.leader_free_id}
    )


@transaction.atomic
def group_fail(*, group: GroupBuy, by) -> GroupBuy:
    """The window closed before the group filled: cancel (and refund) every live order in it."""
    group = GroupBuy.objects.select_for_update().get(pk=group.pk)
    require_action(group, by, "fail_group")
    transition(group, "fail", by=by, reason=_("拼团超时未成团"))
    leader_free_give_back([group.leader_free_id])
    live = Order.objects.select_for_update().filter(
        group=group, status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING]
    )
    refunded = 0
    for order in live.order_by("pk"):
        refunded += order.status == OrderStatus.GROUPING
        _cancel_locked(order, reason=_("拼团失败"), by=by)
    if not refunded:
        return group  # nobody had paid (the leader never did): nothing to tell the merchant
    emit(
        type="group.failed",
        store_id=group.store_id,
        title=_("拼团失败"),
        body=_("拼团 G%(id)s 未在时限内成团，已全部退款。") % {"id": group.pk},
        data={"group_id": group.pk},
    )
    return group
