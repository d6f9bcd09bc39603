"""Review rules: once per item, window, follow-up once, reply once each, moderation, default rating, ratings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import services
from aftersales.models import Review
from aftersales.selectors import product_rating, review_list, unanswered_reviews_count
from portal.exceptions import Conflict, DomainError, IllegalTransition, PermissionDenied, ValidationFailed
from portal.models import AuditEntry, Event
from tests.aftersales.conftest import make_order
from tests.aftersales.test_services_requests import png

pytestmark = pytest.mark.django_db


def review(order, item=None, scores=(5, 4, 3), **kw):
    item = item or order.items.first()
    desc, logi, serv = scores
    return services.review_create(
        order=order,
        item_id=item.pk,
        buyer_ref=order.buyer_ref,
        score_description=desc,
        score_logistics=logi,
        score_service=serv,
        by="b",
        **kw,
    )


def test_review_once_per_item_with_photos(store, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = review(order, text="很好", photos=[png()], anonymous=True)
    assert r.has_photos and r.photos.count() == 1 and r.buyer_display == "匿名买家"
    assert Event.objects.filter(type="review.received", store=store).exists()
    with pytest.raises(Conflict):
        review(order)
    assert Review.objects.count() == 1


@pytest.mark.parametrize("status", ["paid", "shipped", "cancelled"])
def test_review_only_after_receipt(store, status):
    with pytest.raises(DomainError) as exc:
        review(make_order(store, status=status))
    assert exc.value.code == "not_received"


def test_review_window(store, time_machine):
    order = make_order(store, status="completed")
    time_machine.move_to(timezone.now() + timedelta(days=90, seconds=1))
    with pytest.raises(DomainError) as exc:
        review(order)
    assert exc.value.code == "review_window_passed"


@pytest.mark.parametrize("scores", [(0, 5, 5), (5, 6, 5), (5, 5, -1)])
def test_scores_between_one_and_five(order, scores):
    with pytest.raises(ValidationFailed):
        review(order, scores=scores)


def test_buyer_must_own_order(order):
    with pytest.raises(PermissionDenied):
        services.review_create(
            order=order,
            item_id=order.items.get().pk,
            buyer_ref="x",
            score_description=5,
            score_logistics=5,
            score_service=5,
            by="x",
        )


def test_followup_once_and_within_window(order, time_machine):
    r = review(order)
    with pytest.raises(ValidationFailed):
        services.review_followup(review=r, buyer_ref=order.buyer_ref, text=" ", by="b")
    r = services.review_followup(review=r, buyer_ref=order.buyer_ref, text="用了一个月还不错", photos=[png()], by="b")
    assert r.followup_at and r.photos.filter(followup=True).count() == 1
    with pytest.raises(Conflict):
        services.review_followup(review=r, buyer_ref=order.buyer_ref, text="再追", by="b")
    other = review(make_order(order.store))
    time_machine.move_to(timezone.now() + timedelta(days=181))
    with pytest.raises(DomainError) as exc:
        services.review_followup(review=other, buyer_ref=other.buyer_ref, text="晚了", by="b")
    assert exc.value.code == "followup_window_passed"


def test_merchant_replies_once_to_review_and_once_to_followup(store, order, merchant, other_store):
    r = review(order)
    assert unanswered_reviews_count(store) == 1
    with pytest.raises(PermissionDenied):
        services.review_reply(review=r, store=other_store, text="hi", by=merchant)
    r = services.review_reply(review=r, store=store, text="感谢支持", by=merchant)
    assert r.reply == "感谢支持" and unanswered_reviews_count(store) == 0
    with pytest.raises(Conflict):
        services.review_reply(review=r, store=store, text="again", by=merchant)
    services.review_followup(review=r, buyer_ref=order.buyer_ref, text="追评", by="b")
    assert unanswered_reviews_count(store) == 1
    r = services.review_reply(review=r, store=store, text="再次感谢", by=merchant)
    assert r.followup_reply == "再次感谢" and r.reply == "感谢支持"
    with pytest.raises(Conflict):
        services.review_reply(review=r, store=store, text="third", by=merchant)


def test_staff_hide_with_reason_keeps_the_words(order, staff_user):
    r = review(order, text="骂人的话")
    with pytest.raises(ValidationFailed):
        services.review_hide(review=r, reason="", by=staff_user)
    r = services.review_hide(review=r, reason="辱骂内容", by=staff_user)
    assert r.visibility == "hidden" and r.hidden_reason == "辱骂内容" and r.text == "骂人的话"
    assert AuditEntry.objects.filter(transition="hide", reason="辱骂内容").exists()
    with pytest.raises(IllegalTransition):
        services.review_hide(review=r, reason="again", by=staff_user)
    r = services.review_unhide(review=r, by=staff_user)
    assert r.visibility == "visible"


def test_product_rating_counts_visible_reviews(store, staff_user):
    order = make_order(store, prices=(100, 100))
    first, second = order.items.all()
    second.sku = first.sku
    second.save()
    review(order, first, scores=(5, 5, 4))
    hidden = review(order, second, scores=(1, 1, 1))
    services.review_hide(review=hidden, reason="spam", by=staff_user)
    rating = product_rating(first.sku.product_id)
    assert rating == {"average": Decimal("4.67"), "count": 1}


def test_review_filters(store):
    good = review(make_order(store), scores=(5, 5, 5), photos=[png()])
    bad = review(make_order(store), scores=(1, 2, 2))
    medium = review(make_order(store), scores=(3, 3, 4))
    assert list(review_list(store=store, score="good")) == [good]
    assert list(review_list(store=store, score="bad")) == [bad]
    assert list(review_list(store=store, score="medium")) == [medium]
    assert list(review_list(store=store, photos=True)) == [good]
    assert set(review_list(store=store, unanswered=True)) == {good, bad, medium}
