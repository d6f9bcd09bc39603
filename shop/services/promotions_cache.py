"""The store's live promotions, cached briefly for pricing (every order reads them; they change rarely)."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from shop.models import LimitedTimeDiscount, PromotionStatus, SpendAndSave, Store

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


def active_promotions(*, store: Store, at: datetime) -> tuple[list[LimitedTimeDiscount], list[SpendAndSave]]:
    """The store's limited-time discounts and spend-and-save campaigns in force at `at`: its not-yet-ended
    active promotions from the cache (two queries on a miss), filtered by window in Python."""
    key = _promotions_key(store.pk)
    live = cache.get(key)
    if live is None:
        now = timezone.now()
        live = (
            list(LimitedTimeDiscount.objects.filter(store=store, status=PromotionStatus.ACTIVE, ends_at__gt=now)),
            list(SpendAndSave.objects.filter(store=store, status=PromotionStatus.ACTIVE, ends_at__gt=now)),
        )
        cache.set(key, live, PROMOTIONS_CACHE_SECONDS)
    discounts, campaigns = live
    return (
        [d for d in discounts if d.starts_at <= at < d.ends_at],
        [c for c in campaigns if c.starts_at <= at < c.ends_at],
    )
