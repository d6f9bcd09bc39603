"""The store's live promotions, cached briefly for pricing (every order reads them; they change rarely)."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from shop.models import LimitedTimeDiscount, PromotionStatus, SecondItemDiscount, SpendAndSave, Store

# Pricing reads a store's live promotions on every order; they change rarely, so they are cached per store
# this long (dropped on every change through these services; an edit elsewhere shows within this time).
PROMOTIONS_CACHE_SECONDS = 30


def _promotions_key(store_id: int) -> str:
    return f"shop:promotions:{store_id}"


def promotions_changed(store_id: int) -> None:
    """Drop the store's cached promotions now (this transaction reads its own change) and again once the change
    commits (another request may have cached the old ones in between)."""
    key = _promotions_key(store_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def active_promotions(
    *, store: Store, at: datetime
) -> tuple[list[LimitedTimeDiscount], list[SpendAndSave], list[SecondItemDiscount]]:
    """The store's limited-time discounts, spend-and-save campaigns and second-item discounts in force at `at`:
    its not-yet-ended active promotions from the cache (three queries on a miss), filtered by window in Python."""
    key = _promotions_key(store.pk)
    live = cache.get(key)
    if live is None:
        now = timezone.now()
        live = tuple(
            list(model.objects.filter(store=store, status=PromotionStatus.ACTIVE, ends_at__gt=now))
            for model in (LimitedTimeDiscount, SpendAndSave, SecondItemDiscount)
        )
        cache.set(key, live, PROMOTIONS_CACHE_SECONDS)
    discounts, campaigns, second_items = live
    return (
        [d for d in discounts if d.starts_at <= at < d.ends_at],
        [c for c in campaigns if c.starts_at <= at < c.ends_at],
        [p for p in second_items if p.starts_at <= at < p.ends_at],
    )
