"""OpenAPI description of who may call each operation and how it fails (imported at start-up by PortalConfig).

Each operation's security requirement lists the API-key scopes it needs (any one suffices) and says
which key kinds may call it (`x-api-key-kinds`); buyer-only operations accept no session. The values are
read from the same view attributes that portal.api.permissions checks (`side`, `required_scope`, per
method on a route serving two operations). Every operation documents its error answers with the one error
shape (portal/api/errors.py), every POST of an idempotent view the Idempotency-Key header, and every list
its filters (the view's `filters_in`, the serializer that validates them).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .idempotency import IdempotentMixin
from .permissions import BUYER, MERCHANT, _SideAndScope, view_scopes, view_sides

KEY_KINDS = {MERCHANT: "merchant", BUYER: "storefront"}


def _checked(view) -> bool:
    """Whether the view's permissions apply sides and scopes (webhook and callback endpoints do not)."""
    return any(isinstance(p, _SideAndScope) for p in view.get_permissions())


class ErrorDetailOut(serializers.Serializer):
    code = serializers.CharField(help_text="stable machine code, see portal/api/error_codes.py and docs/api.md")
    message = serializers.CharField(help_text="for people, in the request's language (Accept-Language)")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='flattened input paths to their messages, e.g. {"items[0].quantity": ["..."]}',
    )


class ErrorOut(serializers.Serializer):
    error = ErrorDetailOut()


ERRORS = {
    400: "Invalid input, filter, body or value out of range (validation_failed, parse_error, ...).",
    401: "No or invalid API key (not_authenticated, authentication_failed).",
    403: "Wrong side, missing scope, or not allowed (wrong_side, insufficient_scope, ...).",
    404: "Unknown object, or another store's (not_found).",
    409: "The object's state does not allow it (illegal_transition and the domain conflicts).",
    413: "Body too large (payload_too_large).",
    415: "Content type not accepted (unsupported_media_type).",
    422: "The Idempotency-Key was used for a different request (idempotency_key_reused).",
    429: "Rate limit exceeded (throttled); retry after the Retry-After header's seconds.",
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (at most 128 characters): a retry with the same key and body replays the "
    "first answer (header Idempotent-Replayed: true); the same key with another body is a 422.",
)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "<prefix>.<secret>",
            "description": "An integration's API key, created by the store owner. A merchant key (ERP) calls "
            "merchant operations, a storefront key calls buyer operations (see each operation's "
            "`x-api-key-kinds`); the key must hold one of the scopes listed in the operation's security "
            "requirement.",
        }

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        if not _checked(view):
            return {self.name: []}
        scopes = view_scopes(view, auto_schema.method)
        return {self.name: scopes} if scopes else None  # no scope declared: closed to API keys


class MerchantSessionScheme(SessionScheme):
    """A logged-in session is a merchant: buyer-only operations do not accept it."""

    priority = 1

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        if _checked(view) and MERCHANT not in view_sides(view, auto_schema.method):
            return None
        return super().get_security_requirement(auto_schema)


class PortalAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        filters_in = getattr(self.view, "filters_in", None)
        if filters_in is not None and self.method == "GET":
            parameters.append(filters_in)
        if self.method == "POST" and isinstance(self.view, IdempotentMixin):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _error_codes(self) -> list[int]:
        checked = _checked(self.view)
        found = [400, 404, 429]
        if checked or self.view.authentication_classes:
            found += [401, 403] if checked else []
        if self.method in ("POST", "PUT", "PATCH"):
            found += [409, 413, 415]
            if self.method == "POST" and isinstance(self.view, IdempotentMixin):
                found.append(422)
        return sorted(found)

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if _checked(self.view):
            sides = view_sides(self.view, self.method)
            kinds = [KEY_KINDS[side] for side in sides] if view_scopes(self.view, self.method) else []
            operation["x-api-key-kinds"] = kinds
        responses = operation.setdefault("responses", {})
        for code in self._error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ErrorOut, str(code))
                responses[str(code)]["description"] = ERRORS[code]
        return operation
