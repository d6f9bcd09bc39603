"""List filters declared once: a view's `filters_in` serializer validates the query string (an unknown value
is a 400 validation_failed, never silently ignored) and is documented as the operation's query parameters
(portal/api/schema.py)."""

from __future__ import annotations

from rest_framework import serializers

# Query parameters every list understands (pagination): not filters, never refused.
PAGINATION = {"cursor", "page_size"}


def query(view) -> dict:
    """The view's filters, validated; {} during schema generation."""
    if getattr(view, "swagger_fake_view", False):
        return {}
    params = view.filters_in(data=view.request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class Flag(serializers.ChoiceField):
    """A yes/no filter: 1 or 0 (true/false accepted)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=["1", "0", "true", "false"], **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data) in ("1", "true")
