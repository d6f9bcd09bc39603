"""Complaint and review-visibility state machines through `transition`: audit row on success; on refusal
nothing changed (status, audit rows, the resolution or hidden reason), and who is offered what."""

import pytest
from django.contrib.auth.models import Group

from aftersales.models import Complaint, Review
from portal.actions import available_actions
from tests.conftest import force_status
from tests.factories import UserFactory
from tests.transition_table import check_actions, check_table

from .conftest import make_order

pytestmark = pytest.mark.django_db

COMPLAINT_STATES = ["open", "upheld", "dismissed"]
VISIBILITY = ["visible", "hidden"]


def staff_in(group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def actors(merchant):
    return {
        "support": staff_in("support"),
        "reviewer": staff_in("reviewer"),
        "finance": staff_in("finance"),
        "merchant": merchant,
        "buyer": "buyer:b1",
        "system": "system",
    }


def make_complaint(store, state: str) -> Complaint:
    complaint = Complaint.objects.create(store=store, buyer_ref="b1", category="other", content="发错货")
    force_status(complaint, state)
    return complaint


def test_complaint_transition_table(store):
    def resolution(c: Complaint):
        return Complaint.objects.filter(pk=c.pk).values_list("resolution", "handled_at").get()

    check_table(
        lambda s: make_complaint(store, s),
        {"uphold": ({"open"}, "upheld"), "dismiss": ({"open"}, "dismissed")},
        COMPLAINT_STATES,
        unchanged=resolution,
    )


def test_only_support_decides_a_complaint(store, actors):
    check_actions(make_complaint(store, "open"), {"open": {"support": {"uphold", "dismiss"}}}, actors, COMPLAINT_STATES)


def make_review(store) -> Review:
    order = make_order(store, status="completed")
    item = order.items.get()
    return Review.objects.create(
        store=store, order=order, item=item, product=item.sku.product, buyer_ref=order.buyer_ref,
        score_description=2, score_logistics=3, score_service=4, text="一般",
    )  # fmt: skip


def set_visibility(review: Review, state: str) -> Review:
    Review.objects.filter(pk=review.pk).update(visibility=state, hidden_reason="广告" if state == "hidden" else "")
    review.refresh_from_db()
    return review


def test_review_visibility_transition_table(store):
    def make(state: str) -> Review:
        return set_visibility(make_review(store), state)

    def words(r: Review):
        return Review.objects.filter(pk=r.pk).values_list("text", "score_description", "reply").get()

    check_table(
        make,
        {"hide": ({"visible"}, "hidden"), "unhide": ({"hidden"}, "visible")},
        VISIBILITY,
        field="visibility",
        unchanged=words,
    )


def test_only_support_moderates_a_review(store, actors):
    review = make_review(store)
    for state, want in (("visible", {"hide"}), ("hidden", {"unhide"})):
        set_visibility(review, state)
        for name, actor in actors.items():
            got = set(available_actions(review, actor))
            assert got == (want if name == "support" else set()), (state, name, got)
