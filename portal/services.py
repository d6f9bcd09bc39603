"""Writes of the shared settings area: a store's API keys and a user's notification preferences."""

from __future__ import annotations

from datetime import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record

from .api.authentication import generate_key
from .events import EVENT_TYPES
from .exceptions import ValidationFailed
from .models import ApiKey, NotificationPreference, User

CHANNELS = ("in_app", "email", "sms")


@transaction.atomic
def api_key_create(*, store, name: str, scopes: list[str], by: User) -> tuple[ApiKey, str]:
    """A new key for the store's integration; returns (key, raw secret) — the raw secret is never stored."""
    unknown = set(scopes) - set(ApiKey.Scope.values)
    if not scopes or unknown:
        raise ValidationFailed(_("请选择至少一个有效的权限范围。"), fields={"scopes": [_("请选择权限范围。")]})
    raw, prefix, hashed = generate_key()
    key = ApiKey.objects.create(
        store=store, name=name, prefix=prefix, hashed_key=hashed, scopes=sorted(scopes), created_by=by
    )
    audit_record(key, "create", by=by, reason=name, data={"scopes": key.scopes, "prefix": prefix})
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: User) -> ApiKey:
    """Revoke a key at once; requests with it answer 401 from now on."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(key, "revoke", by=by, reason=key.name)
    return key


@transaction.atomic
def notification_preferences_update(
    *,
    user: User,
    channels: dict[str, set[str]],
    phone: str,
    sms_quiet_start: time | None,
    sms_quiet_end: time | None,
    by: User,
) -> list[NotificationPreference]:
    """Store, per event type, the channels (in_app, email, sms) the user wants, and the SMS quiet hours."""
    if (sms_quiet_start is None) != (sms_quiet_end is None):
        raise ValidationFailed(fields={"sms_quiet_end": [_("请同时填写免打扰的开始和结束时间。")]})
    user = User.objects.select_for_update().get(pk=user.pk)
    user.phone, user.sms_quiet_start, user.sms_quiet_end = phone, sms_quiet_start, sms_quiet_end
    user.save(update_fields=["phone", "sms_quiet_start", "sms_quiet_end"])
    rows = [
        NotificationPreference(
            user=user, event_type=event_type, **{c: c in channels.get(event_type, set()) for c in CHANNELS}
        )
        for event_type in EVENT_TYPES
    ]
    return NotificationPreference.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "event_type"], update_fields=list(CHANNELS)
    )
