"""The promotion, coupon-claim and suspension-proposal state machines through `transition` (audit row on
success; on refusal nothing changed: status, audit rows, the promotion's window, the claim's order, the
store's status), and who is offered what in each state (available_actions)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from shop.models import CouponBatch, CouponClaim, LeaderFree, LimitedTimeDiscount, SecondItemDiscount, SpendAndSave
from shop.models.evaluation import SuspensionProposal
from tests.conftest import force_status
from tests.factories import MembershipFactory, OrderFactory, SkuFactory, UserFactory
from tests.transition_table import check_actions, check_table

pytestmark = pytest.mark.django_db

PROMOTION_STATES = ["active", "ended"]


def staff_in(group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def _window(days_before: int = 1, days_after: int = 5) -> dict:
    now = timezone.now()
    return {"starts_at": now - timedelta(days=days_before), "ends_at": now + timedelta(days=days_after)}


def make_discount(store):
    sku = SkuFactory(product__store=store, price=10000)
    return LimitedTimeDiscount.objects.create(store=store, sku=sku, kind="price", price=7000, **_window())


def make_campaign(store):
    return SpendAndSave.objects.create(
        store=store, name="满100减10", tiers=[{"threshold": 10000, "discount": 1000}], **_window()
    )


def make_coupon(store):
    return CouponBatch.objects.create(store=store, name="券", kind="threshold", amount=500, quantity=10, **_window())


def make_second_item(store):
    product = SkuFactory(product__store=store, price=10000).product
    return SecondItemDiscount.objects.create(store=store, product=product, permille=850, **_window())


def make_leader_free(store):
    product = SkuFactory(product__store=store, price=10000).product
    return LeaderFree.objects.create(store=store, product=product, quantity=3, **_window())


PROMOTIONS = {
    "discount": make_discount,
    "campaign": make_campaign,
    "coupon": make_coupon,
    "second_item": make_second_item,
    "leader_free": make_leader_free,
}


@pytest.mark.parametrize("kind", list(PROMOTIONS))
def test_promotion_transition_table(store, kind):
    def make(state: str):
        promotion = PROMOTIONS[kind](store)
        force_status(promotion, state)
        return promotion

    check_table(
        make,
        {"end": ({"active"}, "ended")},
        PROMOTION_STATES,
        unchanged=lambda p: type(p).objects.filter(pk=p.pk).values_list("ends_at", flat=True).get(),
    )


@pytest.mark.parametrize("kind", list(PROMOTIONS))
def test_who_may_end_a_promotion(store, merchant, kind):
    promotion = PROMOTIONS[kind](store)
    actors = {
        "merchant": merchant,
        "operator": MembershipFactory(store=store, role="operator").user,
        "stranger": MembershipFactory().user,  # a member of another store
        "buyer": "buyer:b1",
        "support": staff_in("support"),
    }
    table = {"active": {"merchant": {"end"}, "operator": {"end"}}}
    check_actions(promotion, table, actors, PROMOTION_STATES)


CLAIM_STATES = ["claimed", "used", "expired"]


def test_coupon_claim_transition_table(store):
    coupon = make_coupon(store)
    order = OrderFactory(store=store)

    def make(state: str, *, expired: bool = False) -> CouponClaim:
        now = timezone.now()
        claim = CouponClaim.objects.create(
            coupon=coupon,
            store=store,
            buyer_ref="b1",
            code=f"C{CouponClaim.objects.count():06d}",
            expires_at=now - timedelta(minutes=1) if expired else now + timedelta(days=3),
            order=order if state == "used" else None,
            used_at=now if state == "used" else None,
        )
        force_status(claim, state)
        return claim

    def order_of(claim: CouponClaim):
        return CouponClaim.objects.filter(pk=claim.pk).values_list("order_id", "used_at").get()

    check_table(
        make,
        {"use": ({"claimed"}, "used"), "release": ({"used"}, "claimed")},
        CLAIM_STATES,
        kwargs={"use": {"order": order}},
        unchanged=order_of,
    )
    # expiry has a guard (past its expiry date): a claim still valid is refused in every state
    check_table(lambda s: make(s, expired=True), {"expire": ({"claimed"}, "expired")}, CLAIM_STATES)
    check_table(make, {"expire": (set(), "expired")}, CLAIM_STATES, unchanged=order_of)


def test_no_one_acts_on_a_coupon_claim_by_hand(store, merchant, staff_user):
    """Claims move with orders (use, release) and the expiry sweep: no page offers an action on one."""
    claim = CouponClaim.objects.create(
        coupon=make_coupon(store), store=store, buyer_ref="b1", code="C1", expires_at=timezone.now()
    )
    actors = {"merchant": merchant, "buyer": "buyer:b1", "staff": staff_user, "system": "system"}
    check_actions(claim, {}, actors, CLAIM_STATES)


PROPOSAL_STATES = ["proposed", "confirmed", "dismissed"]


def test_suspension_proposal_transition_table(store):
    def make(state: str) -> SuspensionProposal:
        SuspensionProposal.objects.filter(store=store).delete()
        proposal = SuspensionProposal.objects.create(store=store, reasons=["dsr_service"])
        force_status(proposal, state)
        return proposal

    def store_status(proposal: SuspensionProposal):
        return type(store).objects.filter(pk=store.pk).values_list("status", flat=True).get()

    check_table(
        make,
        {"confirm": ({"proposed"}, "confirmed"), "dismiss": ({"proposed"}, "dismissed")},
        PROPOSAL_STATES,
        unchanged=store_status,
    )


def test_who_decides_a_suspension_proposal(store, merchant):
    proposal = SuspensionProposal.objects.create(store=store, reasons=["dsr_service"])
    actors = {
        "reviewer": staff_in("reviewer"),
        "support": staff_in("support"),
        "finance": staff_in("finance"),
        "merchant": merchant,
        "system": "system",
    }
    both = {"confirm", "dismiss"}
    check_actions(proposal, {"proposed": {"reviewer": both, "support": both}}, actors, PROPOSAL_STATES)
