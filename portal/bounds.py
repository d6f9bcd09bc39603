"""The columns' bounds, for the forms that write them: a value a form accepts always fits its column.

PostgreSQL's `integer` is 32-bit, `smallint` 16-bit, `bigint` 64-bit; money is stored in integer fen, so a
yuan amount typed into a form is bounded so that its fen fit an `integer` column.
"""

from decimal import Decimal

SMALLINT_MAX = 32_767
INT_MAX = 2_147_483_647
BIGINT_MAX = 9_223_372_036_854_775_807
YUAN_MAX = Decimal(INT_MAX) / 100  # 21,474,836.47 yuan: the most fen an integer column holds


def parse_id(value: object, *, max_value: int = BIGINT_MAX) -> int | None:
    """A posted or queried id as an int, or None: ASCII digits only (str.isdigit also accepts "²" and "٣",
    which int() then refuses or reads), and no larger than the column holds."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(max_value)):
        return None
    number = int(text)
    return number if number <= max_value else None


def parse_ids(values: list[str], *, limit: int = 1000) -> list[int]:
    """The valid ids among posted values (at most `limit` of them, in order); the rest are ignored."""
    ids = [n for n in (parse_id(v) for v in values[:limit]) if n is not None]
    return ids
