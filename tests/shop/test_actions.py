"""A POST re-checks the action: services refuse what `available_actions` would not offer the actor, so an
admin bulk action over mixed statuses acts only on the allowed rows (and reports the rest), and an API POST
of an action the order does not offer answers 409 `action_not_available` with nothing changed."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.actions import available_actions
from portal.actors import Actor
from portal.exceptions import IllegalTransition
from portal.models import AuditEntry
from shop.models import LimitedTimeDiscount, Order
from shop.services.orders import order_set_risk_hold
from shop.services.promotions import discount_end
from tests.aftersales.conftest import make_order
from tests.factories import UserFactory
from tests.shop.orders_support import on_sale_sku, pay, place
from tests.shop.test_promotions_transitions import make_discount

pytestmark = pytest.mark.django_db


def login_as(client, role: str):
    user = UserFactory(username=f"{role}_1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def audit_rows(order: Order) -> int:
    return AuditEntry.objects.filter(content_type__model="order", object_id=order.pk).count()


def post_action(client, action: str, objects) -> list[str]:
    response = client.post(
        reverse("admin:shop_order_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_admin_bulk_hold_acts_only_on_orders_a_page_offers_it_for(client, store):
    # given orders in four states; the risk hold is offered only while an order is not over
    orders = {state: make_order(store, status=state) for state in ("paid", "shipped", "completed", "cancelled")}
    before = {state: audit_rows(o) for state, o in orders.items()}
    # when support holds all four at once
    login_as(client, "support")
    messages = post_action(client, "hold_for_risk", orders.values())
    # then the paid and shipped orders are held and audited, the completed and cancelled ones are untouched
    held = {state for state, o in orders.items() if Order.objects.get(pk=o.pk).risk_hold}
    assert held == {"paid", "shipped"}
    assert {state: audit_rows(o) - before[state] for state, o in orders.items()} == {
        "paid": 1, "shipped": 1, "completed": 0, "cancelled": 0,
    }  # fmt: skip
    # and the two refusals are reported by order, beside the one success message
    refused = [m for m in messages if m.startswith((orders["completed"].order_sn, orders["cancelled"].order_sn))]
    assert len(refused) == 2 and all("不允许" in m for m in refused), messages
    assert any("2" in m and "风控" in m for m in messages if m not in refused), messages


def test_an_admin_bulk_delivery_skips_orders_not_on_their_way(client, store):
    orders = [make_order(store, status=state) for state in ("shipped", "paid", "completed")]
    login_as(client, "support")
    messages = post_action(client, "mark_delivered", orders)
    assert [Order.objects.get(pk=o.pk).status for o in orders] == ["delivered", "paid", "completed"]
    assert len([m for m in messages if "不允许" in m]) == 2, messages


def test_a_service_refuses_staff_without_the_actions_permission(store):
    """Support's risk hold needs shop.change_order; a staff member of no role holds nothing."""
    order = make_order(store, status="paid")
    clerk = UserFactory(is_staff=True)
    with pytest.raises(IllegalTransition) as exc:
        order_set_risk_hold(order=order, hold=True, reason="风控", by=Actor.staff(clerk))
    assert exc.value.code == "action_not_available"
    order.refresh_from_db()
    assert order.risk_hold is False and audit_rows(order) == 0
    # the sweeps and other system actors are not people choosing from a page: they pass the re-check
    order_set_risk_hold(order=order, hold=True, reason="风控", by="system")
    assert Order.objects.get(pk=order.pk).risk_hold is True


def test_a_promotion_is_ended_by_its_store_not_by_another_stores_member(store, merchant, other_store):
    discount = make_discount(store)
    outsider = other_store.memberships.get().user
    with pytest.raises(IllegalTransition):
        discount_end(discount=discount, by=Actor.merchant(outsider, store_id=other_store.pk))
    assert LimitedTimeDiscount.objects.get(pk=discount.pk).status == "active"
    discount_end(discount=discount, by=Actor.merchant(merchant, store_id=store.pk))
    assert LimitedTimeDiscount.objects.get(pk=discount.pk).status == "ended"


def test_an_api_key_whose_creator_is_gone_still_acts_for_its_store(store):
    discount = make_discount(store)
    keyed = Actor(kind="merchant", label="erp", store_id=store.pk)  # merchant_actor of a key with no user
    assert available_actions(discount, keyed) == {"end"}
    assert available_actions(discount, Actor(kind="merchant", label="erp", store_id=store.pk + 1)) == set()


def test_an_api_post_of_an_action_the_order_does_not_offer_is_409(store, storefront):
    # given a paid order (not shipped): the buyer is not offered confirming receipt or extending it
    order = pay(place(store, on_sale_sku(store)))
    rows = audit_rows(order)
    for path in ("confirm-receipt", "extend-receipt"):
        response = storefront.post(f"/api/v1/orders/{order.order_sn}/{path}/")
        assert response.status_code == 409, path
        assert response.json()["error"]["code"] == "illegal_transition", path  # the state rules it out
    order.refresh_from_db()
    assert (order.status, order.receipt_extended, order.waybill_no, audit_rows(order)) == ("paid", False, "", rows)


def test_an_api_post_after_the_order_moved_on_is_409(api, store):
    """An integration that missed the order's move (completed meanwhile) gets 409, and nothing changes."""
    order = make_order(store, status="completed")
    response = api.post(
        f"/api/v1/orders/{order.order_sn}/ship/", {"courier_code": "SF", "waybill_no": "SF1234567890123"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_a_refusal_says_whether_the_state_or_the_actor_rules_the_action_out(store):
    from portal.actions import check_action

    order = make_order(store, status="paid")
    clerk = Actor.staff(UserFactory(is_staff=True))  # a staff member of no role
    with pytest.raises(IllegalTransition) as by_actor:
        check_action(order, clerk, "cancel_and_refund")  # the state allows it; the actor may not
    with pytest.raises(IllegalTransition) as by_state:
        check_action(order, clerk, "mark_delivered")  # a paid order is not delivered by anyone
    assert (by_actor.value.code, by_state.value.code) == ("action_not_available", "illegal_transition")
