"""Input fields bounded to what the database holds, so an out-of-range number is a 400 on every backend."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.bounds import BIGINT_MAX, INT_MAX

__all__ = ["INT_MAX", "AmountField", "IdField", "MomentField"]


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


class MomentField(serializers.DateTimeField):
    """A time of a business window (promotions): years 2000 .. 9998. Older times have no whole-minute offset
    in Asia/Shanghai (LMT +08:05:43), which is not an RFC 3339 date-time as the schema promises."""

    default_error_messages = {"year_out_of_range": _("时间须在 2000 年至 9998 年之间。")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not 2000 <= moment.year <= 9998:
            self.fail("year_out_of_range")
        return moment
