"""Idempotency-Key on POST: the first response is stored and replayed for retries.

A retry with the same key and a different body is refused (422), so a client
bug cannot silently apply the wrong request.
"""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework.response import Response

from portal.models import ApiKey, IdempotencyRecord

from .errors import error_body

HEADER = "HTTP_IDEMPOTENCY_KEY"


class _Replay(Exception):
    def __init__(self, response: Response):
        self.response = response


def _principal(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{getattr(request.user, 'pk', 'anon')}"


class IdempotentMixin:
    """Mix into an APIView: POSTs with an Idempotency-Key header become safe to retry."""

    _idempotency: tuple[str, str, str] | None = None  # (principal, key, request hash)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticates: the principal is known from here
        key = request.META.get(HEADER, "")[:128]
        if request.method != "POST" or not key:
            return
        body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str) if request.data else ""
        request_hash = hashlib.sha256(f"{request.path}|{body}".encode()).hexdigest()
        principal = _principal(request)
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None:
            self._idempotency = (principal, key, request_hash)
            return
        if record.request_hash != request_hash:
            raise _Replay(
                Response(
                    error_body("idempotency_key_reused", "This Idempotency-Key was used for another request."),
                    status=422,
                )
            )
        replay = Response(record.body, status=record.status_code)
        replay["Idempotent-Replayed"] = "true"
        raise _Replay(replay)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency is not None and response.status_code < 500:
            principal, key, request_hash = self._idempotency
            body = json.loads(json.dumps(getattr(response, "data", None), cls=DjangoJSONEncoder))
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        principal=principal,
                        key=key,
                        method_path=f"POST {request.path}"[:300],
                        request_hash=request_hash,
                        status_code=response.status_code,
                        body=body,
                    )
            except IntegrityError:
                pass  # a concurrent retry stored it first
        return super().finalize_response(request, response, *args, **kwargs)
