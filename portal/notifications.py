"""The notification centre: an event becomes an inbox row, an email and an SMS, per preferences."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q, QuerySet
from django.utils import timezone

from .events import EVENT_TYPES, outlet
from .models import Event, Membership, Notification, NotificationPreference, User
from .sms import send_sms


def in_quiet_hours(user: User, now=None) -> bool:
    start, end = user.sms_quiet_start, user.sms_quiet_end
    if start is None or end is None or start == end:
        return False
    current: time = timezone.localtime(now or timezone.now()).time()
    if start < end:
        return start <= current < end
    return current >= start or current < end  # window across midnight, e.g. 22:00–08:00


def recipients(event: Event) -> QuerySet[User]:
    if "user_ids" in event.payload:
        return User.objects.filter(pk__in=event.payload["user_ids"], is_active=True)
    return User.objects.filter(
        pk__in=Membership.objects.filter(store_id=event.store_id).values("user_id"), is_active=True
    )


@outlet
def notify(event: Event) -> None:
    users = list(recipients(event))
    if not users:
        return
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users, event_type=event.type)}
    sms_default = EVENT_TYPES[event.type].sms_default
    title, body = event.payload.get("title", ""), event.payload.get("body", "")
    url = event.payload.get("url", "")
    inbox = []
    for user in users:
        pref = prefs.get(user.pk)
        if pref is None or pref.in_app:
            inbox.append(
                Notification(
                    user=user, store_id=event.store_id, event=event, kind=event.type, title=title, body=body, url=url
                )
            )
        if (pref is None or pref.email) and user.email:
            link = f"\n\n{settings.SITE_URL}{url}" if url else ""
            send_mail(title, f"{body}{link}", None, [user.email], fail_silently=True)
        wants_sms = pref.sms if pref is not None else sms_default
        if wants_sms and user.phone and not in_quiet_hours(user):
            send_sms(user.phone, f"{title} {body}".strip())
    Notification.objects.bulk_create(inbox)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox(*, user: User, store=None, storeless: bool = True) -> QuerySet[Notification]:
    """The user's notifications; with `store`, only that store's (plus those of no store, if `storeless`).

    An API key sees only its own store's (storeless=False): a key of one store never reads another's,
    even when the same user owns both.
    """
    qs = Notification.objects.filter(user_id=getattr(user, "pk", None))
    if store is not None:
        qs = qs.filter(Q(store=store) | Q(store__isnull=True)) if storeless else qs.filter(store=store)
    return qs


def mark_read(*, user: User, ids: list[int] | None = None, store=None, storeless: bool = True) -> int:
    qs = inbox(user=user, store=store, storeless=storeless).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
