"""Reads of after-sales, reviews and ratings, always scoped to a store, constant query counts."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerChoices,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Refund, RefundStatus
from shipping.selectors import scan_exists, tracking_events
from shop.selectors.orders import platform_refund_status

if TYPE_CHECKING:
    from shipping.models import TrackingEvent
    from shop.models import Order, Store
from shop.services.orders.common import LEADER_FREE_REFUND_PREFIX, PAYMENT_PURPOSE

from .models import OPEN_STATUSES, AftersalesRequest, AftersalesStatus, Review, Visibility

# Merchant list tabs: key → (label, statuses)
TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "all": (_("全部"), ()),
    "to_answer": (_("待处理"), (AftersalesStatus.REQUESTED,)),
    "returning": (
        _("退货中"),
        (AftersalesStatus.APPROVED, AftersalesStatus.AWAITING_RETURN, AftersalesStatus.RETURN_RECEIVED),
    ),
    "rejected": (_("已拒绝"), (AftersalesStatus.REJECTED,)),
    "intervention": (_("平台介入"), (AftersalesStatus.IN_INTERVENTION,)),
    "done": (
        _("已完结"),
        (
            AftersalesStatus.REFUNDED,
            AftersalesStatus.EXCHANGED,
            AftersalesStatus.RESENT,
            AftersalesStatus.REPAIRED,
            AftersalesStatus.DECIDED,
            AftersalesStatus.CANCELLED,
            AftersalesStatus.CLOSED,
        ),
    ),
}


def request_list(*, store: Store, tab: str = "all", q: str = "") -> QuerySet[AftersalesRequest]:
    qs = AftersalesRequest.objects.filter(store=store).select_related("order", "item", "refund")
    statuses = TABS.get(tab, TABS["all"])[1]
    if statuses:
        qs = qs.filter(status__in=statuses)
    if q:
        qs = qs.filter(Q(request_sn__icontains=q) | Q(order__order_sn__icontains=q) | Q(buyer_ref=q))
    return qs


def tab_counts(*, store: Store) -> dict[str, int]:
    """Every tab's count in one aggregate query."""
    aggregates = {
        key: Count("id", filter=Q(status__in=statuses)) if statuses else Count("id")
        for key, (_label, statuses) in TABS.items()
    }
    return AftersalesRequest.objects.filter(store=store).aggregate(**aggregates)


def request_detail(*, store: Store, pk: int) -> AftersalesRequest:
    return (
        AftersalesRequest.objects.select_related("order", "item", "refund", "store")
        .prefetch_related("evidence")
        .get(store=store, pk=pk)
    )


SIGNED_ACTIONS = ("SIGN", "SIGN_ON_BEHALF", "IN_CABINET")
BOUNCED_ACTIONS = ("REJECTION", "RETURN")


def return_tracking(req: AftersalesRequest) -> QuerySet[TrackingEvent]:
    """The courier's scans of the return parcel (shipping records them for any waybill)."""
    return tracking_events(courier_code=req.return_courier_code, waybill_no=req.return_waybill_no)


def returns_signed_for() -> QuerySet[AftersalesRequest]:
    """Returns on their way whose parcel the courier reports signed for (not yet marked delivered)."""
    signed = scan_exists(
        courier_code=OuterRef("return_courier_code"), waybill_no=OuterRef("return_waybill_no"), actions=SIGNED_ACTIONS
    )
    return AftersalesRequest.objects.filter(
        status=AftersalesStatus.AWAITING_RETURN, return_delivered_at__isnull=True
    ).filter(signed)


def returns_bounced() -> QuerySet[AftersalesRequest]:
    """Returns on their way whose parcel the courier reports refused or sent back (a wrong return address, or
    the merchant refused it)."""
    bounced = scan_exists(
        courier_code=OuterRef("return_courier_code"),
        waybill_no=OuterRef("return_waybill_no"),
        actions=BOUNCED_ACTIONS,
    )
    return (
        AftersalesRequest.objects.filter(status=AftersalesStatus.AWAITING_RETURN)
        .exclude(return_waybill_no="")
        .filter(bounced)
    )


def open_requests_of_order(*, store: Store, order: Order) -> QuerySet[AftersalesRequest]:
    """Open requests of one order, for the order detail page."""
    return AftersalesRequest.objects.filter(store_id=store.pk, order=order, status__in=OPEN_STATUSES).select_related(
        "item"
    )


