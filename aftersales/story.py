"""What after-sales tells about an order (portal.hooks): its requests on the order's page and API resource."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from portal.hooks import StoryEntry

from .models import OPEN_STATUSES, AftersalesRequest


def order_requests(orders: Sequence) -> dict[int, list[StoryEntry]]:
    """Each order's after-sales requests, newest first: type, status, amount, item, link (one query)."""
    rows = (
        AftersalesRequest.objects.filter(order_id__in=[o.pk for o in orders])
        .select_related("item")
        .order_by("-created_at", "-id")
    )
    story: dict[int, list[StoryEntry]] = {}
    for r in rows:
        story.setdefault(r.order_id, []).append(
            StoryEntry(
                kind="aftersales",
                ref=r.request_sn,
                status=r.status,
                status_label=str(r.get_status_display()),
                url=reverse("aftersales:request_detail", args=[r.pk]),
                live=r.status in OPEN_STATUSES,
                at=r.created_at,
                details={
                    "request_id": r.pk,
                    "type": r.type,
                    "type_label": str(r.get_type_display()),
                    "amount": r.amount,
                    "refunded_amount": r.refunded_amount,
                    "item": r.item.product_title,
                    "deadline_at": r.deadline_at.isoformat() if r.deadline_at else None,
                },
            )
        )
    return story
