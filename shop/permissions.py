"""What each platform staff group may do in the shop app (groups: portal migration 0002).

Granted after every migrate (and after the test runner's flush), so the groups always hold them.
"""

from __future__ import annotations

STAFF_PERMISSIONS: dict[str, list[str]] = {
    "reviewer": [
        "view_store",
        "view_storeapplication",
        "review_store",
        "suspend_store",
        "view_storedocument",
        "view_depositentry",
        "view_agreementsignature",
    ],
    "support": ["view_store", "suspend_store", "view_storedocument", "view_depositentry"],
    "finance": [
        "view_store",
        "settle_deposit",
        "view_depositentry",
        "view_depositrule",
        "add_depositrule",
        "change_depositrule",
        "view_agreementsignature",
        "view_payoutentry",
        "add_payoutentry",
    ],
}


def grant_staff_permissions(sender=None, using: str = "default", **kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for group_name, codenames in STAFF_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=group_name)
        perms = Permission.objects.using(using).filter(content_type__app_label="shop", codename__in=codenames)
        group.permissions.add(*perms)
