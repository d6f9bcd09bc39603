"""Waybill numbers: each courier's format lives in its `Courier.waybill_pattern` row (DOMAIN.md), with
the platform's loose fallback for a courier that has none. The one place a waybill number is checked."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed

from .models import Courier

FALLBACK = r"^[A-Z0-9]{8,20}$"


def courier_choices() -> list[tuple[str, str]]:
    """(code, name) of the active couriers, for self-ship, returns and replacements."""
    return list(Courier.objects.filter(is_active=True).values_list("code", "name"))


def courier_codes() -> list[str]:
    return [code for code, _name in courier_choices()]


def validate_waybill(courier_code: str, waybill_no: str, *, known_courier: bool = False) -> str:
    """Return the normalised waybill number or raise ValidationFailed naming the expected format.

    `known_courier`: refuse a courier code the Courier table does not list (else the fallback applies).
    """
    number = (waybill_no or "").strip().upper()
    row = Courier.objects.filter(code=courier_code).values_list("waybill_pattern", flat=True).first()
    if row is None and known_courier:
        raise ValidationFailed(_("请选择快递公司。"), fields={"courier_code": [_("不支持的快递公司。")]})
    pattern = row or FALLBACK
    if not re.fullmatch(pattern, number):
        raise ValidationFailed(
            _("运单号格式不符合该快递公司的规则。"),
            code="invalid_waybill",
            fields={"waybill_no": [_("运单号格式不正确（%(code)s）。") % {"code": courier_code}]},
        )
    return number


def validate_self_ship_waybill(courier_code: str, waybill_no: str) -> str:
    """portal.hooks.waybill_validate: a merchant's self-ship or re-ship waybill (known couriers only)."""
    return validate_waybill(courier_code, waybill_no, known_courier=True)
