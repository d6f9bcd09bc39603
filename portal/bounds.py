"""The columns' bounds, for the forms that write them: a value a form accepts always fits its column.

PostgreSQL's `integer` is 32-bit, `smallint` 16-bit, `bigint` 64-bit; money is stored in integer fen, so a
yuan amount typed into a form is bounded so that its fen fit an `integer` column.
"""

from decimal import Decimal

SMALLINT_MAX = 32_767
INT_MAX = 2_147_483_647
BIGINT_MAX = 9_223_372_036_854_775_807
YUAN_MAX = Decimal(INT_MAX) / 100  # 21,474,836.47 yuan: the most fen an integer column holds
