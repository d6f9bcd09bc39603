"""Rate limit per API key (a session counts per user): API_RATE_LIMIT requests per period ("600/min" by
default; "n/s", "n/min", "n/hour", "n/day"; empty disables). Counted in the cache (Redis in production, so
every gunicorn worker shares the count). Over the limit: 429 `throttled` with a Retry-After header (seconds).
Unauthenticated callers (courier and payment callbacks, which carry their own signatures) are not counted.

The count is a fixed window (one counter per key and period, `portal.cache.RedisCache.count_in_window`: one
round trip), not DRF's sliding log, which read and wrote the list of every request's time in the period (600
timestamps for a busy key) on each request."""

from __future__ import annotations

import math

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

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        return self.count(f"{key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends (the Retry-After header)."""
        return max(math.ceil(self.window_ends_at - self.timer()), 1)

    def count(self, key: str, seconds: int) -> int:
        """One more request in the window `key`; the window's count so far."""
        counter = getattr(self.cache, "count_in_window", None)
        if counter is not None:
            return counter(key, seconds)
        if self.cache.add(key, 1, seconds):  # a cache without it (local memory, no REDIS_URL): add, else increment
            return 1
        try:
            return self.cache.incr(key)
        except ValueError:  # expired between the two calls
            self.cache.add(key, 1, seconds)
            return 1
