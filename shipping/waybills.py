"""Waybill number formats per courier code (DOMAIN.md), with the platform's loose fallback.

The Courier table's `waybill_pattern` is the source (migration 0004); this dict is its default for
code that runs before the table exists and the list of courier codes a self-ship form offers.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed

from .models import Courier

FALLBACK = r"^[A-Z0-9]{8,20}$"

WAYBILL_FORMATS: dict[str, str] = {
    "SF": r"^SF\d{13}$|^\d{12}$",
    "YTO": r"^YT\d{13}$",
    "ZTO": r"^\d{12,15}$",
    "STO": r"^(?:268|368)\d{9,10}$|^58\d{10,11}$",
    "YUNDA": r"^(10|12|19)\d{11}$",
    "JTSD": r"^JT\d{13}$",
    "EMS": r"^\d{13}$|^[A-Z]{2}\d{9}[A-Z]{2}$",
    "JD": r"^JD[A-Z0-9]{10,18}$",
    "DEPPON": r"^DPK\d{12}$|^\d{10}$",
    "POSTB": r"^9\d{12}$|^[A-Z]{2}\d{9}[A-Z]{2}$",
}


def waybill_pattern(courier_code: str) -> str:
    pattern = Courier.objects.filter(code=courier_code).values_list("waybill_pattern", flat=True).first()
    return pattern or WAYBILL_FORMATS.get(courier_code, FALLBACK)


def validate_waybill(courier_code: str, waybill_no: str) -> str:
    """Return the normalised waybill number or raise ValidationFailed naming the expected format."""
    number = (waybill_no or "").strip().upper()
    pattern = waybill_pattern(courier_code)
    if not re.fullmatch(pattern, number):
        raise ValidationFailed(
            _("运单号格式不符合该快递公司的规则。"),
            code="invalid_waybill",
            fields={"waybill_no": [_("运单号格式不正确（%(code)s）。") % {"code": courier_code}]},
        )
    return number
