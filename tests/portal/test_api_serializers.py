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


def test_copies_bind_alone_and_nested_fields_bind_to_their_own_serializer():
    """Plain fields are copied shallowly: binding one instance's copy leaves the class's built field and every
    other copy alone; a nested serializer is copied deeply, so its children answer to their own root."""
    first, second = OrderOut(context={"n": 1}), OrderOut(context={"n": 2})
    assert first.fields["status"].parent is first and second.fields["status"].parent is second
    assert OrderOut._fields_built_once["status"].parent is None  # the template is never bound
    items_first, items_second = first.fields["items"], second.fields["items"]
    assert items_first.child is not items_second.child
    assert items_first.child.fields["sku_id"].root is first and items_second.child.fields["sku_id"].root is second
    assert items_second.child.fields["sku_id"].context == {"n": 2}
