"""HTTP helpers shared by every page: the one check of a `next` parameter."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "/", *, param: str = "next") -> str:
    """The `next` the request carries (POST first, then GET) when it stays on this site, else `default`.

    Built on Django's `url_has_allowed_host_and_scheme` (the check its login and language views use):
    refuses other hosts, scheme-relative `//host`, backslash tricks and control characters.
    """
    target = request.POST.get(param) or request.GET.get(param) or ""
    if (
        target
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
