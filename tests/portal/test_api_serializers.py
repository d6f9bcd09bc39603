"""portal.api.serializers.FieldsBuiltOnce: a hot ModelSerializer builds its fields from the model once per class."""

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework import serializers

from portal.api.serializers import FieldsBuiltOnce
from shop.api.orders import OrderOut
from shop.models import Order


def test_fields_are_built_once_per_class_and_each_instance_gets_its_own(monkeypatch):
    class Out(FieldsBuiltOnce, serializers.ModelSerializer):
        class Meta:
            model = Order
            fields = ("order_sn", "status", "paid_amount")

    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(
        serializers.ModelSerializer, "build_field", lambda self, *a: built.append(a[0]) or original(self, *a)
    )
    first, second = Out().fields, Out().fields
    assert built == ["order_sn", "status", "paid_amount"]  # the second instance built nothing
    assert list(first) == list(second) == ["order_sn", "status", "paid_amount"]
    assert first["status"] is not second["status"] and first["status"].parent is not second["status"].parent
    assert repr(first["status"]) == repr(second["status"])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_order_answer_has_the_fields_drf_would_build(language, monkeypatch):
    """Whatever language is active when the fields are first built or later copied."""
    monkeypatch.delattr(OrderOut, "_fields_built_once", raising=False)  # built again here
    with translation.override(language):
        assert OrderOut().fields  # built and kept
    copied = OrderOut().get_fields()
    with translation.override(settings.LANGUAGE_CODE):
        fresh = super(FieldsBuiltOnce, OrderOut()).get_fields()  # DRF's own build, past the cache
    assert list(copied) == list(fresh) == list(OrderOut.Meta.fields)
    assert {name: repr(f) for name, f in copied.items()} == {name: repr(f) for name, f in fresh.items()}
