"""Input fields bounded to what the database holds, so an out-of-range number is a 400 on every backend."""

from __future__ import annotations

from rest_framework import serializers

BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1


class IdField(serializers.IntegerField):
    """An object id (bigint primary keys): 1 .. 2**63 - 1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class AmountField(serializers.IntegerField):
    """An amount in fen (or any count stored as a 32-bit integer): 0 .. 2**31 - 1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)
