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
