"""API permissions: a request acts for one store (API key's store or the session's current store), on one
side, with the scopes its operation needs.

Sides: a merchant (a logged-in session, or a merchant API key) calls merchant operations; a storefront key
calls buyer operations. Each view declares `side` (MERCHANT by default, BUYER, or both) and
`required_scope` (one scope, or a list of which any one suffices). An API key must hold the operation's
scope; an operation that declares no scope is closed to API keys. The OpenAPI schema reads the same two
attributes (portal/api/schema.py), so what is documented is what is checked.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from portal.models import ApiKey

MERCHANT, BUYER = "merchant", "buyer"
BOTH = (MERCHANT, BUYER)
KIND_SIDE = {ApiKey.Kind.MERCHANT: MERCHANT, ApiKey.Kind.STOREFRONT: BUYER}


def request_store(request):
    store = getattr(request._request, "store", None)
    return store or None


def request_key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def caller_side(request) -> str:
    """A session is a merchant; an API key is on its kind's side."""
    key = request_key(request)
    return MERCHANT if key is None else KIND_SIDE.get(key.kind, MERCHANT)


def _for_method(view: Any, attribute: str, default, method: str | None):
    """A view's `side` / `required_scope`: one value, or a dict by HTTP method (a route serving a collection's
    list and create, see portal.api.routing.route)."""
    value = getattr(view, attribute, default)
    if isinstance(value, dict):
        if method is None:
            request = getattr(view, "request", None)
            method = request.method if request is not None else "GET"
        return value.get(method.upper(), default)
    return value


def view_sides(view: Any, method: str | None = None) -> tuple[str, ...]:
    side = _for_method(view, "side", MERCHANT, method)
    return tuple(side) if isinstance(side, (list, tuple)) else (side,)


def view_scopes(view: Any, method: str | None = None) -> list[str]:
    scope = _for_method(view, "required_scope", None, method)
    if not scope:
        return []
    return [str(s) for s in scope] if isinstance(scope, (list, tuple)) else [str(scope)]


class _SideAndScope(BasePermission):
    """The caller's side must be one the operation serves; an API key must hold one of its scopes."""

    def side_and_scope(self, request, view) -> bool:
        side = caller_side(request)
        if side not in view_sides(view):
            self.code = "wrong_side"
            self.message = (
                _("此操作只对店面（买家侧）密钥开放。")
                if side == MERCHANT
                else _("此操作只对商家（商家后台会话或商家系统密钥）开放。")
            )
            return False
        key = request_key(request)
        if key is not None:
            scopes = view_scopes(view)
            if not scopes:
                self.code, self.message = "not_for_api_keys", _("API 密钥不能调用此操作。")
                return False
            if not any(s in key.scopes for s in scopes):
                self.code = "insufficient_scope"
                self.message = _("此 API 密钥缺少权限范围 %(scope)s。") % {"scope": " / ".join(scopes)}
                return False
        return True


class HasStore(_SideAndScope):
    """Authenticated, acting for a store, on the operation's side, with its scope (API keys)."""

    message = _("需要登录并选择店铺。")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated) or request_store(request) is None:
            return False
        return self.side_and_scope(request, view)


class AuthenticatedOnly(_SideAndScope):
    """Authenticated, store not required (e.g. onboarding a first store); side and scope still apply."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return self.side_and_scope(request, view)