def open_request_order_ids(store: Store) -> QuerySet:
    """Ids of the store's orders with an open after-sales request (the order list's 售后中 tab), an order once per
    open request: as `IN (…)` PostgreSQL then walks the store's orders newest first and probes each, where a
    `DISTINCT` made it hash every open request's order before sorting them (27 → 11 ms at 5,334 open)."""
    return (
        AftersalesRequest.objects.filter(store=store, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("order_id", flat=True)
    )


def in_aftersales() -> Exists:
    """Annotation for an Order queryset: `.annotate(in_aftersales=in_aftersales())`."""
    return Exists(AftersalesRequest.objects.filter(order_id=OuterRef("pk"), status__in=OPEN_STATUSES))


def in_aftersales_q() -> Q:
    """Q for Order querysets (filters and Count(filter=...)): the order has an open after-sales request."""
    return Q(in_aftersales())


class RefundCode(IntegerChoices):
    """The platform's refund status of an order (DOMAIN.md)."""

    NONE = 1, _("无售后或售后关闭")
    IN_AFTERSALES = 2, _("售后处理中")
    REFUNDING = 3, _("退款中")
    REFUNDED = 4, _("退款成功")


def refund_status() -> Case:
    """The one owner of the platform refund status, as an annotation for an Order queryset (shop's lists and
    API use it through `portal.hooks.order_refund_status`): 3 while a refund of the order's payment is on
    its way (after-sales or a cancellation), else 2 while an after-sales request is open, else 4 once money
    went back (a cancelled paid order, a refunded return on a completed order), else 1."""
    refunds = Refund.objects.filter(payment__purpose=PAYMENT_PURPOSE, payment__reference=OuterRef("order_sn")).exclude(
        reference__startswith=LEADER_FREE_REFUND_PREFIX
    )  # 团长免单 pays a promotion out, not a refund
    return Case(
        When(Exists(refunds.filter(status=RefundStatus.PENDING)), then=Value(RefundCode.REFUNDING)),
        When(in_aftersales(), then=Value(RefundCode.IN_AFTERSALES)),
        When(Exists(refunds.filter(status=RefundStatus.SUCCEEDED)), then=Value(RefundCode.REFUNDED)),
        default=Value(RefundCode.NONE),
        output_field=IntegerField(),
    )


def refund_status_code(order: Order) -> int:
    """One order's platform refund status (the `refund_status` annotation, through shop's order selector)."""
    return platform_refund_status(order)


def awaiting_answer(store: Store) -> tuple[int, datetime | None]:
    """(requests awaiting the merchant's answer, the nearest response deadline)."""
    row = AftersalesRequest.objects.filter(store=store, status=AftersalesStatus.REQUESTED).aggregate(
        n=Count("id"), nearest=Min("deadline_at")
    )
    return row["n"], row["nearest"]


# ---------------------------------------------------------------------------- reviews

# Score filters on the sum of the three dimensions (good: mean ≥ 4, bad: mean < 3).
SCORE_FILTERS = {"good": (12, 15), "medium": (9, 11), "bad": (3, 8)}


def review_list(*, store: Store, score: str = "", photos: bool = False, unanswered: bool = False) -> QuerySet[Review]:
    qs = Review.objects.filter(store=store).select_related("item", "order").prefetch_related("photos")
    if score in SCORE_FILTERS:
        low, high = SCORE_FILTERS[score]
        total = F("score_description") + F("score_logistics") + F("score_service")
        qs = qs.alias(total=total).filter(total__gte=low, total__lte=high)
    if photos:
        qs = qs.filter(has_photos=True)
    if unanswered:
        qs = qs.filter(unanswered_q())
    return qs


def unanswered_q() -> Q:
    return Q(is_default=False, replied_at__isnull=True) | Q(followup_at__isnull=False, followup_replied_at__isnull=True)


def unanswered_reviews_count(store: Store) -> int:
    return Review.objects.filter(store=store).filter(unanswered_q()).count()


def product_rating(product_id: int) -> dict:
    """{"average": Decimal | None, "count": n} over visible reviews of a product (catalog pages)."""
    return product_ratings([product_id])[product_id]


def product_ratings(product_ids: list[int]) -> dict[int, dict]:
    """Ratings of many products in one query: {product_id: {"average", "count"}}."""
    rows = (
        Review.objects.filter(product_id__in=product_ids, visibility=Visibility.VISIBLE)
        .values("product_id")
        .annotate(d=Avg("score_description"), l=Avg("score_logistics"), s=Avg("score_service"), n=Count("id"))
    )
    out = {pk: {"average": None, "count": 0} for pk in product_ids}
    for r in rows:
        out[r["product_id"]] = {"average": _round((r["d"] + r["l"] + r["s"]) / 3), "count": r["n"]}
    return out


# ---------------------------------------------------------------------------- DSR


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def dsr_rows(*, store_ids: list[int] | None = None, now: datetime | None = None) -> dict[int, dict]:
    """Rolling DSR averages of many stores in one aggregate query: {store_id: {description, logistics, service, count}}."""
    now = now or timezone.now()
    qs = Review.objects.filter(created_at__gt=now - settings.PORTAL_TIME_RULES["dsr_window"], created_at__lte=now)
    if store_ids is not None:
        qs = qs.filter(store_id__in=store_ids)
    rows = qs.values("store_id").annotate(
        d=Avg("score_description"), l=Avg("score_logistics"), s=Avg("score_service"), n=Count("id")
    )
    return {
        r["store_id"]: {
            "description": _round(r["d"]),
            "logistics": _round(r["l"]),
            "service": _round(r["s"]),
            "count": r["n"],
        }
        for r in rows
    }


def dsr(store: Store, now: datetime | None = None) -> dict:
    """The store's rolling DSR now: {"description", "logistics", "service" (Decimal | None), "count"}."""
    return dsr_rows(store_ids=[store.pk], now=now).get(
        store.pk, {"description": None, "logistics": None, "service": None, "count": 0}
    )
