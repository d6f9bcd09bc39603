"""After-sales requests.

Buyer side: open, revise, withdraw, escalate, ship the return. Merchant side: approve, reject,
receive the return, ship a replacement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.events import emit
from portal.exceptions import DomainError, IllegalTransition, ValidationFailed
from portal.fsm import edit, transition
from shipping.selectors import default_sender
from shipping.waybills import validate_waybill
from shop.selectors.orders import OrderStatus
from shop.services.orders.items import (
    order_item_lock,
)

from ..models import (
    FRESH_CLAIMS,
    MONEY_TYPES,
    OPEN_STATUSES,
    AftersalesReason,
    AftersalesRequest,
    AftersalesStatus,
    AftersalesType,
    EvidenceSide,
)
from .common import (
    ELIGIBLE_ORDER_STATUSES,
    _check_buyer,
    _lock,
    _new_sn,
    _received_at,
    _save_evidence,
    _url,
    check_photos,
    rules,
)
from .intervention import aftersales_force_refund
from .refunds import _check_amount, _issue_refund, refundable_amount

if TYPE_CHECKING:
    from shop.models import Order, OrderItem, Store


def _check_type_allowed(*, order: Order, item: OrderItem, type: str, reason: str) -> None:
    if order.status not in ELIGIBLE_ORDER_STATUSES:
        raise DomainError(_("该订单当前状态不能申请售后。"), code="order_not_eligible")
    if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and type != AftersalesType.REFUND_ONLY:
        raise ValidationFailed(
            _("未签收的订单只能申请仅退款。"),
            code="type_not_allowed",
            fields={"type": [_("未签收的订单只能申请仅退款。")]},
        )
    if reason == AftersalesReason.SEVEN_DAY:
        received = _received_at(order)
        if (
            type != AftersalesType.RETURN_REFUND
            or not item.sku.product.seven_day_return
            or received is None
            or timezone.now() > received + rules()["seven_day_return"]
        ):
            raise ValidationFailed(
                _("该商品不支持七天无理由退货或已超过期限。"),
                code="seven_day_not_allowed",
                fields={"reason": [_("该商品不支持七天无理由退货或已超过期限。")]},
            )
    if reason in FRESH_CLAIMS:
        _check_fresh_claim(order=order, type=type, reason=reason)


def _check_fresh_claim(*, order: Order, type: str, reason: str) -> None:
    """坏果包赔 / 缺重包退: only when the order's goods promised it, for money, within the window after receipt."""
    received = _received_at(order)
    window = rules()["fresh_claim"]
    if (
        not getattr(order, FRESH_CLAIMS[reason])
        or type not in MONEY_TYPES
        or received is None
        or timezone.now() > received + window
    ):
        message = _("该订单不提供%(claim)s，或已超过签收后 %(hours)d 小时的申请期限。") % {
            "claim": AftersalesReason(reason).label,
            "hours": window.total_seconds() // 3600,
        }
        raise ValidationFailed(message, code="fresh_claim_not_allowed", fields={"reason": [message]})


class DuplicateRequest(ValidationFailed):
    """Another request on an item already fully in after-sales: its own code, and a conflict (409)."""

    status_code = 409
    default_code = "aftersales_duplicate"


def _check_duplicate(*, item: OrderItem, type: str) -> None:
    """A second request on an item already in after-sales: refused as a duplicate unless it asks for money the
    open ones leave (partial refunds may run side by side)."""
    if not AftersalesRequest.objects.filter(item=item, status__in=OPEN_STATUSES).exists():
        return
    if type not in MONEY_TYPES or refundable_amount(item) == 0:
        raise DuplicateRequest(_("该商品已有处理中的售后申请。"))


