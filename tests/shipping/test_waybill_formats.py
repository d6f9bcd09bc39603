"""Waybill formats live in the Courier table (DOMAIN.md), one row per courier: self-ship, re-ship, returns
and replacements all follow it, and a change of a row is a change of the rule."""

from __future__ import annotations

import pytest

from portal import hooks
from portal.exceptions import ValidationFailed
from shipping.models import Courier
from shipping.waybills import courier_choices, validate_waybill


@pytest.mark.django_db
def test_the_courier_row_is_the_format():
    # given SF's row (DOMAIN.md: SF + 13 digits, older 12 digits)
    assert validate_waybill("SF", " sf1234567890123 ") == "SF1234567890123"
    with pytest.raises(ValidationFailed) as exc:
        validate_waybill("SF", "YT1234567890123")
    assert exc.value.code == "invalid_waybill"
    # when staff change the row
    Courier.objects.filter(code="SF").update(waybill_pattern=r"^SF\d{15}$")
    # then the rule changes with it
    assert validate_waybill("SF", "SF123456789012345") == "SF123456789012345"
    with pytest.raises(ValidationFailed):
        validate_waybill("SF", "SF1234567890123")
    # and a row without a format falls back to the platform's loose one
    Courier.objects.filter(code="SF").update(waybill_pattern="")
    assert validate_waybill("SF", "ABCD12345678") == "ABCD12345678"


@pytest.mark.django_db
def test_self_ship_takes_only_the_table_s_couriers_through_shop_s_hook():
    assert hooks.waybill_validate.call("ZTO", "731234567890") == "731234567890"
    with pytest.raises(ValidationFailed) as exc:
        hooks.waybill_validate.call("NOPE", "731234567890")
    assert "courier_code" in exc.value.fields
    Courier.objects.filter(code="JD").update(is_active=False)
    codes = [code for code, _name in courier_choices()]
    assert "SF" in codes and "JD" not in codes
    assert hooks.courier_choices.call() == courier_choices()


@pytest.mark.django_db
def test_every_seeded_courier_has_its_format():
    assert not Courier.objects.filter(waybill_pattern="").exists()
