"""Serializer pieces shared by the apps' APIs."""

from __future__ import annotations

import copy

from django.conf import settings
from django.utils import translation


class FieldsBuiltOnce:
    """For a ModelSerializer answered on a hot path: its fields are built from the model once per class,
    then copied for each instance.

    DRF builds every field of a ModelSerializer from the model field on every instance (kwargs, validators,
    labels, choices); for the 38 fields of an order that was a quarter of an order placement's CPU time. The
    fields depend only on the class (its Meta and declared fields), and a DRF field copies by re-instantiating
    from its arguments, so each instance still gets fields of its own to bind. They are built in the default
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
        return copy.deepcopy(built)