@transaction.atomic
def aftersales_open(
    *,
    order: Order,
    item_id: int,
    buyer_ref: str,
    type: str,
    reason: str,
    amount: int = 0,
    description: str = "",
    photos: Sequence[UploadedFile] = (),
    by,
) -> AftersalesRequest:
    """A buyer opens a request on one item. Locks the item so concurrent requests cannot over-refund."""
    photos = check_photos(photos)
    item = order_item_lock(item_id=item_id, order_id=order.pk)
    if item is None:
        raise ValidationFailed(fields={"item_id": [_("订单中没有该商品。")]}, code="unknown_item")
    order = item.order
    _check_buyer(order, buyer_ref)
    _check_duplicate(item=item, type=type)
    _check_type_allowed(order=order, item=item, type=type, reason=reason)
    if reason in FRESH_CLAIMS and not photos:
        message = _("请上传坏果或称重的照片。")
        raise ValidationFailed(message, code="photos_required", fields={"photos": [message]})
    if order.status == OrderStatus.PAID:
        # Before shipment a refund takes the whole item back (and cancels it).
        amount = amount or refundable_amount(item)
        if amount != refundable_amount(item):
            raise ValidationFailed(fields={"amount": [_("发货前退款须退回该商品全部金额。")]}, code="invalid_amount")
    amount = _check_amount(item=item, type=type, amount=amount)
    req = AftersalesRequest.objects.create(
        request_sn=_new_sn(),
        store_id=order.store_id,
        order=order,
        item=item,
        buyer_ref=buyer_ref,
        type=type,
        reason=reason,
        amount=amount,
        description=description,
        deadline_at=timezone.now() + rules()["aftersales_response"],
    )
    _save_evidence(req, photos, EvidenceSide.BUYER)
    emit(
        type="aftersales.opened",
        store_id=req.store_id,
        title=_("新的售后申请：%(sn)s") % {"sn": req.request_sn},
        body=f"{req.get_type_display()} · {item.product_title}",
        url=_url(req),
        data={"request_sn": req.request_sn, "order_sn": order.order_sn, "type": type, "amount": amount},
    )
    return req


@transaction.atomic
def aftersales_update(
    *,
    request: AftersalesRequest,
    buyer_ref: str,
    reason: str | None = None,
    amount: int | None = None,
    description: str | None = None,
    photos: Sequence[UploadedFile] = (),
    by,
) -> AftersalesRequest:
    """The buyer revises a request the merchant has not answered yet."""
    photos = check_photos(photos)
    req = _lock(request)
    order_item_lock(item_id=req.item_id)  # serialise with the item's other requests
    _check_buyer(req, buyer_ref)
    if req.status != AftersalesStatus.REQUESTED:
        raise IllegalTransition()
    require_action(req, by, "update")
    if reason is not None:
        _check_type_allowed(order=req.order, item=req.item, type=req.type, reason=reason)
        req.reason = reason
    if amount is not None:
        req.amount = _check_amount(item=req.item, type=req.type, amount=amount, exclude_pk=req.pk)
    if description is not None:
        req.description = description
    edit(req, "revise", by=by, reason=_("买家修改申请"), data={"amount": req.amount, "reason": req.reason})
    _save_evidence(req, photos, EvidenceSide.BUYER)
    return req


@transaction.atomic
def aftersales_cancel(*, request: AftersalesRequest, buyer_ref: str, by) -> AftersalesRequest:
    """The buyer withdraws the request (not after the return has been shipped)."""
    req = _lock(request)
    _check_buyer(req, buyer_ref)
    require_action(req, by, "cancel")
    transition(req, "cancel", by=by, reason=_("买家撤销申请"))
    return req


@transaction.atomic
def aftersales_escalate(
    *, request: AftersalesRequest, buyer_ref: str, reason: str, photos: Sequence[UploadedFile] = (), by
) -> AftersalesRequest:
    """A rejected buyer asks for platform intervention within the escalation window."""
    photos = check_photos(photos)
    req = _lock(request)
    _check_buyer(req, buyer_ref)
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写申请平台介入的理由。")]})
    require_action(req, by, "escalate")
    req.escalation_reason = reason[:500]
    transition(req, "escalate", by=by, reason=reason)
    _save_evidence(req, photos, EvidenceSide.BUYER, note=_("申请平台介入"))
    if req.is_force_refundable():  # a seven-day return refused before any goods came back
        return aftersales_force_refund(request=req, cause=_("商家拒绝符合条件的七天无理由退货，平台强制退款"))
    emit(
        type="aftersales.escalated",
        store_id=req.store_id,
        title=_("买家申请平台介入：%(sn)s") % {"sn": req.request_sn},
        body=reason[:200],
        url=_url(req),
        data={"request_sn": req.request_sn},
    )
    return req


@transaction.atomic
def aftersales_submit_return(
    *, request: AftersalesRequest, buyer_ref: str, courier_code: str, waybill_no: str, by
) -> AftersalesRequest:
    """The buyer ships the goods back: the waybill is validated per courier; the receipt deadline starts."""
    req = _lock(request)
    _check_buyer(req, buyer_ref)
    if req.status == AftersalesStatus.AWAITING_RETURN and req.deadline_at and timezone.now() > req.deadline_at:
        raise IllegalTransition(_("已超过退货期限。"), code="return_window_passed")
    number = validate_waybill(courier_code, waybill_no)
    require_action(req, by, "submit_return")
    edit(req, "submit_return", by=by, reason=f"{courier_code} {number}", courier_code=courier_code, waybill_no=number)
    emit(
        type="aftersales.return_shipped",
        store_id=req.store_id,
        title=_("买家已退货：%(sn)s") % {"sn": req.request_sn},
        body=f"{courier_code} {number}",
        url=_url(req),
        data={"request_sn": req.request_sn, "courier_code": courier_code, "waybill_no": number},
    )
    return req


