"""Secrets at rest: a model field encrypted with Fernet (the `cryptography` package).

Keys come from `settings.FIELD_ENCRYPTION_KEYS` (comma-separated Fernet keys in the
`FIELD_ENCRYPTION_KEYS` environment variable; the first encrypts, every one decrypts, so a key
is rotated by putting the new one first). Development and tests derive one from SECRET_KEY;
production requires the variable. The database only ever holds the token; `repr`, forms and the
admin never show the clear text (the field is not editable and not serialisable by default).
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("An encrypted field cannot be read with the configured FIELD_ENCRYPTION_KEYS.")


class Secret(str):
    """A decrypted value that does not print itself (logs, tracebacks, templates)."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:  # explicit use only: `secret.reveal()`
        return "***"

    def reveal(self) -> str:
        return str.__str__(self)


class _SecretAttribute(DeferredAttribute):
    """Whatever is assigned reads back as a Secret, before and after a save."""

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value if isinstance(value, Secret) else Secret(value or "")


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; reads back a `Secret` (str subclass that prints as ***)."""

    descriptor_class = _SecretAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return Secret("")
        return Secret(decrypt(value))

    def to_python(self, value):
        if isinstance(value, Secret) or value in (None, ""):
            return value if value is not None else Secret("")
        return Secret(value)

    def get_prep_value(self, value):
        if value is None:
            return ""
        plain = value.reveal() if isinstance(value, Secret) else str(value)
        return encrypt(plain) if plain else ""

    def value_to_string(self, obj) -> str:  # dumpdata: never the clear text
        return ""


@register(Tags.security, deploy=True)
def check_encryption_keys(app_configs=None, **kwargs) -> list[Error]:
    """`manage.py check --deploy`: secrets at rest need real keys, valid Fernet keys."""
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        return [Error("FIELD_ENCRYPTION_KEYS is empty: courier account secrets cannot be stored.", id="portal.E101")]
    try:
        [Fernet(k.encode()) for k in keys]
    except (ValueError, TypeError):
        return [Error("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key.", id="portal.E102")]
    return []
