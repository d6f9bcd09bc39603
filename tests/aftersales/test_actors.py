"""Each side writes audit rows with its actor kind: staff in the admin, merchants on pages and merchant keys,
storefronts for buyers, payment providers in callbacks; a merchant cannot decide a dispute."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from aftersales import services
from aftersales.models import AftersalesRequest
from aftersales.models import AftersalesStatus as S
from portal.actors import Actor, ActorKind
from portal.exceptions import PermissionDenied
from portal.fsm import audit_for
from tests.aftersales.test_services_requests import open_req
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def last_entry(obj):
    return list(audit_for(obj))[-1]


def test_storefront_and_merchant_keys_write_their_kind(storefront, api, order):
    # given a request the buyer opens through the storefront key
    r = storefront.post(
        reverse("api-aftersales-requests"),
        {"order_sn": order.order_sn, "item_id": order.items.get().pk, "buyer_ref": order.buyer_ref,
         "type": "refund_only", "reason": "damaged", "amount": 100},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    req = AftersalesRequest.objects.get(request_sn=r.json()["request_sn"])
    # when the merchant's key rejects it and the buyer escalates through the storefront
    api.post(reverse("api-aftersales-reject", args=[req.request_sn]), {"reason": "不同意"}, format="json")
    r = storefront.post(
        reverse("api-aftersales-escalate", args=[req.request_sn]),
        {"buyer_ref": order.buyer_ref, "reason": "不合理"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    # then the audit rows name a merchant (with the key's user) and a storefront (no user)
    rejected, escalated = list(audit_for(req))[-2:]
    assert rejected.actor_kind == ActorKind.MERCHANT and rejected.actor is not None
    assert (escalated.actor_kind, escalated.actor_label, escalated.actor) == (
        ActorKind.STOREFRONT,
        f"buyer:{order.buyer_ref}",
        None,
    )


def test_merchant_page_writes_a_merchant_actor(merchant_client, merchant, order):
    req = open_req(order)
    merchant_client.post(
        reverse("aftersales:request_detail", args=[req.pk]),
        {"action": "approve", "note": "同意", "confirm_refund": "on"},
    )
    req.refresh_from_db()
    entry = last_entry(req)
    assert req.status != S.REQUESTED
    assert (entry.actor_kind, entry.actor) == (ActorKind.MERCHANT, merchant)


def test_staff_decision_in_the_admin_is_a_staff_actor(client, order, merchant, django_capture_on_commit_callbacks):
    req = open_req(order)
    req = services.aftersales_reject(request=req, reason="不同意", by=Actor.merchant(merchant))
    req = services.aftersales_escalate(request=req, buyer_ref=order.buyer_ref, reason="x", by=Actor.storefront("b"))
    support = UserFactory(username="support_y", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    client.force_login(support)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:aftersales_aftersalesrequest_changelist"),
            {"action": "decide_reject", "_selected_action": [req.pk], "note": "证据不足"},
        )
    req.refresh_from_db()
    entry = last_entry(req)
    assert req.status == S.DECIDED
    assert (entry.actor_kind, entry.actor, entry.actor_label) == (ActorKind.STAFF, support, "support_y")


def test_a_merchant_cannot_decide_a_dispute(order, merchant):
    # given an escalated request
    req = open_req(order)
    req = services.aftersales_reject(request=req, reason="不同意", by=Actor.merchant(merchant))
    req = services.aftersales_escalate(request=req, buyer_ref=order.buyer_ref, reason="x", by=Actor.storefront("b"))
    # when the merchant (or a staff member without the role) tries to decide it, it is refused
    for actor in (Actor.merchant(merchant), Actor.staff(UserFactory(username="nobody", is_staff=True))):
        with pytest.raises(PermissionDenied):
            services.aftersales_decide(request=req, decision="reject", by=actor)
    # and nothing changed
    req.refresh_from_db()
    assert req.status == S.IN_INTERVENTION and req.decided_by is None
