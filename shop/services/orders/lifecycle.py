"""An order after payment: cancel, ship (self-ship or booked parcel), re-ship, deliver, confirm receipt, risk hold."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from portal import hooks
from portal.actions import actor_kind, require_action
from portal.events import emit
from portal.exceptions import Conflict, IllegalTransition, ValidationFailed
from portal.fsm import edit, transition
from portal.hooks import live_parcels, waybill_parcel_orders
from portal.payments.services import refund_create
from shop.models import Order
from shop.models.orders import OrderStatus
from shop.selectors.story import order_in_aftersales
from shop.services.promotions import (
    coupon_release,
    discount_release,
)

from .common import (
    _completed_event,
    _order_event,
    _order_url,
    _release_stock,
    _succeeded_payment,
    _validate_recipient,
)


@transaction.atomic
def order_cancel(*, order: Order, reason: str, by) -> Order:
    """Cancel before shipment: release stock, refund what was paid. Grouping orders end with their group."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.GROUPING:
        raise IllegalTransition(_("拼团中的订单不能取消，拼团结束后自动处理。"), code="grouping")
    if not reason.strip():
        raise ValidationFailed(_("请填写取消原因。"), fields={"reason": [_("请填写取消原因。")]})
    if actor_kind(by) == "merchant":
        # A merchant's plain cancel never drops a booked parcel silently: cancel or re-book it first.
        # (A buyer's cancellation, staff and sweeps cancel the parcel with the order: hooks.order_cancelled.)
        _refuse_beside_live_parcel(order, _("取消订单"))
    require_action(order, by, "cancel", "buyer_cancel", "cancel_and_refund")
    _cancel_locked(order, reason=reason, by=by)
    return order


def _refuse_beside_live_parcel(order: Order, doing: str) -> None:
    """No self-ship, plain cancel or re-ship while the order has a live booked parcel (在线下单)."""
    parcel = live_parcels([order.pk]).get(order.pk)
    if parcel is not None:
        raise Conflict(
            _("订单已在线下单（批次 %(booking)s，包裹 %(waybill)s），不能%(doing)s。请先取消该包裹或改派其他快递。")
            % {"booking": parcel.booking_no, "waybill": parcel.waybill_no or parcel.shipment_id, "doing": doing},
            code="parcel_booked",
        )


def _same_consignment(a: Order, b: Order) -> bool:
    """Shipped together (合并发货): one store, one recipient at one address."""
    keys = ("store_id", "recipient_name", "recipient_phone", "province", "city", "district", "street")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _refuse_waybill_in_use(order: Order, waybill_no: str) -> None:
    """A waybill already on a live order of any store is fake shipping (DOMAIN.md), unless it is the same
    store shipping the same recipient and address together (合并发货)."""
    live = Q(waybill_no=waybill_no, status__in=(OrderStatus.SHIPPED, OrderStatus.DELIVERED))
    booked = Q(pk__in=waybill_parcel_orders.call(waybill_no))  # another order's booked parcel holds it
    others = Order.objects.filter(live | booked).exclude(pk=order.pk)
    for other in others:
        if not _same_consignment(order, other):
            message = _("运单号 %(waybill)s 已用于其他订单，不能重复使用。") % {"waybill": waybill_no}
            raise Conflict(message, code="waybill_in_use", fields={"waybill_no": [message]})


def order_cancel_transition(*, order: Order, reason: str, by) -> Order:
    """The one place an order is cancelled: its FSM cancel, then `portal.hooks.order_cancelled` (a booked parcel
    is cancelled with it, or the cancellation is refused once the parcel was picked up).

    The caller holds the order's row lock inside its transaction and settles stock, promotions and money.
    """
    transition(order, "cancel", by=by, reason=reason, cancel_reason=reason)
    hooks.order_cancelled.run(order=order, by=by)
    return order


def _cancel_locked(order: Order, *, reason: str, by) -> None:
    """Cancel a locked order: stock, discounted units and coupon go back; what was paid is refunded."""
    order_cancel_transition(order=order, reason=reason, by=by)
    _release_stock(order)
    discount_release(order=order, by=by)
    coupon_release(order=order, by=by)
    if not order.paid_at:
        return  # nothing was paid: no refund, and nothing the merchant must act on
    payment = _succeeded_payment(order)
    if payment is not None:
        refund_create(payment=payment, amount=payment.amount, reference=order.order_sn, reason=reason, by=by)
    emit(
        type="order.cancelled",
        store_id=order.store_id,
        title=_("订单 %(sn)s 已取消") % {"sn": order.order_sn},
        body=reason,
        url=_order_url(order),
        data={"order_sn": order.order_sn, "reason": reason},
    )


