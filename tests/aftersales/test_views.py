"""Merchant pages: lists with tabs and countdowns, detail actions, review replies, evaluation; isolation."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.models import AftersalesStatus as S
from tests.aftersales.conftest import make_order
from tests.aftersales.test_reviews import review
from tests.aftersales.test_services_requests import open_req

pytestmark = pytest.mark.django_db


def test_list_tabs_counts_and_countdown(merchant_client, order):
    req = open_req(order)
    response = merchant_client.get(reverse("aftersales:request_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert req.request_sn in html and 'class="countdown' in html and "待处理" in html
    done = merchant_client.get(reverse("aftersales:request_list"), {"tab": "done"}).content.decode()
    assert req.request_sn not in done
    assert (
        merchant_client.get(reverse("aftersales:request_list"), {"tab": "bogus", "q": order.order_sn}).status_code
        == 200
    )


@pytest.mark.parametrize("size", [1, 6])
def test_list_query_count_is_constant(merchant_client, store, size, django_assert_max_num_queries):
    for _ in range(size):
        open_req(make_order(store))
    with django_assert_max_num_queries(10):
        assert merchant_client.get(reverse("aftersales:request_list"), {"tab": "all"}).status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_review_list_query_count_is_constant(merchant_client, store, size, django_assert_max_num_queries):
    for _ in range(size):
        review(make_order(store))
    with django_assert_max_num_queries(12):
        assert merchant_client.get(reverse("aftersales:review_list")).status_code == 200


def test_other_stores_request_is_404(merchant_client, other_store):
    req = open_req(make_order(other_store))
    url = reverse("aftersales:request_detail", args=[req.pk])
    assert merchant_client.get(url).status_code == 404
    assert merchant_client.post(url, {"action": "approve"}).status_code == 404
    assert (
        req.request_sn not in merchant_client.get(reverse("aftersales:request_list"), {"tab": "all"}).content.decode()
    )


def test_other_stores_review_reply_is_404(merchant_client, other_store):
    r = review(make_order(other_store))
    assert merchant_client.post(reverse("aftersales:review_reply", args=[r.pk]), {"text": "x"}).status_code == 404


def test_detail_approve_return_requires_address_then_succeeds(merchant_client, order):
    req = open_req(order, type="return_refund", amount=100)
    url = reverse("aftersales:request_detail", args=[req.pk])
    page = merchant_client.get(url)
    assert page.status_code == 200 and 'data-action="approve"' in page.content.decode()
    response = merchant_client.post(url, {"action": "approve", "return_address": ""})
    assert response.status_code == 400
    assert 'data-field="return_address"' in response.content.decode()
    response = merchant_client.post(url, {"action": "approve", "return_address": "杭州 退货仓"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.AWAITING_RETURN
    page = merchant_client.get(url).content.decode()
    assert 'data-testid="timeline"' in page and "提供退货地址，等待买家退货" in page


def test_detail_action_not_allowed_in_state(merchant_client, order, merchant):
    req = services.aftersales_reject(request=open_req(order), reason="no", by=merchant)
    response = merchant_client.post(reverse("aftersales:request_detail", args=[req.pk]), {"action": "approve"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.REJECTED


def test_detail_bad_waybill_shows_field_error(merchant_client, order, merchant):
    req = services.aftersales_approve(request=open_req(order, type="resend", reason="missing_parts"), by=merchant)
    url = reverse("aftersales:request_detail", args=[req.pk])
    response = merchant_client.post(url, {"action": "ship", "courier_code": "SF", "waybill_no": "bad"})
    assert response.status_code == 400 and 'data-field="waybill_no"' in response.content.decode()


def test_reply_with_htmx_returns_the_fragment(merchant_client, order):
    r = review(order, text="不错")
    url = reverse("aftersales:review_reply", args=[r.pk])
    response = merchant_client.post(url, {"text": "谢谢"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="reply"' in html and "谢谢" in html and "reply-box" not in html
    again = merchant_client.post(url, {"text": "again"}, HTTP_HX_REQUEST="true")
    assert "已回复过" in again.content.decode()
    r.refresh_from_db()
    assert r.reply == "谢谢"


def test_review_list_filters(merchant_client, store):
    review(make_order(store), scores=(1, 1, 1), text="很差")
    review(make_order(store), scores=(5, 5, 5), text="很好")
    html = merchant_client.get(reverse("aftersales:review_list"), {"score": "bad"}).content.decode()
    assert "很差" in html and "很好" not in html


def test_evaluation_page(merchant_client, store):
    from shop.services.evaluation import evaluation_run

    review(make_order(store), scores=(3, 5, 5))
    evaluation_run()
    html = merchant_client.get(reverse("shop:evaluation")).content.decode()
    assert 'data-metric="dsr_description"' in html and "metric fail" in html and 'data-testid="warning"' in html


def test_pages_need_login(client):
    assert client.get(reverse("aftersales:request_list")).status_code == 302
    assert client.get(reverse("shop:evaluation")).status_code == 302


def test_fragments_for_other_pages(store, order):
    from django.template import Context, Template

    req = open_req(order)
    review(order, scores=(5, 4, 3))
    html = Template("{% load aftersales_tags %}{% order_aftersales order %}|{% product_rating_badge pid %}").render(
        Context({"order": order, "pid": order.items.get().sku.product_id})
    )
    assert req.request_sn in html and "★ 4.00" in html


def test_reject_with_evidence_photo_from_the_page(merchant_client, order):
    from tests.aftersales.test_services_requests import png

    req = open_req(order)
    url = reverse("aftersales:request_detail", args=[req.pk])
    response = merchant_client.post(
        url, {"action": "reject", "reason": "商品完好", "photos": [png("a.png"), png("b.png")]}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.REJECTED and req.evidence.filter(side="merchant").count() == 2
    assert "<img" in merchant_client.get(url).content.decode()


def test_approve_and_reject_answer_distinct_messages(merchant_client, store):
    approved = open_req(make_order(store), type="return_refund", amount=100)
    url = reverse("aftersales:request_detail", args=[approved.pk])
    html = merchant_client.post(url, {"action": "approve", "return_address": "杭州 退货仓"}, follow=True).content
    assert "已同意退货，等待买家寄回商品。" in html.decode() and "操作成功" not in html.decode()
    rejected = open_req(make_order(store))
    url = reverse("aftersales:request_detail", args=[rejected.pk])
    html = merchant_client.post(url, {"action": "reject", "reason": "不符合"}, follow=True).content.decode()
    assert "已拒绝申请" in html and "操作成功" not in html


def test_full_refund_asks_for_confirmation(merchant_client, order):
    req = open_req(order, amount=1000)
    url = reverse("aftersales:request_detail", args=[req.pk])
    assert "确认全额退款 10.00 元" in merchant_client.get(url).content.decode()
    response = merchant_client.post(url, {"action": "approve"})
    assert response.status_code == 400 and 'data-field="confirm_refund"' in response.content.decode()
    req.refresh_from_db()
    assert req.status == S.REQUESTED and req.refunded_amount == 0
    html = merchant_client.post(url, {"action": "approve", "confirm_refund": "on"}, follow=True).content.decode()
    req.refresh_from_db()
    assert req.status == S.REFUNDED and "已同意退款，10.00 元将在 3–5 个工作日内原路退回买家" in html


def test_list_has_prev_next_and_page_size(merchant_client, store):
    for _ in range(3):
        open_req(make_order(store))
    response = merchant_client.get(reverse("aftersales:request_list"), {"tab": "all", "size": 50})
    html = response.content.decode()
    assert response.context["page"].paginator.per_page == 50
    assert "上一页" in html and "下一页" in html and 'data-testid="page-size-20"' in html
    assert merchant_client.get(reverse("aftersales:request_list"), {"size": 7}).context["page"].paginator.per_page == 20


def test_reply_to_the_review_with_a_followup_saves_only_there(merchant_client, order):
    r = review(order, text="不错")
    services.review_followup(review=r, buyer_ref=order.buyer_ref, text="用了一周", by="b")
    url = reverse("aftersales:review_reply", args=[r.pk])
    response = merchant_client.post(url, {"text": "谢谢追评", "part": "followup"}, HTTP_HX_REQUEST="true")
    r.refresh_from_db()
    assert r.followup_reply == "谢谢追评" and r.reply == "" and r.replied_at is None
    html = response.content.decode()
    assert 'data-part="review"' in html and 'data-part="followup"' not in html


def test_reply_updates_the_unanswered_counter_in_place(merchant_client, order, store):
    r = review(order, text="不错")
    review(make_order(store), text="还行")
    page = merchant_client.get(reverse("aftersales:review_list")).content.decode()
    assert 'id="unanswered-count" data-testid="unanswered-count">2<' in page
    response = merchant_client.post(
        reverse("aftersales:review_reply", args=[r.pk]), {"text": "谢谢", "part": "review"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="unanswered-count" data-testid="unanswered-count" hx-swap-oob="true">1<' in response.content.decode()


def test_failed_inspection_needs_no_refund_confirmation(merchant_client, order, merchant):
    req = services.aftersales_approve(
        request=open_req(order, type="return_refund", amount=100), return_address="杭州 退货仓", by=merchant
    )
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="SF1234567890123", by="buyer"
    )
    url = reverse("aftersales:request_detail", args=[req.pk])
    assert "确认全额退款 1.00 元" in merchant_client.get(url).content.decode()
    response = merchant_client.post(
        url, {"action": "receive", "inspection_failed": "on", "note": "少了配件"}, follow=True
    )
    req.refresh_from_db()
    assert req.status == S.REJECTED and req.refunded_amount == 0
    assert "验货不通过，已拒绝退款。" in response.content.decode()
