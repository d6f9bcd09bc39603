"""What the after-sales services share: photo checks, buyer checks, the request lock, request numbers."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.exceptions import PermissionDenied, ValidationFailed
from shop.selectors.orders import OrderStatus

from ..models import (
    AftersalesRequest,
    Evidence,
)

if TYPE_CHECKING:
    from shop.models import Order

MAX_PHOTOS = 9


MAX_PHOTO_BYTES = 5 * 1024 * 1024


PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


ELIGIBLE_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


RECEIVED_ORDER_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def rules() -> dict:
    return settings.PORTAL_TIME_RULES


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


def _save_evidence(request: AftersalesRequest, photos: Sequence[UploadedFile], side: str, note: str = "") -> None:
    for photo in photos:
        Evidence.objects.create(request=request, side=side, image=photo, note=note[:200])


def _url(req: AftersalesRequest) -> str:
    return reverse("aftersales:request_detail", args=[req.pk])


def _lock(req: AftersalesRequest) -> AftersalesRequest:
    """Lock the request row only (lock order everywhere: request → item → order)."""
    return (
        AftersalesRequest.objects.select_for_update(of=("self",))
        .select_related("order", "item", "store")
        .get(pk=req.pk)
    )
