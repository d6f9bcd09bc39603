"""Input guards in front of every view: bad bytes answer a clear 400, never a 500 deeper down.

A NUL byte (U+0000) cannot be stored in a PostgreSQL text column nor compared with one (psycopg raises
`ValueError` on the query), and no legitimate id, search term or form value contains it. The middleware
refuses it wherever a view could pass it on without a form cleaning it first: the path (`<str:sn>`
routes), the query string (search boxes, filters, `next`) and, on pages, the urlencoded or multipart
form fields (names and values; uploaded file contents are not text and are not looked at). The answer is
a 400 page on pages and the API's error body on `/api/` (where JSON bodies are the serializers' job).

`client_ip` is the address the login throttle (django-axes) counts failures against: `REMOTE_ADDR`, or,
behind `PORTAL_PROXY_COUNT` trusted proxies, the entry those proxies appended to `X-Forwarded-For`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"
API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


def _query_has_nul(query: QueryDict) -> bool:
    return any(NUL in key or _has_nul(values) for key, values in query.lists())


def bad_input(request: HttpRequest) -> str | None:
    """Which part of the request carries a NUL byte ("path", "query", "form"), or None."""
    if NUL in request.path_info or NUL in request.path:
        return "path"
    if _query_has_nul(request.GET):
        return "query"
    if (
        request.method == "POST"
        and not request.path_info.startswith(API_PREFIX)
        and request.content_type in FORM_TYPES
        and _query_has_nul(request.POST)
    ):
        return "form"
    return None


def bad_request_response(request: HttpRequest, where: str) -> HttpResponse:
    message = _("请求中含有无效字符（空字符），请检查后重试。")
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"error": {"code": "bad_request", "message": message, "fields": {}}}, status=400)
    return render(request, "portal/bad_request.html", {"message": message, "where": where}, status=400)


class BadInputMiddleware:
    """Answers 400 to a NUL byte in the path, the query string or a page's form fields (see the module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            where = bad_input(request)
        except MultiPartParserError:
            where = "form"
        if where is not None:
            return bad_request_response(request, where)
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str:
    """The client's address for per-address login throttling (`AXES_CLIENT_IP_CALLABLE`)."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"
    proxies = int(getattr(settings, "PORTAL_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """The page a locked-out login gets (`AXES_LOCKOUT_CALLABLE`): 429, how many failures, how long to wait."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {"failure_limit": get_failure_limit(request, credentials), "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
