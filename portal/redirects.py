"""The safe `next` redirect: one owner for "where may a page send the browser back to".

A `next` parameter is followed only when it is a URL of this site (`url_has_allowed_host_and_scheme`:
a relative path or an allowed host, the request's scheme); anything else (`//evil.example`,
`https://evil.example/`, `javascript:`) falls back to the page's default.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: Any = "/", *, param: str = "next") -> str:
    """The request's `next` (POST first, then GET) if it is safe to redirect to, else `default` resolved
    (a URL, a path or a URL pattern name, as `redirect` takes)."""
    target = request.POST.get(param) or request.GET.get(param) or ""
    allowed = {request.get_host(), *getattr(settings, "ALLOWED_REDIRECT_HOSTS", ())}
    if (
        target
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure())
    ):
        return target
    return resolve_url(default) if default is not None else ""
