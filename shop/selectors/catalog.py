"""Reads of the catalogue and promotions, always scoped to one store, with a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shop.models import (
    Category,
    CouponBatch,
    CouponClaim,
    CouponSource,
    LeaderFree,
    LimitedTimeDiscount,
    OrderItem,
    Product,
    ProductImage,
    ProductStatus,
    SecondItemDiscount,
    Sku,
    SpendAndSave,
    Store,
)

# Orders whose items count as sold (已售): paid, whatever happened after, except a cancellation.
SOLD_ORDER_STATUSES = ("grouping", "paid", "shipped", "delivered", "completed")
LOW_STOCK = 10
PRODUCT_SORTS = {
    "": ("-created_at", "-id"),
    "sales": ("-sold", "-id"),
    "stock": ("total_stock", "-id"),
    "price": ("min_price", "-id"),
    "-price": ("-min_price", "-id"),
}


def products_for_store(
    store: Store,
    *,
    q: str = "",
    status: str = "",
    category: int | None = None,
    stock: str = "",
    price_min: int | None = None,
    price_max: int | None = None,
    sort: str = "",
) -> QuerySet[Product]:
    """The store's products for lists: category, images and SKUs prefetched; stock, price range and units
    sold (已售) annotated; filtered by category, stock (`out`, `low`, `in`) and lowest price (fen)."""
    sold = (
        OrderItem.objects.filter(sku__product=OuterRef("pk"), order__status__in=SOLD_ORDER_STATUSES)
        .values("sku__product")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    qs = (
        Product.objects.filter(store=store)
        .select_related("category")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")), "skus")
        .annotate(
            total_stock=Coalesce(Sum("skus__stock"), 0),
            min_price=Min("skus__price"),
            sku_count=Count("skus"),
            sold=Coalesce(Subquery(sold, output_field=IntegerField()), 0),
        )
        .order_by(*PRODUCT_SORTS.get(sort, PRODUCT_SORTS[""]))
    )
    if q:
        by_code = Sku.objects.filter(product__store=store, code=q).values("product_id")
        qs = qs.filter(Q(title__icontains=q) | Q(brand__icontains=q) | Q(pk__in=by_code))
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(Q(category_id=category) | Q(category__parent_id=category))
    if stock == "out":
        qs = qs.filter(total_stock=0)
    elif stock == "low":
        qs = qs.filter(total_stock__gt=0, total_stock__lte=LOW_STOCK)
    elif stock == "in":
        qs = qs.filter(total_stock__gt=0)
    if price_min is not None:
        qs = qs.filter(min_price__gte=price_min)
    if price_max is not None:
        qs = qs.filter(min_price__lte=price_max)
    return qs


def product_categories(store: Store) -> QuerySet[Category]:
    """The categories the store's products are in, for the list's filter."""
    return Category.objects.filter(pk__in=Product.objects.filter(store=store).values("category_id")).order_by("name")


def product_status_counts(store: Store) -> dict[str, int]:
    counts = {
        row["status"]: row["n"] for row in Product.objects.filter(store=store).values("status").annotate(n=Count("id"))
    }
    return {"": sum(counts.values())} | {s.value: counts.get(s.value, 0) for s in ProductStatus}


def product_for_store(store: Store, pk: int) -> Product:
    """One of the store's products (404 for another store's)."""
    return get_object_or_404(
        Product.objects.select_related("category", "store").prefetch_related("images", "skus"), store=store, pk=pk
    )


def skus_for_store(store: Store) -> QuerySet[Sku]:
    return Sku.objects.filter(product__store=store).select_related("product")


def products_export_rows(store: Store) -> Iterator[dict]:
    """One row per SKU, in the CSV import's columns (prices in yuan)."""
    skus = Sku.objects.filter(product__store=store).select_related("product__category").order_by("product_id", "id")
    for sku in skus.iterator(chunk_size=500):
        yield {
            "sku_code": sku.code,
            "product_title": sku.product.title,
            "category": sku.product.category.code,
            "brand": sku.product.brand,
            "spec": ";".join(f"{k}:{v}" for k, v in sku.spec.items()),
            "price": f"{sku.price / 100:.2f}",
            "group_price": f"{sku.group_price / 100:.2f}",
            "stock": sku.stock,
            "weight_g": sku.weight_g,
        }


