"""Demo users of the platform side: a superuser and one staff member per role."""

from django.contrib.auth.models import Group

from .models import User

STAFF = [
    ("admin", "superuser: everything, /admin/", None),
    ("reviewer", "staff: store review (/admin/)", "reviewer"),
    ("support", "staff: interventions and moderation (/admin/)", "support"),
    ("finance", "staff: deposits and payouts (/admin/)", "finance"),
]


def seed(*, password: str) -> list[tuple[str, str]]:
    for username, _what, group in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "is_staff": True, "is_superuser": group is None},
        )
        if created:
            user.set_password(password)
            user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
    return [(u, w) for u, w, _g in STAFF]

INBOX_UNREAD = 10  # what a merchant opening the demo finds waiting, per user
INBOX_PER_KIND = 2


def settle_inbox(*, first_id: int = 1) -> int:
    """Seeding replays months of history, and each step notified someone; a real merchant would have read
    all but the latest. Of the notifications from `first_id` on, keep about ten unread per user (the newest,
    at most two of a kind) and mark the rest read. Returns how many were marked read."""
    from django.utils import timezone

    from .models import Notification

    unread = Notification.objects.filter(read_at__isnull=True, pk__gte=first_id).order_by("user_id", "-created_at", "-id")
    keep: list[int] = []
    per_user: dict[int, int] = {}
    per_kind: dict[tuple[int, str], int] = {}
    for pk, user_id, kind in unread.values_list("pk", "user_id", "kind"):
        if per_user.get(user_id, 0) >= INBOX_UNREAD or per_kind.get((user_id, kind), 0) >= INBOX_PER_KIND:
            continue
        keep.append(pk)
        per_user[user_id] = per_user.get(user_id, 0) + 1
        per_kind[(user_id, kind)] = per_kind.get((user_id, kind), 0) + 1
    return unread.exclude(pk__in=keep).update(read_at=timezone.now())
