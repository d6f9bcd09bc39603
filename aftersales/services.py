"""Every write of after-sales, complaints and reviews. Each function is atomic and audited."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.events import emit
from portal.exceptions import Conflict, DomainError, IllegalTransition, PermissionDenied, ValidationFailed
from portal.fsm import transition
from portal.models import Payment, PaymentStatus
from portal.payments.services import refund_create
from shipping.selectors import default_sender
from shipping.waybills import validate_waybill
from shop.models import Order, OrderItem, Store
from shop.models.orders import OrderStatus
from shop.services.deposit import deposit_deduct
from shop.services.orders import order_cancel_transition

from .models import (
    MONEY_TYPES,
    OPEN_STATUSES,
    AftersalesReason,
    AftersalesRequest,
    AftersalesStatus,
    AftersalesType,
    CloseReason,
    Complaint,
    Decision,
    Evidence,
    EvidenceSide,
    Review,
    ReviewPhoto,
)

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
ELIGIBLE_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
RECEIVED_ORDER_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def rules() -> dict:
    return settings.PORTAL_TIME_RULES


# ---------------------------------------------------------------------------- helpers


def check_photos(photos: Sequence[UploadedFile], field: str = "photos") -> list[UploadedFile]:
    """At most MAX_PHOTOS real JPEG/PNG/WebP images of at most 5 MB each, else ValidationFailed."""
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(fields={field: [_("最多上传 %(n)d 张图片。") % {"n": MAX_PHOTOS}]})
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            raise ValidationFailed(fields={field: [_("图片不能超过 5MB。")]})
        try:
            image = Image.open(photo)
            image.verify()
            fmt = image.format
        except (UnidentifiedImageError, OSError, SyntaxError):
            fmt = None
        if fmt not in PHOTO_FORMATS:
            raise ValidationFailed(fields={field: [_("请上传 JPG、PNG 或 WebP 图片。")]})
        photo.seek(0)
    return photos


def _new_sn() -> str:
    return f"AS{timezone.localtime():%y%m%d}{secrets.randbelow(10**12):012d}"


def _check_buyer(obj, buyer_ref: str) -> None:
    if obj.buyer_ref != buyer_ref:
        raise PermissionDenied(_("该订单不属于此买家。"), code="buyer_mismatch")


def _received_at(order: Order) -> datetime | None:
    return order.delivered_at or order.completed_at


def _in_flight(item: OrderItem, exclude_pk: int | None = None) -> int:
    qs = AftersalesRequest.objects.filter(item=item, type__in=MONEY_TYPES, status__in=OPEN_STATUSES)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(s=Sum("amount"))["s"] or 0


def refundable_amount(item: OrderItem, exclude_pk: int | None = None) -> int:
    """What may still be asked for on the item: paid − refunded − open money requests (call under the item's lock)."""
    return max(item.paid_amount - item.refunded_amount - _in_flight(item, exclude_pk), 0)


def _check_amount(*, item: OrderItem, type: str, amount: int, exclude_pk: int | None = None) -> int:
    if type not in MONEY_TYPES:
        return 0
    available = refundable_amount(item, exclude_pk)
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("退款金额必须大于 0。")]}, code="invalid_amount")
    if amount > available:
        raise ValidationFailed(
            _("退款金额超过可退金额。"),
            code="refund_exceeds_paid",
            fields={"amount": [_("最多可退 %(amount).2f 元。") % {"amount": available / 100}]},
        )
    return amount


def _save_evidence(request: AftersalesRequest, photos: Sequence[UploadedFile], side: str, note: str = "") -> None:
    for photo in photos:
        Evidence.objects.create(request=request, side=side, image=photo, note=note[:200])


def _url(req: AftersalesRequest) -> str:
    return reverse("aftersales:request_detail", args=[req.pk])


def _issue_refund(*, req: AftersalesRequest, amount: int, by) -> None:
    """Refund through the payment adapter, book it on the item; cancel an unshipped order fully refunded."""
    item = OrderItem.objects.select_for_update().get(pk=req.item_id)
    amount = min(amount, item.paid_amount - item.refunded_amount)
    if amount <= 0:
        raise Conflict(_("该商品已无可退金额。"), code="nothing_to_refund")
    payment = Payment.objects.filter(
        purpose="order", reference=req.order.order_sn, status=PaymentStatus.SUCCEEDED
    ).first()
    if payment is None:
        raise Conflict(_("未找到该订单的支付记录，无法退款。"), code="payment_not_found")
    req.refund = refund_create(
        payment=payment, amount=amount, reference=req.request_sn, reason=str(req.get_reason_display()), by=by
    )
    req.refunded_amount = amount
    req.save(update_fields=["refund", "refunded_amount", "updated_at"])
    item.refunded_amount += amount
    item.save(update_fields=["refunded_amount"])
    _cancel_order_if_fully_refunded(order_id=req.order_id, by=by)


