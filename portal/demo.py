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
