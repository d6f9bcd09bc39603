"""Reads of the shared settings area."""

from __future__ import annotations

from .events import EVENT_TYPES
from .models import NotificationPreference, User
from .services import CHANNELS


def notification_preferences(user: User) -> list[tuple[str, str, dict[str, bool]]]:
    """(event type, label, {channel: on}) for every event type, defaults where the user set nothing."""
    saved = {p.event_type: p for p in NotificationPreference.objects.filter(user=user)}
    table = []
    for key, event_type in EVENT_TYPES.items():
        pref = saved.get(key)
        if pref is None:
            on = {"in_app": True, "email": True, "sms": event_type.sms_default}
        else:
            on = {c: getattr(pref, c) for c in CHANNELS}
        table.append((key, event_type.label, on))
    return table
