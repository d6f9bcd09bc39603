"""Reviews: create, follow up, merchant reply, staff moderation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import require_perm
from portal.audit import audit_record
from portal.events import emit
from portal.exceptions import Conflict, DomainError, PermissionDenied, ValidationFailed
from portal.fsm import transition
from shop.services.orders.items import (
    order_item_lock,
)

from ..models import (
    Review,
    ReviewPhoto,
)
from .common import RECEIVED_ORDER_STATUSES, _check_buyer, _received_at, check_photos, rules
from .inducement import refuse_inducing_reply, report_inducement

if TYPE_CHECKING:
    from shop.models import Order, Store


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
    item = order_item_lock(item_id=item_id, order_id=order.pk)
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
    report_inducement(review, text)
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
    report_inducement(review, text)
    return review


@transaction.atomic
def review_reply(*, review: Review, store: Store, text: str, part: str | None = None, by) -> Review:
    """The merchant replies once to the review, and once to its follow-up: `part` ("review" | "followup")
    names the one replied to; without it, the next unanswered one. Only that one is saved."""
    review = _lock_review(review)
    if review.store_id != store.pk:
        raise PermissionDenied()
    if not text.strip():
        raise ValidationFailed(fields={"text": [_("请填写回复内容。")]})
    refuse_inducing_reply(text)
    if part not in (None, "review", "followup"):
        raise ValidationFailed(fields={"part": [_("请选择回复评价或追评。")]})
    if part is None:
        part = "review" if not review.replied_at else "followup"
    now = timezone.now()
    if part == "review" and not review.replied_at:
        review.reply, review.replied_at = text[:500], now
        fields = ["reply", "replied_at"]
    elif part == "followup" and review.followup_at and not review.followup_replied_at:
        review.followup_reply, review.followup_replied_at = text[:500], now
        fields = ["followup_reply", "followup_replied_at"]
    else:
        raise Conflict(_("已回复过，不能再次回复。"), code="already_replied")
    review.save(update_fields=fields)
    audit_record(review, "reply", by=by, reason=text[:500], data={"part": part})
    return review


@transaction.atomic
def review_hide(*, review: Review, reason: str, by) -> Review:
    """Staff hide abusive content (the buyer's words are never edited)."""
    require_perm(by, "aftersales.change_review")
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写隐藏原因。")]})
    review = _lock_review(review)
    require_action(review, by, "hide")
    review.hidden_reason = reason[:200]
    transition(review, "hide", by=by, reason=reason, field="visibility")
    return review


@transaction.atomic
def review_unhide(*, review: Review, by) -> Review:
    require_perm(by, "aftersales.change_review")
    review = _lock_review(review)
    require_action(review, by, "unhide")
    transition(review, "unhide", by=by, field="visibility")
    return review
