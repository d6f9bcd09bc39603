"""OpenAPI description of who may call each operation (imported at start-up by PortalConfig).

Each operation's security requirement lists the API-key scopes it needs (any one suffices) and says
which key kinds may call it (`x-api-key-kinds`); buyer-only operations accept no session. The values are
read from the same view attributes that portal.api.permissions checks (`side`, `required_scope`).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .permissions import BUYER, MERCHANT, _SideAndScope, view_scopes, view_sides

KEY_KINDS = {MERCHANT: "merchant", BUYER: "storefront"}


def _checked(view) -> bool:
    """Whether the view's permissions apply sides and scopes (webhook and callback endpoints do not)."""
    return any(isinstance(p, _SideAndScope) for p in view.get_permissions())


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
        scopes = view_scopes(view)
        return {self.name: scopes} if scopes else None  # no scope declared: closed to API keys


class MerchantSessionScheme(SessionScheme):
    """A logged-in session is a merchant: buyer-only operations do not accept it."""

    priority = 1

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        if _checked(view) and MERCHANT not in view_sides(view):
            return None
        return super().get_security_requirement(auto_schema)


class PortalAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and _checked(self.view):
            kinds = [KEY_KINDS[side] for side in view_sides(self.view)] if view_scopes(self.view) else []
            operation["x-api-key-kinds"] = kinds
        return operation
