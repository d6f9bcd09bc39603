"""Staff roles as data: role × admin page/action → allowed or 403, each role with its own login."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from portal.roles import STAFF_ROLES
from tests.conftest import force_status
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

R, S, F = "reviewer", "support", "finance"
ROLES = (R, S, F, "superuser", "no_role")

# Who may open each admin list (the superuser may open all). Written out by hand, not derived from
# portal.roles, so that a change to the role table shows up here as a decision.
PAGES: dict[str, set[str]] = {
    "auth.group": set(),
    "portal.user": set(),
    "portal.auditentry": {R, S, F},
    "portal.event": {S},
    "portal.notification": {S},
    "portal.apikey": set(),
    "portal.webhookendpoint": {S},
    "portal.webhookdelivery": {S},
    "portal.payment": {F},
    "portal.refund": {F},
    "shop.store": {R, S, F},
    "shop.storeapplication": {R},
    "shop.storedocument": {R, S},
    "shop.depositrule": {R, F},
    "shop.depositentry": {R, S, F},
    "shop.agreementversion": {R},
    "shop.agreementsignature": {R, F},
    "shop.payoutentry": {F},
    "shop.withdrawal": {F},
    "shop.order": {S, F},
    "shop.groupbuy": {S},
    "shop.compensation": {S, F},
    "shop.product": {S},
    "shop.sku": {S},
    "shop.limitedtimediscount": set(),
    "shop.spendandsave": set(),
    "shop.seconditemdiscount": set(),
    "shop.leaderfree": set(),
    "shop.platformcoupon": {F},
    "shop.couponbatch": set(),
    "shop.couponclaim": {S},
    "shop.evaluationrule": set(),
    "shop.storeevaluation": {S},
    "shop.suspensionproposal": {S},
    "shop.storesanction": {S, F},
    "shipping.courier": {S},
    "shipping.senderaddress": {S},
    "shipping.booking": {S},
    "shipping.shipment": {S},
    "shipping.trackingevent": {S},
    "shipping.webhookreceipt": {S},
    "shipping.couriermessage": {S},
    "shipping.platformticket": {S},
    "shipping.sandboxparcel": set(),
    "shipping.courieraccount": set(),  # per-store courier secrets: superuser only
    "aftersales.aftersalesrequest": {S, F},
    "aftersales.complaint": {S},
    "aftersales.review": {S},
    "aftersales.dsrsnapshot": {S},
}

# Who is offered each admin action (and so may run it).
ACTIONS: dict[tuple[str, str], set[str]] = {
    ("portal.webhookendpoint", "enable"): {S},
    ("portal.webhookendpoint", "disable"): {S},
    ("portal.webhookdelivery", "replay"): {S},
    ("shop.store", "approve_selected"): {R},
    ("shop.store", "reinstate_selected"): {R, S},
    ("shop.storeapplication", "approve_selected"): {R},
    ("shop.order", "hold_for_risk"): {S},
    ("shop.order", "release_risk_hold"): {S},
    ("shop.order", "cancel_and_refund"): {S},
    ("shop.order", "mark_delivered"): {S},
    ("shop.order", "confirm_receipt"): {S},
    ("shop.groupbuy", "fail_group"): {S},
    ("shop.compensation", "settle"): {F},
    ("shop.compensation", "waive"): {F},
    ("shop.sku", "set_stock"): set(),
    ("shop.sku", "set_price"): set(),
    ("shop.couponbatch", "end"): set(),
    ("shop.couponbatch", "add_quantity"): set(),
    ("shop.limitedtimediscount", "end"): set(),
    ("shop.spendandsave", "end"): set(),
    ("shop.seconditemdiscount", "end"): set(),
    ("shop.leaderfree", "end"): set(),
    ("shop.platformcoupon", "end"): {F},
    ("shop.platformcoupon", "add_quantity"): {F},
    ("shop.product", "put_on_sale"): {S},
    ("shop.product", "take_off_shelf"): {S},
    ("shop.suspensionproposal", "confirm"): {S},
    ("shop.suspensionproposal", "dismiss"): {S},
    ("shop.storesanction", "lift"): {S},
    ("shop.withdrawal", "pay"): {F},
    ("shop.withdrawal", "reject"): {F},
    ("shipping.booking", "cancel_waiting"): {S},
    ("shipping.shipment", "cancel"): {S},
    ("shipping.platformticket", "resolve"): {S},
    ("aftersales.aftersalesrequest", "decide_full_refund"): {S},
    ("aftersales.aftersalesrequest", "decide_partial_refund"): {S},
    ("aftersales.aftersalesrequest", "decide_reject"): {S},
    ("aftersales.complaint", "uphold"): {S},
    ("aftersales.complaint", "dismiss"): {S},
    ("aftersales.review", "hide"): {S},
    ("aftersales.review", "unhide"): {S},
}

# The store's own staff pages: review, suspend, close and record a transfer.
STORE_PAGES: dict[str, set[str]] = {
    "shop_store_review": {R},
    "shop_store_suspend": {R, S},
    "shop_store_close": {F},
    "shop_store_transfer": {F},
}


def login_as(client, role: str):
    if role == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    else:
        user = UserFactory(username=f"{role}_1", is_staff=True)
        if role != "no_role":
            user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def allowed(roles: set[str], role: str) -> bool:
    return role == "superuser" or role in roles


def changelist(label: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def test_every_admin_page_is_in_the_table():
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(PAGES)
    assert {label for label, _name in ACTIONS} <= registered


def test_every_permission_of_the_role_table_exists():
    for role, by_app in STAFF_ROLES.items():
        for app, codenames in by_app.items():
            found = set(
                Permission.objects.filter(content_type__app_label=app, codename__in=codenames).values_list(
                    "codename", flat=True
                )
            )
            assert found == set(codenames), (role, app, set(codenames) - found)


@pytest.mark.parametrize("role", ROLES)
def test_role_by_admin_page(client, role):
    login_as(client, role)
    wrong = {}
    for label, roles in PAGES.items():
        status = client.get(changelist(label)).status_code
        expected = 200 if allowed(roles, role) else 403
        if status != expected:
            wrong[label] = (status, expected)
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_role_by_admin_action(client, role):
    login_as(client, role)
    wrong = {}
    for (label, action), roles in ACTIONS.items():
        response = client.get(changelist(label))
        offered = set()
        if response.status_code == 200 and response.context.get("action_form") is not None:
            offered = {name for name, _label in response.context["action_form"].fields["action"].choices}
        if (action in offered) != allowed(roles, role):
            wrong[(label, action)] = action in offered
        if role != "superuser" and "delete_selected" in offered:
            wrong[(label, "delete_selected")] = True
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_role_by_store_staff_page(client, role):
    store = StoreFactory()
    force_status(store, "open")
    login_as(client, role)
    for name, roles in STORE_PAGES.items():
        status = client.get(reverse(f"admin:{name}", args=[store.pk])).status_code
        assert status == (200 if allowed(roles, role) else 403), name


def test_an_action_a_role_is_not_offered_changes_nothing_when_posted(client):
    # given a paid order and a finance user, who may see orders but not act on them
    from tests.aftersales.conftest import make_order

    store = StoreFactory()
    force_status(store, "open")
    order = make_order(store, status="paid")
    login_as(client, F)
    # when finance posts the platform-cancel action anyway
    response = client.post(
        changelist("shop.order"), {"action": "cancel_and_refund", "_selected_action": [order.pk]}, follow=True
    )
    # then nothing happened
    order.refresh_from_db()
    assert response.status_code == 200 and order.status == "paid"


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        (R, {"applications_awaiting_review", "deposit_refunds_awaiting_review"}),
        (
            S,
            {
                "interventions_open",
                "deposit_refunds_awaiting_review",
                "stores_proposed_for_suspension",
                "courier_confirm_breaches",
                "courier_pickup_breaches",
                "parcels_lost_platform",
            },
        ),
        (F, {"interventions_open", "deposit_refunds_awaiting_review"}),
        ("no_role", set()),
    ],
)
def test_staff_overview_shows_only_what_the_role_can_open(client, role, keys):
    login_as(client, role)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    shown = dict(re.findall(r'<tr data-overview="([a-z_]+)">\s*<th scope="row"><a href="([^"]+)"', html))
    assert set(shown) == keys
    for url in shown.values():
        assert client.get(url.replace("&amp;", "&")).status_code == 200