@transaction.atomic
def aftersales_return_delivered(*, request: AftersalesRequest, by) -> AftersalesRequest:
    """The return parcel was signed for (called by shipping's tracking of the return waybill). Idempotent."""
    req = _lock(request)
    if req.return_delivered_at is not None or req.status != AftersalesStatus.AWAITING_RETURN:
        return req
    require_action(req, by, "return_delivered")
    edit(req, "track_return_delivered", by=by, reason=_("退货包裹已签收"))
    return req


def default_return_address(store: Store) -> str:
    """The store's default address-book entry (shipping), else the last return address it gave."""
    sender = default_sender(store)
    if sender is not None:
        return f"{sender.contact_name} {sender.phone} {sender.full_address}"
    return (
        AftersalesRequest.objects.filter(store=store)
        .exclude(return_address="")
        .order_by("-id")
        .values_list("return_address", flat=True)
        .first()
        or ""
    )


def _request_return(req: AftersalesRequest, return_address: str, by) -> None:
    req.return_address = return_address.strip()[:200]
    transition(req, "await_return", by=by, reason=req.return_address)


@transaction.atomic
def aftersales_approve(
    *, request: AftersalesRequest, return_address: str = "", note: str = "", by
) -> AftersalesRequest:
    """The merchant agrees: refund only → refund now; return types → awaiting the buyer's return; resend → ship."""
    req = _lock(request)
    if req.is_return_type() and req.status == AftersalesStatus.REQUESTED and not return_address.strip():
        raise ValidationFailed(fields={"return_address": [_("请填写退货地址。")]}, code="return_address_required")
    require_action(req, by, "approve")
    req.merchant_note = note[:200]
    transition(req, "approve", by=by, reason=note)
    if req.type == AftersalesType.REFUND_ONLY:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    elif req.is_return_type():
        _request_return(req, return_address, by)
    return req


@transaction.atomic
def aftersales_request_return(*, request: AftersalesRequest, return_address: str, by) -> AftersalesRequest:
    """Give the return address of an approved return (e.g. after an automatic approval without one)."""
    req = _lock(request)
    if not return_address.strip():
        raise ValidationFailed(fields={"return_address": [_("请填写退货地址。")]}, code="return_address_required")
    require_action(req, by, "return_address")
    _request_return(req, return_address, by)
    return req


@transaction.atomic
def aftersales_reject(
    *, request: AftersalesRequest, reason: str, photos: Sequence[UploadedFile] = (), by
) -> AftersalesRequest:
    """The merchant refuses (on the request, or after inspecting the returned goods); the buyer may escalate."""
    photos = check_photos(photos)
    req = _lock(request)
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写拒绝理由。")]}, code="reason_required")
    require_action(req, by, "reject")
    req.merchant_note = reason[:200]
    transition(req, "reject", by=by, reason=reason)
    _save_evidence(req, photos, EvidenceSide.MERCHANT, note=reason)
    return req


@transaction.atomic
def aftersales_receive_return(
    *, request: AftersalesRequest, note: str = "", inspection_passed: bool = True, by
) -> AftersalesRequest:
    """The merchant confirms receipt and inspection: passed → a return-and-refund is refunded at once;
    failed → rejected with the note as reason (the buyer may escalate)."""
    if not inspection_passed and not note.strip():
        raise ValidationFailed(fields={"note": [_("验货不通过时请说明原因。")]}, code="reason_required")
    req = _lock(request)
    require_action(req, by, "receive")
    req.inspection_note = note[:200]
    transition(req, "receive_return", by=by, reason=note)
    if not inspection_passed:
        req.merchant_note = note[:200]
        transition(req, "reject", by=by, reason=note)
    elif req.type == AftersalesType.RETURN_REFUND:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    return req


@transaction.atomic
def aftersales_ship_replacement(
    *, request: AftersalesRequest, courier_code: str, waybill_no: str, by
) -> AftersalesRequest:
    """The merchant ships the exchange, resend or repaired parcel (self-ship waybill)."""
    req = _lock(request)
    number = validate_waybill(courier_code, waybill_no)
    require_action(req, by, "ship")
    req.ship_courier_code, req.ship_waybill_no = courier_code, number
    ships: dict[str, str] = {AftersalesType.EXCHANGE: "ship_exchange", AftersalesType.REPAIR: "ship_repaired"}
    name = ships.get(req.type, "ship_resend")
    transition(req, name, by=by, reason=f"{courier_code} {number}")
    return req