def _cancel_order_if_fully_refunded(*, order_id: int, by) -> None:
    """Before shipment a refund cancels the order once every item is refunded.

    Not shop.services.orders.order_cancel: it refunds the whole payment, and the items were already
    refunded here one by one; so this runs only order_cancel_transition (the FSM cancel and the cancel
    hooks: a booked parcel is cancelled too, and a picked-up one refuses, rolling the refund back).
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PAID:
        return
    if all(i.refunded_amount >= i.paid_amount for i in order.items.all()):
        reason = _("买家售后退款，订单关闭")
        order_cancel_transition(order=order, reason=reason, by=by)


def _lock(req: AftersalesRequest) -> AftersalesRequest:
    """Lock the request row only (lock order everywhere: request → item → order)."""
    return (
        AftersalesRequest.objects.select_for_update(of=("self",))
        .select_related("order", "item", "store")
        .get(pk=req.pk)
    )


# ---------------------------------------------------------------------------- buyer side


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
    item = (
        OrderItem.objects.select_for_update(of=("self",))
        .select_related("order", "sku__product")
        .filter(pk=item_id, order_id=order.pk)
        .first()
    )
    if item is None:
        raise ValidationFailed(fields={"item_id": [_("订单中没有该商品。")]}, code="unknown_item")
    order = item.order
    _check_buyer(order, buyer_ref)
    _check_type_allowed(order=order, item=item, type=type, reason=reason)
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
    OrderItem.objects.select_for_update().filter(pk=req.item_id).first()  # serialise with the item's other requests
    _check_buyer(req, buyer_ref)
    if req.status != AftersalesStatus.REQUESTED:
        raise IllegalTransition()
    if reason is not None:
        _check_type_allowed(order=req.order, item=req.item, type=req.type, reason=reason)
        req.reason = reason
    if amount is not None:
        req.amount = _check_amount(item=req.item, type=req.type, amount=amount, exclude_pk=req.pk)
    if description is not None:
        req.description = description
    transition(req, "revise", by=by, reason=_("买家修改申请"), data={"amount": req.amount, "reason": req.reason})
    _save_evidence(req, photos, EvidenceSide.BUYER)
    return req


@transaction.atomic
def aftersales_cancel(*, request: AftersalesRequest, buyer_ref: str, by) -> AftersalesRequest:
    """The buyer withdraws the request (not after the return has been shipped)."""
    req = _lock(request)
    _check_buyer(req, buyer_ref)
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
    req.escalation_reason = reason[:500]
    transition(req, "escalate", by=by, reason=reason)
    _save_evidence(req, photos, EvidenceSide.BUYER, note=_("申请平台介入"))
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
    transition(
        req, "submit_return", by=by, reason=f"{courier_code} {number}", courier_code=courier_code, waybill_no=number
    )
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
    transition(req, "track_return_delivered", by=by, reason=_("退货包裹已签收"))
    return req


# ---------------------------------------------------------------------------- merchant side


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
    """The merchant ships the exchange or resend parcel (self-ship waybill; online booking once shipping lands)."""
    req = _lock(request)
    number = validate_waybill(courier_code, waybill_no)
    req.ship_courier_code, req.ship_waybill_no = courier_code, number
    name = "ship_exchange" if req.is_exchange() else "ship_resend"
    transition(req, name, by=by, reason=f"{courier_code} {number}")
    return req


# ---------------------------------------------------------------------------- platform


@transaction.atomic
def aftersales_decide(
    *,
    request: AftersalesRequest,
    decision: str,
    amount: int | None = None,
    note: str = "",
    deposit_deduction: int = 0,
    by,
) -> AftersalesRequest:
    """Support staff decide an intervention: full or partial refund (optionally from the deposit) or reject."""
    req = _lock(request)
    if decision not in Decision.values:
        raise ValidationFailed(fields={"decision": [_("请选择裁决结果。")]})
    if deposit_deduction < 0 or (deposit_deduction and decision == Decision.REJECT):
        raise ValidationFailed(fields={"deposit_deduction": [_("驳回买家时不能扣除保证金。")]})
    refund_amount = 0
    if decision != Decision.REJECT:
        item = OrderItem.objects.select_for_update().get(pk=req.item_id)
        cap = req.amount if req.is_money_type() else item.paid_amount - item.refunded_amount
        refund_amount = cap if decision == Decision.FULL_REFUND else (amount or 0)
        if refund_amount <= 0 or refund_amount > cap:
            raise ValidationFailed(
                fields={"amount": [_("部分退款金额须在 0.01 至 %(cap).2f 元之间。") % {"cap": cap / 100}]}
            )
    req.decision, req.decision_note, req.deposit_deduction = decision, note[:500], deposit_deduction
    req.decided_by = by if getattr(by, "pk", None) else None
    transition(req, "decide", by=by, reason=note, data={"decision": decision, "amount": refund_amount})
    if refund_amount:
        _issue_refund(req=req, amount=refund_amount, by=by)
    if deposit_deduction:
        deposit_deduct(
            store=req.store,
            amount=deposit_deduction,
            reason=_("售后纠纷平台判定：%(sn)s") % {"sn": req.request_sn},
            by=by,
            ref=req.request_sn,
        )
    emit(
        type="aftersales.closed",
        store_id=req.store_id,
        title=_("平台已裁决：%(sn)s（%(d)s）") % {"sn": req.request_sn, "d": req.get_decision_display()},
        body=note[:200],
        url=_url(req),
        data={"request_sn": req.request_sn, "decision": decision, "deposit_deduction": deposit_deduction},
    )
    return req


@transaction.atomic
def complaint_file(
    *, store: Store, buyer_ref: str, category: str, content: str, order: Order | None = None, by
) -> Complaint:
    """A buyer complains about a store; support staff handle it in the admin."""
    if order is not None:
        _check_buyer(order, buyer_ref)
    complaint = Complaint.objects.create(
        store=store, order=order, buyer_ref=buyer_ref, category=category, content=content[:1000]
    )
    emit(
        type="complaint.received",
        store_id=store.pk,
        title=_("收到买家投诉：%(c)s") % {"c": complaint.get_category_display()},
        body=content[:200],
        data={"complaint_id": complaint.pk, "category": category},
    )
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, upheld: bool, resolution: str, by) -> Complaint:
    """Staff uphold or dismiss a complaint, with the resolution text."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    complaint.resolution = resolution[:500]
    complaint.handled_by = by if getattr(by, "pk", None) else None
    transition(complaint, "uphold" if upheld else "dismiss", by=by, reason=resolution)
    return complaint


