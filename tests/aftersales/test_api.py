"""After-sales and review API: buyer and merchant operations, idempotency, scopes, errors, isolation."""

import pytest
from django.urls import reverse

from aftersales.models import AftersalesRequest, Review
from aftersales.models import AftersalesStatus as S
from aftersales.models import PlatformStatus as P
from tests.aftersales.conftest import make_order
from tests.aftersales.test_reviews import review
from tests.aftersales.test_services_requests import open_req, png
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def act(sn: str, action: str) -> str:
    return reverse(f"api-aftersales-{action}", args=[sn])


def open_body(order, **kw):
    return {
        "order_sn": order.order_sn,
        "item_id": order.items.first().pk,
        "buyer_ref": order.buyer_ref,
        "type": "return_refund",
        "reason": "quality",
        "amount": 5990,
        "description": "有划痕",
        **kw,
    }


def test_buyer_opens_with_photos_and_merchant_runs_the_return(api, order, django_capture_on_commit_callbacks, storefront):
    body = open_body(order, photos=[png("a.png"), png("b.png")])
    response = storefront.post(reverse("api-aftersales-open"), body, format="multipart", HTTP_IDEMPOTENCY_KEY="open-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "requested" and data["platform_status"] == P.AWAITING_MERCHANT_RETURN
    assert len(data["evidence"]) == 2
    sn = data["request_sn"]
    replay = storefront.post(
        reverse("api-aftersales-open"),
        body | {"photos": [png("a.png"), png("b.png")]},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="open-1",
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert AftersalesRequest.objects.count() == 1

    r = api.post(act(sn, "approve"), {"return_address": "杭州 退货仓"}, format="json")
    assert r.status_code == 200 and r.json()["platform_status"] == P.AWAITING_BUYER_RETURN
    r = storefront.post(
        act(sn, "return-waybill"),
        {"buyer_ref": order.buyer_ref, "courier_code": "SF", "waybill_no": "bad"},
        format="json",
    )
    assert r.status_code == 400 and "waybill_no" in r.json()["error"]["fields"]
    r = storefront.post(
        act(sn, "return-waybill"),
        {"buyer_ref": order.buyer_ref, "courier_code": "SF", "waybill_no": "SF1234567890123"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["platform_status"] == P.BUYER_RETURNED
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(act(sn, "receive"), {"note": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "refunded"
    detail = api.get(act(sn, "detail")).json()
    assert detail["platform_status"] == P.REFUNDED and detail["refund_status"] == "succeeded"


def test_update_cancel_and_escalate(api, order, storefront):
    sn = open_req(order, amount=1000).request_sn
    r = storefront.post(act(sn, "update"), {"buyer_ref": order.buyer_ref, "amount": 2000}, format="json")
    assert r.status_code == 200 and r.json()["amount"] == 2000
    r = storefront.post(act(sn, "update"), {"buyer_ref": order.buyer_ref, "amount": 99999}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "refund_exceeds_paid"
    r = api.post(act(sn, "reject"), {"reason": "不同意"}, format="json")
    assert r.status_code == 200 and r.json()["platform_status"] == P.MERCHANT_REJECTED
    r = storefront.post(act(sn, "escalate"), {"buyer_ref": "stranger", "reason": "x"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "buyer_mismatch"
    r = storefront.post(act(sn, "escalate"), {"buyer_ref": order.buyer_ref, "reason": "不合理"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == S.IN_INTERVENTION
    r = storefront.post(act(sn, "cancel"), {"buyer_ref": order.buyer_ref}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    sn2 = open_req(make_order(order.store), amount=10).request_sn
    req2 = AftersalesRequest.objects.get(request_sn=sn2)
    r = storefront.post(act(sn2, "cancel"), {"buyer_ref": req2.buyer_ref}, format="json")
    assert r.status_code == 200 and r.json()["platform_status"] == P.BUYER_WITHDREW


def test_resend_ship_and_return_address(api, order, merchant):
    from aftersales import services

    sn = open_req(order, type="resend", reason="missing_parts").request_sn
    api.post(act(sn, "approve"), {}, format="json")
    r = api.post(act(sn, "ship"), {"courier_code": "YTO", "waybill_no": "YT1234567890123"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "resent"
    req = open_req(make_order(order.store), type="exchange", reason="wrong_item")
    req = services.aftersales_approve(request=req, return_address="A", by=merchant)
    r = api.post(act(req.request_sn, "return-address"), {"return_address": "B"}, format="json")
    assert r.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"type": "nope"},
        {"reason": "nope"},
        {"amount": -1},
        {"item_id": 0},
        {"buyer_ref": ""},
        {"amount": "abc"},
    ],
)
def test_open_bad_input_is_400_with_error_body(order, body, storefront):
    r = storefront.post(reverse("api-aftersales-open"), open_body(order, **body), format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "validation_failed" and r.json()["error"]["fields"]


def test_open_bad_photo_is_400(order, storefront):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = storefront.post(
        reverse("api-aftersales-open"),
        open_body(order, photos=[SimpleUploadedFile("x.png", b"xx")]),
        format="multipart",
    )
    assert r.status_code == 400 and "photos" in r.json()["error"]["fields"]


def test_other_stores_objects_are_404(api, other_store, store, storefront):
    other_order = make_order(other_store)
    sn = open_req(other_order).request_sn
    assert api.get(act(sn, "detail")).status_code == 404
    assert api.post(act(sn, "approve"), {}, format="json").status_code == 404
    assert storefront.post(reverse("api-aftersales-open"), open_body(other_order), format="json").status_code == 404
    r = review(make_order(other_store))
    assert api.post(reverse("api-review-reply", args=[r.pk]), {"text": "x"}, format="json").status_code == 404
    assert (
        storefront.post(
            reverse("api-review-followup", args=[r.pk]), {"buyer_ref": r.buyer_ref, "text": "x"}, format="json"
        ).status_code
        == 404
    )
    assert api.get(reverse("api-aftersales-list")).json()["results"] == []
    assert api.get(reverse("api-review-list")).json()["results"] == []


def test_scope_is_required(store, order):
    client = api_client_for(store, scopes=["orders:read"])
    assert client.get(reverse("api-aftersales-list")).status_code == 403
    assert client.post(reverse("api-aftersales-open"), open_body(order), format="json").status_code == 403


@pytest.mark.parametrize("size", [1, 5])
def test_lists_use_constant_queries(api, store, size, django_assert_max_num_queries):
    for _ in range(size):
        order = make_order(store)
        open_req(order, photos=[png()])
        review(order, photos=[png()])
    with django_assert_max_num_queries(6):
        r = api.get(reverse("api-aftersales-list"))
    assert len(r.json()["results"]) == size
    with django_assert_max_num_queries(6):
        r = api.get(reverse("api-review-list"), {"unanswered": "1"})
    assert len(r.json()["results"]) == size


def test_reviews_through_the_api(api, order, storefront):
    body = {
        "order_sn": order.order_sn,
        "item_id": order.items.get().pk,
        "buyer_ref": order.buyer_ref,
        "score_description": 5,
        "score_logistics": 4,
        "score_service": 5,
        "text": "好",
        "anonymous": True,
    }
    r = storefront.post(reverse("api-review-create"), body, format="json", HTTP_IDEMPOTENCY_KEY="rv-1")
    assert r.status_code == 201 and r.json()["buyer"] == "匿名买家"
    assert storefront.post(reverse("api-review-create"), body, format="json", HTTP_IDEMPOTENCY_KEY="rv-1").status_code == 201
    assert storefront.post(reverse("api-review-create"), body, format="json").status_code == 409
    assert storefront.post(reverse("api-review-create"), body | {"score_service": 6}, format="json").status_code == 400
    pk = r.json()["id"]
    r = api.post(reverse("api-review-reply", args=[pk]), {"text": "谢谢"}, format="json")
    assert r.status_code == 200 and r.json()["reply"] == "谢谢"
    assert api.post(reverse("api-review-reply", args=[pk]), {"text": "again"}, format="json").status_code == 409
    r = storefront.post(
        reverse("api-review-followup", args=[pk]), {"buyer_ref": order.buyer_ref, "text": "追评"}, format="json"
    )
    assert r.status_code == 200 and r.json()["followup_text"] == "追评"
    assert Review.objects.count() == 1


def test_schema_generates(client):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/v1/aftersales/requests/open/" in response.content


def test_buyer_files_a_complaint(order, other_store, storefront):
    body = {"buyer_ref": order.buyer_ref, "order_sn": order.order_sn, "category": "attitude", "content": "态度差"}
    r = storefront.post(reverse("api-complaint-file"), body, format="json", HTTP_IDEMPOTENCY_KEY="cp-1")
    assert r.status_code == 201 and r.json()["status"] == "open"
    assert storefront.post(reverse("api-complaint-file"), body | {"buyer_ref": "x"}, format="json").status_code == 403
    assert storefront.post(reverse("api-complaint-file"), body | {"category": "nope"}, format="json").status_code == 400
    other = make_order(other_store)
    assert (
        storefront.post(reverse("api-complaint-file"), body | {"order_sn": other.order_sn}, format="json").status_code == 404
    )
