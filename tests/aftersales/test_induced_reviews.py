"""Inducing reviews is forbidden (DOMAIN.md Reviews): refused in replies, reported from buyers' words to support."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.models import Complaint
from aftersales.services.inducement import inducement_phrase
from portal.exceptions import ValidationFailed
from tests.aftersales.test_reviews import review
from tests.shop.store_helpers import staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("收到货，里面有张卡片说好评返现 3 元", "好评返现"),
        ("五星好评送红包", "五星好评送"),
        ("商家打电话让我删差评，给我补偿", "删差评，给我补偿"),
        ("物流很快，包装完好，好评！", ""),
        ("不好，已经申请退款", ""),
    ],
)
def test_the_phrases_that_offer_something_for_a_good_review(text, found):
    assert inducement_phrase(text) == found


def test_a_reply_that_induces_is_refused_and_nothing_is_saved(store, order):
    r = review(order, text="还行")
    with pytest.raises(ValidationFailed) as exc:
        services.review_reply(review=r, store=store, text="亲，追评晒图返现 5 元哦", by="merchant")
    assert exc.value.code == "induced_review" and "text" in exc.value.fields
    r.refresh_from_db()
    assert r.reply == "" and r.replied_at is None


def test_a_buyer_who_mentions_cash_back_opens_one_complaint_for_support(store, order, client):
    r = review(order, text="包裹里有好评返现卡，写好评返 2 元")
    services.review_followup(review=r, buyer_ref=order.buyer_ref, text="返现还没到账", by="b")
    complaint = Complaint.objects.get()  # one per order, though both texts mention it
    assert (complaint.store, complaint.order, complaint.category, complaint.status) == (
        store, order, "induced_review", "open",
    )  # fmt: skip
    assert "好评返现" in complaint.content
    client.force_login(staff("support", "support_desk"))
    queue = client.get(reverse("admin:aftersales_complaint_changelist"), {"status__exact": "open"})
    assert queue.status_code == 200 and "诱导好评" in queue.content.decode()


def test_an_ordinary_review_opens_no_complaint(order):
    review(order, text="物流很快，包装完好，好评！")
    assert not Complaint.objects.exists()


def test_the_phrases_are_a_setting(order, settings):
    settings.REVIEW_INDUCEMENT_PATTERNS = [r"加微信领红包"]
    review(order, text="好评返现")  # no longer a pattern
    assert not Complaint.objects.exists()
    assert inducement_phrase("加微信领红包") == "加微信领红包"
