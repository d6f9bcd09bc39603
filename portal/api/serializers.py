"""Serializer pieces shared by the apps' APIs."""

from __future__ import annotations

import copy

from django.conf import settings
from django.utils import translation
from rest_framework.serializers import BaseSerializer


class FieldsBuiltOnce:
    """For a ModelSerializer answered on a hot path: its fields are built from the model once per class,
    then copied for each instance.

    DRF builds every field of a ModelSerializer from the model field on every instance (kwargs, validators,
    labels, choices); for the 38 fields of an order that was a quarter of an order placement's CPU time. The
    fields depend only on the class (its Meta and declared fields), so each instance gets copies of its own to
    bind (DRF's deep copy re-instantiates every field from its arguments: a sixth of a placement's CPU time, so
    plain fields are copied shallowly, see `_copy`). They are built in the default
    language: DRF decides at build time whether a field needs a label (its verbose name differs from its
    name), and labels are lazy, so they still follow each request's language.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            with translation.override(settings.LANGUAGE_CODE):
                built = super().get_fields()  # type: ignore[misc]
            cls._fields_built_once = built
        return {name: _copy(field) for name, field in built.items()}


def _copy(field):
    """A field of its own for one serializer instance. A plain field is copied shallowly: binding sets only its own
    attributes (name, parent, source), and what it shares with the class's built field (choices, validators,
    kwargs) is only read. A field holding other fields (a nested serializer, a list's child, a many-relation) is
    copied deeply, as DRF does, so its children bind to it."""
    if isinstance(field, BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    return copy.copy(field)
