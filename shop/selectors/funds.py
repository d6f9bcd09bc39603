"""Reads of the settlement ledger: balances are sums of entries, computed in the database."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from shop.models import PayoutEntry, Store, Withdrawal
from shop.models.funds import PayoutBucket
from shop.models.funds import RefType as RefType  # what a ledger line refers to, for the other apps


def payout_balances(store: Store) -> dict[str, int]:
    """{"pending": fen, "available": fen} in one query."""
    sums = PayoutEntry.objects.filter(store=store).aggregate(
        pending=Coalesce(Sum("amount", filter=Q(bucket=PayoutBucket.PENDING)), 0),
        available=Coalesce(Sum("amount", filter=Q(bucket=PayoutBucket.AVAILABLE)), 0),
    )
    return {"pending": sums["pending"], "available": sums["available"]}


def recent_withdrawals(store: Store, limit: int = 10) -> list[Withdrawal]:
    return list(Withdrawal.objects.filter(store=store).order_by("-created_at", "-id")[:limit])


def payout_entries(store: Store, *, kind: str = "") -> QuerySet[PayoutEntry]:
    qs = PayoutEntry.objects.filter(store=store).select_related("created_by").order_by("-created_at", "-id")
    return qs.filter(kind=kind) if kind else qs


CAUSE_URLS = {"order": ("shop:order_detail", "ref_label"), "aftersales": ("aftersales:request_detail", "ref_id")}


def cause_url(entry: PayoutEntry) -> str:
    """The page of what caused an entry (the order or the after-sales request), "" for none."""
    target = CAUSE_URLS.get(entry.ref_type)
    if target is None or not getattr(entry, target[1]):
        return ""
    return reverse(target[0], args=[getattr(entry, target[1])])
