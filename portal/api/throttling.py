"""Rate limit per API key (a session counts per user): API_RATE_LIMIT requests per period ("600/min" by
default; "n/s", "n/min", "n/hour", "n/day"; empty disables). Counted in the cache (Redis in production, so
every gunicorn worker shares the count). Over the limit: 429 `throttled` with a Retry-After header (seconds).
Unauthenticated callers (courier and payment callbacks, which carry their own signatures) are not counted."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import request_key


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_RATE_LIMIT", None) or None

    def get_cache_key(self, request, view) -> str | None:
        key = request_key(request)
        if key is not None:
            return f"throttle:api:key:{key.pk}"
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.pk is not None:
            return f"throttle:api:user:{user.pk}"
        return None
