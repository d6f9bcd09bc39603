"""Idempotency-Key on POST: the key is claimed before the work, the first response is stored and replayed.

The claim is insert-first on the (principal, key) unique constraint, committed before the view runs: of
concurrent identical requests exactly one does the work; the others wait for it (up to
IDEMPOTENCY_WAIT_SECONDS) and replay its response, or get 409 `idempotency_in_progress`. A retry with the
same key and a different body is refused (422 `idempotency_key_reused`), so a client bug cannot silently
apply the wrong request. A request that fails with a 5xx releases its claim, so a retry can do the work.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from portal.models import ApiKey, IdempotencyRecord

from .errors import error_body

HEADER = "HTTP_IDEMPOTENCY_KEY"
IN_PROGRESS = 0  # status_code of a claimed key whose first request has not answered yet
POLL_SECONDS = 0.05


class _Replay(Exception):
    def __init__(self, response: Response):
        self.response = response


def _principal(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{getattr(request.user, 'pk', 'anon')}"


def _claim(*, principal: str, key: str, method_path: str, request_hash: str) -> IdempotencyRecord | None:
    """Insert the in-progress record (committed at once); None when another request holds the key."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                principal=principal,
                key=key,
                method_path=method_path,
                request_hash=request_hash,
                status_code=IN_PROGRESS,
                body=None,
            )
    except IntegrityError:
        return None


def _answer_of(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        return Response(
            error_body("idempotency_key_reused", "This Idempotency-Key was used for another request."), status=422
        )
    replay = Response(record.body, status=record.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay


class IdempotentMixin:
    """Mix into an APIView: POSTs with an Idempotency-Key header become safe to retry, even concurrently."""

    _idempotency: int | None = None  # the pk of the record this request claimed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticates: the principal is known from here
        key = request.META.get(HEADER, "")[:128]
        if request.method != "POST" or not key:
            return
        body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str) if request.data else ""
        request_hash = hashlib.sha256(f"{request.path}|{body}".encode()).hexdigest()
        principal = _principal(request)
        claim = {"principal": principal, "key": key, "method_path": f"POST {request.path}"[:300]}
        wait = float(settings.IDEMPOTENCY_WAIT_SECONDS)
        deadline = time.monotonic() + wait
        while True:
            record = _claim(**claim, request_hash=request_hash)
            if record is not None:
                self._idempotency = record.pk
                return
            existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if existing is None:
                continue  # released between our insert and our read: claim again
            if existing.request_hash != request_hash or existing.status_code != IN_PROGRESS:
                raise _Replay(_answer_of(existing, request_hash))
            stale = float(settings.IDEMPOTENCY_STALE_SECONDS)
            if existing.created_at < timezone.now() - timedelta(seconds=stale):
                # the first request died without answering (its process was killed): take the key over
                IdempotencyRecord.objects.filter(pk=existing.pk, status_code=IN_PROGRESS).delete()
                continue
            if time.monotonic() >= deadline:
                raise _Replay(
                    Response(
                        error_body(
                            "idempotency_in_progress",
                            "A request with this Idempotency-Key is still being processed; retry later.",
                        ),
                        status=409,
                    )
                )
            time.sleep(POLL_SECONDS)

    def _release(self) -> None:
        if self._idempotency is not None:
            IdempotencyRecord.objects.filter(pk=self._idempotency, status_code=IN_PROGRESS).delete()
            self._idempotency = None

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except Exception:
            self._release()  # an unhandled error (500): nothing to replay, a retry may do the work
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency is not None:
            if response.status_code < 500:
                body = json.loads(json.dumps(getattr(response, "data", None), cls=DjangoJSONEncoder))
                IdempotencyRecord.objects.filter(pk=self._idempotency).update(
                    status_code=response.status_code, body=body
                )
                self._idempotency = None
            else:
                self._release()
        return super().finalize_response(request, response, *args, **kwargs)