def discounts_for_store(store: Store) -> QuerySet[LimitedTimeDiscount]:
    return LimitedTimeDiscount.objects.filter(store=store).select_related("sku__product")


@dataclass
class DiscountActivity:
    """A 限时折扣 activity as the list shows it: its discounts (one per SKU) under one name and window."""

    first: LimitedTimeDiscount
    discounts: list[LimitedTimeDiscount]

    @property
    def pk(self) -> int:
        return self.first.pk

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def starts_at(self) -> datetime:
        return self.first.starts_at

    @property
    def ends_at(self) -> datetime:
        return min(d.ends_at for d in self.discounts)

    @property
    def products(self) -> list[Product]:
        return list({d.sku.product_id: d.sku.product for d in self.discounts}.values())

    @property
    def activity_stock(self) -> int | None:
        stocks = [d.activity_stock for d in self.discounts if d.activity_stock is not None]
        return sum(stocks) if stocks else None

    @property
    def per_buyer_limit(self) -> int | None:
        return self.first.per_buyer_limit

    @property
    def status(self) -> str:
        return self.live.status if self.live else self.first.status

    @property
    def live(self) -> LimitedTimeDiscount | None:
        return next((d for d in self.discounts if d.status == "active"), None)

    @property
    def target(self) -> LimitedTimeDiscount:
        """The discount actions are asked of (a live one while any is)."""
        return self.live or self.first

    def phase(self, at=None) -> str:
        phases = {d.phase(at) for d in self.discounts}
        return "running" if "running" in phases else "scheduled" if "scheduled" in phases else "over"

    def describe(self) -> str:
        labels = list(dict.fromkeys(d.describe() for d in self.discounts))
        return labels[0] if len(labels) == 1 else " / ".join(labels[:3]) + ("…" if len(labels) > 3 else "")


def discount_activities_for_store(store: Store) -> list[DiscountActivity]:
    """The store's 限时折扣 grouped by activity (one row per activity; a discount without one is its own)."""
    groups: dict[object, DiscountActivity] = {}
    for discount in discounts_for_store(store).order_by("-starts_at", "-id"):
        key = discount.activity or discount.pk
        if key in groups:
            groups[key].discounts.append(discount)
        else:
            groups[key] = DiscountActivity(discount, [discount])
    return list(groups.values())


def spend_and_saves_for_store(store: Store) -> QuerySet[SpendAndSave]:
    return SpendAndSave.objects.filter(store=store)


def second_items_for_store(store: Store) -> QuerySet[SecondItemDiscount]:
    return SecondItemDiscount.objects.filter(store=store).select_related("product")


def leader_frees_for_store(store: Store) -> QuerySet[LeaderFree]:
    return LeaderFree.objects.filter(store=store).select_related("product")


def coupons_for_store(store: Store) -> QuerySet[CouponBatch]:
    """The store's own coupon batches, the ones its merchant manages."""
    return CouponBatch.objects.filter(store=store, source=CouponSource.STORE).prefetch_related("products")


def buyer_coupons(store: Store) -> QuerySet[CouponBatch]:
    """The batches of the store buyers may see and claim: the store's and the platform's (never a compensation)."""
    listed = [CouponSource.STORE, CouponSource.PLATFORM]
    return CouponBatch.objects.filter(store=store, source__in=listed).prefetch_related("products")


def claimable_coupons(store: Store, at: datetime | None = None) -> QuerySet[CouponBatch]:
    """Coupons a buyer may claim now: live, inside their window, not all claimed."""
    at = at or timezone.now()
    return buyer_coupons(store).in_force(at).filter(claimed_count__lt=F("quantity"))


def claims_for_buyer(store: Store, buyer_ref: str) -> QuerySet[CouponClaim]:
    return CouponClaim.objects.filter(store=store, buyer_ref=buyer_ref).select_related("coupon")
