"""Keyset pagination for pages (上一页 / 下一页): cost independent of how deep the reader goes.

A page is the `size` rows after (or before) a cursor in the order `(-<time field>, -id)`; the cursor is the
last (first) row's key. No COUNT and no OFFSET: an index on `(..., <time field>)` reads `size + 1` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Model, Q, QuerySet

PAGE_SIZES = (20, 50, 100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def encode_cursor(moment: datetime, pk: int) -> str:
    micros = (moment - _EPOCH) // _MICRO
    return f"{micros}.{pk}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """The (moment, pk) of a cursor, or None for a missing or malformed one (treated as the first page)."""
    if not raw:
        return None
    micros, _dot, pk = raw.partition(".")
    if not (raw.isascii() and micros.lstrip("-").isdigit() and pk.isdigit()) or len(micros) > 20 or len(pk) > 19:
        return None
    try:
        moment = _EPOCH + int(micros) * _MICRO
    except (OverflowError, OSError, ValueError):
        return None
    return moment, int(pk)


@dataclass
class KeysetPage:
    rows: list = field(default_factory=list)
    size: int = PAGE_SIZES[0]
    next_cursor: str | None = None
    prev_cursor: str | None = None

    def __iter__(self) -> Iterator:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.prev_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def keyset_page(
    qs: QuerySet,
    *,
    size: int,
    after: str | None = None,
    before: str | None = None,
    time_field: str = "created_at",
) -> KeysetPage:
    """One page of `qs`, newest first: the rows after `after` (older), or before `before` (newer).

    The bound is written as `t <= T AND (t < T OR id < I)` so the time index gives the range and only the
    rows sharing the cursor's moment are filtered.
    """
    size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    newest_first = (f"-{time_field}", "-pk")
    after_key, before_key = decode_cursor(after), decode_cursor(before)
    if before_key and not after_key:
        moment, pk = before_key
        bound = Q(**{f"{time_field}__gte": moment}) & (Q(**{f"{time_field}__gt": moment}) | Q(pk__gt=pk))
        rows = list(qs.filter(bound).order_by(time_field, "pk")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows=rows,
            size=size,
            next_cursor=_key(rows[-1], time_field) if rows else None,
            prev_cursor=_key(rows[0], time_field) if rows and more_newer else None,
        )
    if after_key:
        moment, pk = after_key
        bound = Q(**{f"{time_field}__lte": moment}) & (Q(**{f"{time_field}__lt": moment}) | Q(pk__lt=pk))
        qs = qs.filter(bound)
    rows = list(qs.order_by(*newest_first)[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        size=size,
        next_cursor=_key(rows[-1], time_field) if rows and more_older else None,
        prev_cursor=_key(rows[0], time_field) if rows and after_key else None,
    )


def _key(obj: Model, time_field: str) -> str:
    return encode_cursor(getattr(obj, time_field), obj.pk)
