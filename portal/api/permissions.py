"""API permissions: a request acts for one store (API key's store or the session's current store)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from portal.models import ApiKey


def request_store(request):
    store = getattr(request._request, "store", None)
    return store or None


class HasStore(BasePermission):
    """Authenticated and acting for a store. Views declare `required_scope` for API keys."""

    message = "Authentication with a store is required."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated) or request_store(request) is None:
            return False
        scope = getattr(view, "required_scope", None)
        if isinstance(request.auth, ApiKey) and scope:
            scopes = scope if isinstance(scope, (list, tuple)) else [scope]
            if not any(s in request.auth.scopes for s in scopes):
                self.message = f"This API key lacks the scope {scopes[0]!r}."
                return False
        return True


class AuthenticatedOnly(BasePermission):
    """Authenticated, store not required (e.g. onboarding a first store through the API)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
