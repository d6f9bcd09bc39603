"""Template helpers of the cockpit: the staff overview on the admin index."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from portal.dashboard import TodoItem, staff_overview

register = template.Library()


def can_open(request: HttpRequest, url: str) -> bool:
    """Whether the staff member's role may open the admin page `url` (a changelist of some model)."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is None:
        return bool(request.user.is_superuser)
    return model_admin.has_view_or_change_permission(request)


@register.simple_tag(takes_context=True)
def staff_overview_items(context) -> list[TodoItem]:
    """Only the areas the role can open: a reviewer is not shown interventions it would get a 403 for."""
    request = context["request"]
    return [item for item in staff_overview() if not item.url or can_open(request, item.url)]
