"""Request bodies the API accepts: JSON bounded in size (1 MB, API_JSON_MAX_BYTES) and depth (32 levels).

A deeper or larger body is refused with the error shape (400 too_deeply_nested, 413 payload_too_large)
instead of exhausting the interpreter's recursion limit or memory. Uploads stay multipart (their own limit,
DATA_UPLOAD_MAX_MEMORY_SIZE)."""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

from . import error_codes as codes

MAX_DEPTH = 32


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = codes.PAYLOAD_TOO_LARGE


def depth_exceeds(data, limit: int = MAX_DEPTH) -> bool:
    """Whether `data` nests containers deeper than `limit` (iterative: no recursion on hostile input)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = getattr(settings, "API_JSON_MAX_BYTES", 1024 * 1024)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        try:
            data = json.loads(codecs.decode(raw, encoding))
        except RecursionError:
            raise exceptions.ParseError(code=codes.TOO_DEEPLY_NESTED)
        except (ValueError, LookupError):
            raise exceptions.ParseError(code=codes.PARSE_ERROR)
        if depth_exceeds(data):
            raise exceptions.ParseError(code=codes.TOO_DEEPLY_NESTED)
        return data
