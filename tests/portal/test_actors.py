"""Typed actors: every kind maps to one stored label, a user when there is one, and a kind on the audit row."""

import pytest
from django.contrib.auth.models import Group

from portal.actors import SYSTEM, Actor, ActorKind, as_actor, require_perm, user_of
from portal.exceptions import PermissionDenied
from portal.fsm import actor_label
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("by", "kind", "label"),
    [
        (None, ActorKind.SYSTEM, "system"),
        ("system", ActorKind.SYSTEM, "system"),
        ("buyer:b1", ActorKind.STOREFRONT, "buyer:b1"),
        ("courier:SF", ActorKind.COURIER, "courier:SF"),
        ("payment:sandbox", ActorKind.PAYMENT_PROVIDER, "payment:sandbox"),
        (Actor.storefront("b1"), ActorKind.STOREFRONT, "buyer:b1"),
        (Actor.courier("YTO"), ActorKind.COURIER, "courier:YTO"),
        (Actor.payment_provider("sandbox"), ActorKind.PAYMENT_PROVIDER, "payment:sandbox"),
        (SYSTEM, ActorKind.SYSTEM, "system"),
    ],
)
def test_labels_and_kinds(by, kind, label):
    actor = as_actor(by)
    assert (actor.kind, actor.label, actor.user) == (kind, label, None)
    assert actor_label(by) == label and user_of(by) is None


@pytest.mark.django_db
def test_users_are_staff_or_merchants_and_keep_their_user():
    staff, merchant = UserFactory(username="s1", is_staff=True), UserFactory(username="m1")
    assert as_actor(staff) == Actor.staff(staff) and as_actor(staff).kind == ActorKind.STAFF
    assert as_actor(merchant).kind == ActorKind.MERCHANT and user_of(Actor.merchant(merchant, 3)) == merchant
    assert actor_label(Actor.merchant(merchant)) == "m1"


def test_display_labels_are_human():
    from django.utils import translation

    with translation.override("zh-hans"):  # whatever language an earlier test left active in this worker
        assert Actor.storefront("b1").display == "买家（店面） b1"
        assert Actor.courier("SF").display == "快递公司 SF"
        assert SYSTEM.display == "系统"


@pytest.mark.django_db
def test_only_staff_with_the_permission_hold_platform_permissions():
    support = UserFactory(username="support_x", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    finance = UserFactory(username="finance_x", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    perm = "aftersales.change_aftersalesrequest"
    require_perm(Actor.staff(support), perm)
    require_perm(SYSTEM, perm)  # sweeps and demo data pass
    for refused in (Actor.staff(finance), Actor.merchant(UserFactory()), Actor.storefront("b"), Actor.courier("SF")):
        with pytest.raises(PermissionDenied):
            require_perm(refused, perm)