def courier_choices() -> list[tuple[str, str]]:
    """(code, name) of the couriers a merchant may self-ship with (shipping's Courier table, via a hook)."""
    return hooks.courier_choices.call()


def _checked_waybill(courier_code: str, waybill_no: str) -> str:
    """The courier's own waybill format (shipping owns the formats; an unknown courier is refused)."""
    return hooks.waybill_validate.call(courier_code, waybill_no)


@transaction.atomic
def order_ship(*, order: Order, courier_code: str, waybill_no: str, by, via: str = "self") -> Order:
    """Mark a paid order shipped (self-ship waybill, or a booked shipment picked up). Audited.

    Self-ship validates the waybill against the courier's format; orders under a risk hold cannot ship.
    Reporting the same courier and waybill again is a no-op (idempotent for webhooks and retries).
    """
    if via == "self":
        waybill_no = _checked_waybill(courier_code, waybill_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.shipped_at and (order.courier_code, order.waybill_no) == (courier_code, waybill_no):
        return order  # the same shipment reported again (webhook or client retry): nothing changes
    _refuse_under_risk_hold(order)
    if via == "self":
        _refuse_beside_live_parcel(order, _("自己发货"))
        _refuse_waybill_in_use(order, waybill_no)
        _refuse_other_than_sf(order, courier_code)
        require_action(order, by, "ship")
    how = _("在线下单") if via == "booking" else _("自己联系快递")
    transition(
        order,
        "ship",
        by=by,
        reason=_("%(how)s：%(courier)s %(waybill)s") % {"how": how, "courier": courier_code, "waybill": waybill_no},
        data={"via": via},
        courier_code=courier_code,
        waybill_no=waybill_no,
        via=via,
    )
    title = _("订单 %(sn)s 已发货") % {"sn": order.order_sn}
    emit(**_order_event(order, "order.shipped", title, courier_code=courier_code, waybill_no=waybill_no, via=via))
    return order


def _refuse_under_risk_hold(order: Order) -> None:
    if order.risk_hold:
        raise Conflict(_("订单风控审核中，暂不能发货。"), code="risk_hold")


def _refuse_other_than_sf(order: Order, courier_code: str) -> None:
    """顺丰包邮: the buyer was promised SF (settings.FREE_SF_COURIERS)."""
    if order.free_sf and courier_code not in settings.FREE_SF_COURIERS:
        message = _("该订单承诺顺丰包邮，只能选择顺丰发货。")
        raise ValidationFailed(message, code="free_sf_courier", fields={"courier_code": [message]})


@transaction.atomic
def order_ship_no_logistics(*, order: Order, by) -> Order:
    """无需物流发货: goods that travel without a courier (virtual goods, the merchant's own delivery) ship with
    no waybill. Only orders whose goods promise it; never beside a live booked parcel. Audited, pushed."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    _refuse_under_risk_hold(order)
    if not order.no_logistics:
        raise IllegalTransition(_("该订单的商品需要物流发货，请填写快递公司和运单号。"), code="needs_logistics")
    _refuse_beside_live_parcel(order, _("无需物流发货"))
    require_action(order, by, "ship_no_logistics")
    transition(
        order, "ship", by=by, reason=_("无需物流发货"), data={"via": "none"}, courier_code="", waybill_no="", via="none"
    )
    title = _("订单 %(sn)s 已发货") % {"sn": order.order_sn}
    emit(**_order_event(order, "order.shipped", title, courier_code="", waybill_no="", via="none"))
    return order


@transaction.atomic
def order_ship_booked(*, order_id: int, courier_code: str, waybill_no: str, by) -> Order | None:
    """A booked parcel was picked up: ship its order if it is still to ship (else nothing changes)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PAID:
        return None
    return order_ship(order=order, courier_code=courier_code, waybill_no=waybill_no, by=by, via="booking")


@transaction.atomic
def order_deliver_booked(*, order_id: int, by) -> Order | None:
    """A booked parcel was signed for: its shipped order is delivered (else nothing changes)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.SHIPPED:
        return None
    return order_deliver(order=order, by=by)


@transaction.atomic
def order_reship(*, order: Order, courier_code: str, waybill_no: str, by) -> Order:
    """Change the courier or waybill of a shipped order (a separate, audited action)."""
    waybill_no = _checked_waybill(courier_code, waybill_no)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if (order.courier_code, order.waybill_no) == (courier_code, waybill_no):
        raise ValidationFailed(_("快递公司和运单号均未改变。"), fields={"waybill_no": [_("运单号未改变。")]})
    _refuse_beside_live_parcel(order, _("修改运单"))
    if order_in_aftersales(order):
        raise Conflict(_("订单售后处理中，不能修改运单。"), code="in_aftersales")
    _refuse_waybill_in_use(order, waybill_no)
    require_action(order, by, "reship")
    before = f"{order.courier_code} {order.waybill_no}"
    edit(
        order,
        "reship",
        by=by,
        reason=f"{before} → {courier_code} {waybill_no}",
        data={"from": before, "to": f"{courier_code} {waybill_no}"},
        courier_code=courier_code,
        waybill_no=waybill_no,
    )
    return order


@transaction.atomic
def order_deliver(*, order: Order, by) -> Order:
    """The parcel was signed for (a repeated report of it changes nothing)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.delivered_at or order.status == OrderStatus.COMPLETED:
        return order  # already signed for, or the buyer confirmed receipt first
    require_action(order, by, "mark_delivered")
    transition(order, "deliver", by=by)
    return order


@transaction.atomic
def order_confirm_receipt(*, order: Order, by, reason: str = "") -> Order:
    """The buyer confirms receipt (or the window ran out): the order completes."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    require_action(order, by, "confirm_receipt")
    transition(order, "complete", by=by, reason=reason)
    emit(**_completed_event(order))
    return order


@transaction.atomic
def order_extend_receipt(*, order: Order, by) -> Order:
    """The buyer extends the auto-confirm window once."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.receipt_extended:
        raise IllegalTransition(_("只能延长收货一次。"), code="already_extended")
    require_action(order, by, "extend_receipt")
    edit(order, "extend_receipt", by=by)
    return order


RECIPIENT_FIELDS = ("recipient_name", "recipient_phone", "province", "city", "district", "street")


@transaction.atomic
def order_change_address(*, order: Order, by, **recipient: str) -> Order:
    """The buyer changes the recipient before shipping (and before a courier is booked): audited, pushed."""
    _validate_recipient(recipient["recipient_phone"], recipient["province"], recipient["city"], recipient["district"])
    order = Order.objects.select_for_update().get(pk=order.pk)
    require_action(order, by, "change_address")
    before = {name: getattr(order, name) for name in RECIPIENT_FIELDS}
    fields = {name: recipient[name] for name in RECIPIENT_FIELDS}
    if fields == before:
        return order

    def where(address: dict) -> str:  # the audit and the event name the place, never the phone
        return " ".join(address[k] for k in ("recipient_name", "province", "city", "district", "street"))

    edit(order, "change_address", by=by, reason=where(fields), data={"from": where(before)}, **fields)
    title = _("订单 %(sn)s 买家修改了收货地址") % {"sn": order.order_sn}
    region = {k: fields[k] for k in ("province", "city", "district")}
    emit(**_order_event(order, "order.address_changed", title, **region))
    return order


@transaction.atomic
def order_buyer_note_set(*, order: Order, buyer_note: str, by) -> Order:
    """The buyer changes the memo to the seller (买家留言) before shipping: audited, pushed."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    require_action(order, by, "change_buyer_note")
    if order.buyer_note == buyer_note:
        return order
    edit(order, "change_buyer_note", by=by, reason=buyer_note, buyer_note=buyer_note)
    title = _("订单 %(sn)s 买家修改了留言") % {"sn": order.order_sn}
    emit(**_order_event(order, "order.buyer_note_changed", title, buyer_note=buyer_note))
    return order


@transaction.atomic
def order_set_risk_hold(*, order: Order, hold: bool, reason: str = "", by) -> Order:
    """Platform staff put an order under risk review (it cannot ship) or release it."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.risk_hold == hold:
        return order
    require_action(order, by, "hold_for_risk" if hold else "release_risk_hold")
    edit(order, "set_risk_hold", by=by, reason=reason, data={"risk_hold": hold}, hold=hold)
    template = _("订单 %(sn)s 进入风控审核，暂不能发货") if hold else _("订单 %(sn)s 已解除风控")
    title = template % {"sn": order.order_sn}
    emit(**_order_event(order, "order.risk_changed", title, risk_hold=hold))
    return order
