"""API keys for integrations: `Authorization: Bearer <prefix>.<secret>`; stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from portal.models import ApiKey
from portal.rows import JoinedRead


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> tuple[str, str, str]:
    """Return (full key to show once, prefix, hash to store)."""
    prefix = secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    return raw, prefix, hash_secret(raw)


# `last_used_at` is for people ("used 2 minutes ago"): a write per request would cost every API call a
# row lock on the key; once a minute is as informative.
LAST_USED_EVERY = timedelta(minutes=1)


def touch_last_used(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


# Every API call reads its key with the store and the creating user: one statement built once.
_KEY_READ = JoinedRead(ApiKey, ["store", "created_by"])


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="ignore")
        if not header.startswith(self.keyword + " "):
            return None
        raw = header[len(self.keyword) + 1 :].strip()
        prefix = raw.split(".", 1)[0]
        found = _KEY_READ.fetch("t0.prefix = %s AND t0.revoked_at IS NULL", [prefix])
        key = found[0] if found else None
        if key is None or not secrets.compare_digest(key.hashed_key, hash_secret(raw)):
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        touch_last_used(key)
        request._request.store = key.store
        return (key.created_by or _IntegrationUser(key), key)

    def authenticate_header(self, request) -> str:
        return self.keyword


class _IntegrationUser:
    """Stands for an integration whose creating user was deleted."""

    is_authenticated = True
    is_staff = False
    pk = None

    def __init__(self, key: ApiKey):
        self.username = f"api:{key.prefix}"

    def get_username(self) -> str:
        return self.username
