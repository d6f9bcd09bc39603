"""Resource-oriented routes with one view per operation: `route(ListView, CreateView)` serves GET (list) and
POST (create) on a collection's URL, `route(DetailView, UpdateView)` GET and PATCH on a resource's. Each part
keeps its own `side`, `required_scope` and documentation; the route class carries them per method."""

from __future__ import annotations

import functools
from typing import Any

from rest_framework import exceptions

from .permissions import MERCHANT

METHODS = ("get", "post", "put", "patch", "delete")


def _handler(view: type, method: str):
    fn = getattr(view, method)

    @functools.wraps(fn)
    def handler(self, request, *args, **kwargs):
        return fn(self, request, *args, **kwargs)

    handler.__doc__ = fn.__doc__ if fn.__qualname__.startswith(view.__name__ + ".") and fn.__doc__ else view.__doc__
    return handler


def _initial(self, request, *args, **kwargs):
    """A method the route does not serve is a 405 before any side or scope is checked."""
    if request.method.lower() not in ("options", "head") and not hasattr(self, request.method.lower()):
        raise exceptions.MethodNotAllowed(request.method)
    return super(type(self), self).initial(request, *args, **kwargs)


def route(*views: type) -> type:
    sides: dict[str, Any] = {}
    scopes: dict[str, Any] = {}
    handlers: dict[str, Any] = {}
    for view in views:
        for method in METHODS:
            if hasattr(view, method) and method.upper() not in sides:
                sides[method.upper()] = getattr(view, "side", MERCHANT)
                scopes[method.upper()] = getattr(view, "required_scope", None)
                handlers[method] = _handler(view, method)
    name = "".join(v.__name__.removesuffix("View") for v in views) + "Route"
    attrs = {"side": sides, "required_scope": scopes, "__doc__": views[0].__doc__, "initial": _initial, **handlers}
    attrs["__module__"] = views[0].__module__
    return type(name, views, attrs)
