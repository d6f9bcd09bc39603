"""Platform staff roles as data: what each group may open and do in the admin, across every app.

A role is a Django group; its permissions are granted by the data migration `portal.0005_staff_roles`
(and reloaded by the root conftest after a test flush). A superuser holds every permission. Admin
actions declare the permission they need (`@admin.action(permissions=[...])`), so a role sees and runs
only its own actions; services that decide for the platform check the same permission.

The jobs: a reviewer reviews store applications and their documents; support handles after-sales
interventions, complaints, review moderation, courier tickets, orders and shipments; finance keeps the
deposit and payout ledgers, settles compensations and issues the platform's subsidy coupons (平台补贴券).
"""

from __future__ import annotations

from typing import Any

REVIEWER, SUPPORT, FINANCE = "reviewer", "support", "finance"
ROLES = (REVIEWER, SUPPORT, FINANCE)

STAFF_ROLES: dict[str, dict[str, list[str]]] = {
    REVIEWER: {
        "shop": [
            "view_store",
            "view_storeapplication",
            "review_store",
            "suspend_store",
            "view_storedocument",
            "view_depositentry",
            "view_depositrule",
            "view_agreementversion",
            "view_agreementsignature",
        ],
        "portal": ["view_auditentry"],
    },
    SUPPORT: {
        "aftersales": [
            "view_aftersalesrequest",
            "change_aftersalesrequest",  # platform decisions on interventions (admin actions)
            "view_complaint",
            "add_complaint",
            "change_complaint",
            "view_review",
            "change_review",  # hide / unhide
            "view_dsrsnapshot",
        ],
        "shipping": [
            "view_booking",
            "change_booking",
            "view_shipment",
            "change_shipment",
            "view_platformticket",
            "change_platformticket",
            "view_couriermessage",
            "view_trackingevent",
            "view_courier",
            "view_senderaddress",
            "view_webhookreceipt",
        ],
        "shop": [
            "view_store",
            "suspend_store",
            "view_storedocument",
            "view_depositentry",
            "view_order",
            "change_order",  # risk hold, platform cancel, delivered, confirm receipt
            "view_groupbuy",
            "change_groupbuy",
            "view_compensation",
            "view_product",
            "change_product",  # take a product off the shelf
            "view_sku",
            "view_couponclaim",
            "view_storeevaluation",
            "view_suspensionproposal",
            "change_suspensionproposal",
            "view_storesanction",
            "change_storesanction",  # lift a sanction early
        ],
        "portal": [
            "view_auditentry",
            "view_event",
            "view_notification",
            "view_webhookendpoint",
            "change_webhookendpoint",
            "view_webhookdelivery",
            "change_webhookdelivery",  # replay
        ],
    },
    FINANCE: {
        "shop": [
            "view_store",
            "settle_deposit",
            "view_depositentry",
            "view_depositrule",
            "add_depositrule",
            "change_depositrule",
            "view_agreementsignature",
            "view_payoutentry",
            "add_payoutentry",
            "view_order",
            "view_compensation",
            "change_compensation",  # settle from the deposit, waive
            "view_withdrawal",
            "change_withdrawal",  # pay or send back a merchant's withdrawal
            "view_storesanction",
            "view_platformcoupon",
            "add_platformcoupon",  # issue a 平台补贴券 in a store (the platform pays its discount)
            "change_platformcoupon",  # add quantity, end
        ],
        "aftersales": ["view_aftersalesrequest"],
        "portal": ["view_auditentry", "view_payment", "view_refund"],  # the payment provider's records, read-only
    },
}


def grant_staff_roles(apps: Any, using: str = "default") -> None:
    """Create the groups and give each exactly its permissions (idempotent; `apps` may be historical)."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    labels = {label for perms in STAFF_ROLES.values() for label in perms}
    for label in sorted(labels):
        config = apps.get_app_config(label)
        if getattr(config, "models_module", None) is None:  # historical configs have none: the helpers skip those
            config.models_module = True
        create_contenttypes(config, verbosity=0, using=using, apps=apps)
        create_permissions(config, verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in STAFF_ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = [
            perm.pk
            for label, codenames in by_app.items()
            for perm in Permission.objects.using(using).filter(content_type__app_label=label, codename__in=codenames)
        ]
        group.permissions.set(wanted)
