"""Tenancy: the current store lives in the session; every merchant page is scoped to it."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from .models import Membership

SESSION_KEY = "current_store_id"


def current_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("store")
    wanted = request.session.get(SESSION_KEY)
    membership = None
    if wanted is not None:
        membership = memberships.filter(store_id=wanted).first()
    if membership is None:
        membership = memberships.order_by("created_at", "id").first()
        if membership is not None:
            request.session[SESSION_KEY] = membership.store_id
    if membership is not None:
        user._current_membership = (membership.store_id, membership.role)  # portal.actions asks it, no query
    return membership


class CurrentStoreMiddleware:
    """Sets request.membership and request.store (lazily: no query on pages that do not use them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        membership = SimpleLazyObject(lambda: current_membership(request) or _NoMembership())
        request.membership = membership
        request.store = SimpleLazyObject(lambda: getattr(membership, "store", None) or _NoStore())
        return self.get_response(request)


class _NoMembership:
    store = None
    role = None

    def __bool__(self) -> bool:
        return False


class _NoStore:
    pk = None
    id = None

    def __bool__(self) -> bool:
        return False


def switch_store(request: HttpRequest, store_id: int) -> bool:
    if Membership.objects.filter(user=request.user, store_id=store_id).exists():
        request.session[SESSION_KEY] = store_id
        return True
    return False


class MerchantMixin(LoginRequiredMixin):
    """A merchant page: logged in and with a current store; `self.store` is that store."""

    owner_only = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.store:
            return redirect("shop:onboarding_start")
        if self.owner_only and request.membership.role != "owner":
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        self.store = request.store
        return super().dispatch(request, *args, **kwargs)
