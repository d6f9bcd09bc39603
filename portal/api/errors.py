"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

`code` comes from portal/api/error_codes.py; `fields` maps flattened input paths (`items[0].quantity`,
`ids[1]`, `non_field_errors` for the body as a whole) to lists of plain messages, never Python reprs.
Whatever reaches this handler becomes that shape: DRF's exceptions, the services' DomainError, Django's
validation errors, and the inputs a database cannot hold (out-of-range integers, NUL characters), which
answer 400 on PostgreSQL and SQLite alike rather than a 500.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from portal.exceptions import DomainError

from . import error_codes as codes

NON_FIELD = "non_field_errors"


def error_body(code: str, message: str | None = None, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message or codes.message(code)), "fields": fields or {}}}


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors to {"items[0].quantity": ["..."]}: dict keys join with dots, list
    positions (and ListField's integer keys) become [i]; a nested object's own errors sit on its path."""
    out: dict[str, list[str]] = {}

    def add(path: str, message) -> None:
        out.setdefault(path or NON_FIELD, []).append(str(message))

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                elif key in (NON_FIELD, "__all__"):
                    walk(value, path)
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, (list, tuple)):
            if all(not isinstance(v, (dict, list, tuple)) for v in node):
                for v in node:
                    add(path, v)
            else:  # a list serializer's errors: one entry per item, empty for the valid ones
                for i, v in enumerate(node):
                    if v:
                        walk(v, f"{path}[{i}]")
        else:
            add(path, node)

    walk(detail, prefix)
    return out


def _django_fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return flatten({k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return {NON_FIELD: [str(m) for m in exc.messages]}


def _out_of_range(exc: BaseException) -> bool:
    """Inputs the database refuses: integers beyond bigint (OverflowError on SQLite, DataError on
    PostgreSQL), and NUL characters in text (ValueError from psycopg)."""
    if isinstance(exc, (OverflowError, DataError)):
        return True
    return isinstance(exc, ValueError) and "NUL" in str(exc)


def _response(code: str, http_status: int, message=None, fields=None) -> Response:
    set_rollback()
    return Response(error_body(code, message, fields), status=http_status)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _response(exc.code, exc.status_code, exc.message, flatten(exc.fields) if exc.fields else None)
    if isinstance(exc, DjangoValidationError):
        return _response(codes.VALIDATION_FAILED, 400, fields=_django_fields(exc))
    if isinstance(exc, Http404):
        return _response(codes.NOT_FOUND, 404)
    if isinstance(exc, RequestDataTooBig):
        return _response(codes.PAYLOAD_TOO_LARGE, 413)
    if isinstance(exc, RecursionError):
        return _response(codes.TOO_DEEPLY_NESTED, 400)
    if _out_of_range(exc):
        return _response(codes.VALUE_OUT_OF_RANGE, 400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(codes.VALIDATION_FAILED, fields=flatten(exc.detail))
        return response
    # a permission or parser may name its refusal (wrong_side, too_deeply_nested); otherwise the status's code
    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", None) or "error"
    message = str(detail) if detail is not None else None
    if isinstance(exc, exceptions.NotAuthenticated):
        code = codes.NOT_AUTHENTICATED
    elif isinstance(exc, exceptions.AuthenticationFailed):
        code = codes.AUTHENTICATION_FAILED
    elif isinstance(exc, exceptions.Throttled):
        code, message = codes.THROTTLED, None
    elif isinstance(exc, (exceptions.MethodNotAllowed, exceptions.UnsupportedMediaType, exceptions.NotAcceptable)):
        code, message = STATUS_CODES[response.status_code], None
    elif code not in codes.ALL:
        code = STATUS_CODES.get(response.status_code, codes.VALIDATION_FAILED)
    if code in codes.PROTOCOL and code not in OWN_MESSAGES:
        message = None  # the catalogue's, in the request's language
    response.data = error_body(code, message)
    return response


# refusals whose message says which scope or side (portal/api/permissions.py)
OWN_MESSAGES = {codes.WRONG_SIDE, codes.INSUFFICIENT_SCOPE, codes.NOT_FOR_API_KEYS}

STATUS_CODES = {
    status.HTTP_400_BAD_REQUEST: codes.PARSE_ERROR,
    status.HTTP_401_UNAUTHORIZED: codes.NOT_AUTHENTICATED,
    status.HTTP_403_FORBIDDEN: codes.PERMISSION_DENIED,
    status.HTTP_404_NOT_FOUND: codes.NOT_FOUND,
    status.HTTP_405_METHOD_NOT_ALLOWED: codes.METHOD_NOT_ALLOWED,
    status.HTTP_406_NOT_ACCEPTABLE: codes.NOT_ACCEPTABLE,
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: codes.PAYLOAD_TOO_LARGE,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: codes.UNSUPPORTED_MEDIA_TYPE,
    status.HTTP_429_TOO_MANY_REQUESTS: codes.THROTTLED,
}


def not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown routes under /api/: JSON, like every other API answer."""
    return JsonResponse(error_body(codes.NOT_FOUND), status=404)
