"""Waybill number formats per courier code (DOMAIN.md), with the platform's loose fallback."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed

FALLBACK = r"^[A-Z0-9]{8,20}$"

WAYBILL_FORMATS: dict[str, str] = {
    "SF": r"^SF\d{13}$|^\d{12}$",
    "YTO": r"^YT\d{13}$",
    "ZTO": r"^\d{12,15}$",
    "STO": r"^(268|368|58)\d{9,10}$",
    "YUNDA": r"^(10|12|19)\d{11}$",
    "JTSD": r"^JT\d{13}$",
    "EMS": r"^\d{13}$|^[A-Z]{2}\d{9}[A-Z]{2}$",
    "JD": r"^JD[A-Z0-9]{10,18}$",
}


def validate_waybill(courier_code: str, waybill_no: str) -> str:
    """Return the normalised waybill number or raise ValidationFailed naming the expected format."""
    number = (waybill_no or "").strip().upper()
    pattern = WAYBILL_FORMATS.get(courier_code, FALLBACK)
    if not re.fullmatch(pattern, number):
        raise ValidationFailed(
            _("运单号格式不符合该快递公司的规则。"),
            code="invalid_waybill",
            fields={"waybill_no": [_("运单号格式不正确（%(code)s）。") % {"code": courier_code}]},
        )
    return number
