"""限时折扣 per-product results (DOMAIN.md Promotions): all or nothing, or the SKUs that pass with a reason for
each refused one, on the page and in the API."""

import pytest
from django.urls import reverse

from shop.models import LimitedTimeDiscount
from shop.services.promotions import discount_activity_create
from tests.shop.test_promotions_pages import catalogue, span, window  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def busy_mug(store, mug, span):  # noqa: F811
    discount_activity_create(
        store=store, name="春季大促", items=[{"sku": mug, "kind": "permille", "permille": 900}], by="t", **span
    )


def test_partial_creates_the_skus_that_pass_and_names_each_refusal(store, catalogue, span):  # noqa: F811
    red, blue, mug = catalogue
    busy_mug(store, mug, span)
    items = [{"sku": s, "kind": "permille", "permille": 800} for s in (red, blue, mug)]
    result = discount_activity_create(store=store, name="夏季", items=items, partial=True, by="t", **span)
    assert [d.sku for d in result.made] == [red, blue]
    assert [(r.sku, r.code) for r in result.refused] == [(mug, "discount_overlap")]
    assert "马克杯" in result.refused[0].label and "春季大促" in result.refused[0].label
    assert LimitedTimeDiscount.objects.filter(name="夏季").count() == 2


def test_partial_with_nothing_left_still_refuses(store, catalogue, span):  # noqa: F811
    from portal.exceptions import Conflict

    _red, _blue, mug = catalogue
    busy_mug(store, mug, span)
    with pytest.raises(Conflict):
        discount_activity_create(
            store=store, name="夏季", items=[{"sku": mug, "kind": "permille", "permille": 800}], partial=True,
            by="t", **span,
        )  # fmt: skip
    assert not LimitedTimeDiscount.objects.filter(name="夏季").exists()


def test_the_page_skips_refused_skus_when_asked_and_says_which(merchant_client, store, catalogue, window, span):  # noqa: F811
    red, blue, mug = catalogue
    busy_mug(store, mug, span)
    data = {"name": "夏季", "kind": "permille", "zhe": "8", "skus": [red.pk, blue.pk, mug.pk], **window}
    refused = merchant_client.post(reverse("shop:discount_create"), data)
    assert refused.status_code == 400 and not LimitedTimeDiscount.objects.filter(name="夏季").exists()
    assert "跳过不能参加的规格" in refused.content.decode()
    made = merchant_client.post(reverse("shop:discount_create"), {**data, "partial": "on"}, follow=True)
    page = made.content.decode()
    assert LimitedTimeDiscount.objects.filter(name="夏季").count() == 2
    assert "共 2 个 SKU" in page and "未参加：马克杯" in page


def test_the_api_answers_a_result_per_sku(api, store, catalogue, span):  # noqa: F811
    red, blue, mug = catalogue
    busy_mug(store, mug, span)
    body = {
        "name": "夏季", "starts_at": span["starts_at"].isoformat(), "ends_at": span["ends_at"].isoformat(),
        "items": [{"sku_id": s.pk, "kind": "permille", "permille": 800} for s in (red, blue, mug)],
    }  # fmt: skip
    url = reverse("api-promotion-discount-activities")
    strict = api.post(url, body, format="json")
    assert strict.status_code == 409 and strict.json()["error"]["code"] == "discount_overlap"
    assert not LimitedTimeDiscount.objects.filter(name="夏季").exists()
    partial = api.post(url, {**body, "partial": True}, format="json")
    assert partial.status_code == 201, partial.json()
    answer = partial.json()
    assert [d["sku"] for d in answer["created"]] == [red.pk, blue.pk] and answer["activity"]
    assert answer["refused"] == [
        {
            "sku_id": mug.pk,
            "product_id": mug.product_id,
            "code": "discount_overlap",
            "message": answer["refused"][0]["message"],
        }
    ]
    assert "春季大促" in answer["refused"][0]["message"]
    other = api.post(url, {**body, "items": [{"sku_id": 999999, "kind": "permille", "permille": 800}]}, format="json")
    assert other.status_code == 400 and other.json()["error"]["code"] == "unknown_sku"
