"""Middleware only the HTML pages need, kept off `/api/` (a machine client has no flash messages and
sends no htmx headers): each API request skips their work entirely."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware
from django_htmx.middleware import HtmxMiddleware

API_PREFIX = "/api/"


class PageMessageMiddleware(MessageMiddleware):
    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class PageHtmxMiddleware(HtmxMiddleware):
    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)