# ---------------------------------------------------------------------------- sweeps' services


@transaction.atomic
def aftersales_auto_approve(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """The response window passed: approve as the merchant would (return address: the store's last one)."""
    req = _lock(request)
    if req.status != AftersalesStatus.REQUESTED or req.deadline_at is None or req.deadline_at > timezone.now():
        return req
    reason = _("商家超时未处理，系统自动同意")
    transition(req, "approve", by=by, reason=reason)
    if req.type == AftersalesType.REFUND_ONLY:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    elif req.is_return_type() and (address := default_return_address(req.store)):
        _request_return(req, address, by)
    return req


@transaction.atomic
def aftersales_expire(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """A deadline on the buyer's side passed: return not shipped (closed) or no escalation (closed)."""
    req = _lock(request)
    if req.deadline_at is None or req.deadline_at > timezone.now():
        return req
    if req.status == AftersalesStatus.AWAITING_RETURN and not req.return_waybill_no:
        req.close_reason = CloseReason.BUYER_OVERDUE
    elif req.status == AftersalesStatus.REJECTED:
        req.close_reason = CloseReason.EXPIRED
    else:
        return req
    transition(req, "close", by=by, reason=req.get_close_reason_display())
    return req


@transaction.atomic
def aftersales_auto_receive(*, request: AftersalesRequest, by="system") -> AftersalesRequest:
    """The merchant did not confirm the returned goods in time: receipt confirmed (and refunded) automatically."""
    req = _lock(request)
    if (
        req.status != AftersalesStatus.AWAITING_RETURN
        or not req.return_waybill_no
        or req.deadline_at is None
        or req.deadline_at > timezone.now()
    ):
        return req
    transition(req, "receive_return", by=by, reason=_("商家超时未确认收货，系统自动确认"))
    if req.type == AftersalesType.RETURN_REFUND:
        _issue_refund(req=req, amount=req.amount, by=by)
        transition(req, "mark_refunded", by=by)
    return req


# ---------------------------------------------------------------------------- reviews


def _check_scores(**scores: int) -> None:
    bad = {k: [_("请打 1 至 5 分。")] for k, v in scores.items() if not isinstance(v, int) or not 1 <= v <= 5}
    if bad:
        raise ValidationFailed(fields=bad)


@transaction.atomic
def review_create(
    *,
    order: Order,
    item_id: int,
    buyer_ref: str,
    score_description: int,
    score_logistics: int,
    score_service: int,
    text: str = "",
    anonymous: bool = False,
    photos: Sequence[UploadedFile] = (),
    by,
) -> Review:
    """A buyer reviews a received item once, within the review window."""
    photos = check_photos(photos)
    _check_scores(score_description=score_description, score_logistics=score_logistics, score_service=score_service)
    item = (
        OrderItem.objects.select_for_update(of=("self",))
        .select_related("order", "sku")
        .filter(pk=item_id, order_id=order.pk)
        .first()
    )
    if item is None:
        raise ValidationFailed(fields={"item_id": [_("订单中没有该商品。")]}, code="unknown_item")
    order = item.order
    _check_buyer(order, buyer_ref)
    received = _received_at(order)
    if order.status not in RECEIVED_ORDER_STATUSES or received is None:
        raise DomainError(_("确认收货后才能评价。"), code="not_received")
    if timezone.now() > received + rules()["review_window"]:
        raise DomainError(_("已超过评价期限。"), code="review_window_passed")
    if Review.objects.filter(item=item).exists():
        raise Conflict(_("该商品已评价。"), code="already_reviewed")
    review = Review.objects.create(
        store_id=order.store_id,
        order=order,
        item=item,
        product_id=item.sku.product_id,
        buyer_ref=buyer_ref,
        score_description=score_description,
        score_logistics=score_logistics,
        score_service=score_service,
        text=text[:500],
        anonymous=anonymous,
        has_photos=bool(photos),
    )
    for photo in photos:
        ReviewPhoto.objects.create(review=review, image=photo)
    emit(
        type="review.received",
        store_id=order.store_id,
        title=_("收到新评价：%(p)s") % {"p": item.product_title},
        body=text[:200],
        url=reverse("aftersales:review_list"),
        data={"review_id": review.pk, "order_sn": order.order_sn, "average": review.average},
    )
    return review


def _lock_review(review: Review) -> Review:
    return Review.objects.select_for_update().get(pk=review.pk)


@transaction.atomic
def review_followup(*, review: Review, buyer_ref: str, text: str, photos: Sequence[UploadedFile] = (), by) -> Review:
    """One follow-up review (追评), later and within the follow-up window."""
    photos = check_photos(photos)
    review = _lock_review(review)
    _check_buyer(review, buyer_ref)
    if not text.strip():
        raise ValidationFailed(fields={"text": [_("请填写追评内容。")]})
    if review.followup_at is not None:
        raise Conflict(_("只能追评一次。"), code="already_followed_up")
    if timezone.now() > review.created_at + rules()["review_followup_window"]:
        raise DomainError(_("已超过追评期限。"), code="followup_window_passed")
    review.followup_text, review.followup_at = text[:500], timezone.now()
    review.has_photos = review.has_photos or bool(photos)
    review.save(update_fields=["followup_text", "followup_at", "has_photos"])
    for photo in photos:
        ReviewPhoto.objects.create(review=review, image=photo, followup=True)
    return review


@transaction.atomic
def review_reply(*, review: Review, store: Store, text: str, by) -> Review:
    """The merchant replies once to the review, and once to its follow-up (the next unanswered one)."""
    review = _lock_review(review)
    if review.store_id != store.pk:
        raise PermissionDenied()
    if not text.strip():
        raise ValidationFailed(fields={"text": [_("请填写回复内容。")]})
    now = timezone.now()
    if not review.replied_at:
        review.reply, review.replied_at = text[:500], now
    elif review.followup_at and not review.followup_replied_at:
        review.followup_reply, review.followup_replied_at = text[:500], now
    else:
        raise Conflict(_("已回复过，不能再次回复。"), code="already_replied")
    review.save(update_fields=["reply", "replied_at", "followup_reply", "followup_replied_at"])
    return review


@transaction.atomic
def review_hide(*, review: Review, reason: str, by) -> Review:
    """Staff hide abusive content (the buyer's words are never edited)."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写隐藏原因。")]})
    review = _lock_review(review)
    review.hidden_reason = reason[:200]
    transition(review, "hide", by=by, reason=reason, field="visibility")
    return review


@transaction.atomic
def review_unhide(*, review: Review, by) -> Review:
    review = _lock_review(review)
    transition(review, "unhide", by=by, field="visibility")
    return review


def reviews_default_positive(*, now: datetime | None = None) -> int:
    """Items received longer than the review window ago and never reviewed get a default 5/5/5 (set-based)."""
    now = now or timezone.now()
    cutoff = now - rules()["review_window"]
    items = (
        OrderItem.objects.filter(order__status__in=RECEIVED_ORDER_STATUSES, review__isnull=True)
        .filter(
            Q(order__delivered_at__lte=cutoff) | Q(order__delivered_at__isnull=True, order__completed_at__lte=cutoff)
        )
        .select_related("order", "sku")
    )
    reviews = [
        Review(
            store_id=i.order.store_id,
            order_id=i.order_id,
            item=i,
            product_id=i.sku.product_id,
            buyer_ref=i.order.buyer_ref,
            score_description=5,
            score_logistics=5,
            score_service=5,
            is_default=True,
            created_at=now,
        )
        for i in items
    ]
    return len(Review.objects.bulk_create(reviews, ignore_conflicts=True))
