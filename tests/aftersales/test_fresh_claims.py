"""坏果包赔 and 缺重包退 (fresh produce): claims the goods promised, with photos, within the window after receipt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import AftersalesRequest
from portal.exceptions import ValidationFailed
from tests.aftersales.conftest import make_order
from tests.aftersales.test_services_requests import open_req, png

pytestmark = pytest.mark.django_db


def test_a_bad_fruit_claim_with_photos_opens_within_the_window(store):
    order = make_order(store, bad_fruit_claim=True)
    req = open_req(order, reason="bad_fruit", amount=1500, photos=[png()])
    assert (req.reason, req.type, req.amount) == ("bad_fruit", "refund_only", 1500)
    assert req.get_reason_display() == "坏果包赔"


def test_a_claim_needs_photos(store):
    order = make_order(store, short_weight_claim=True)
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, reason="short_weight", amount=500)
    assert exc.value.code == "photos_required"
    assert not AftersalesRequest.objects.exists()


@pytest.mark.parametrize("reason", ["bad_fruit", "short_weight"])
def test_an_order_without_the_promise_cannot_claim(store, reason):
    order = make_order(store)
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, reason=reason, amount=500, photos=[png()])
    assert exc.value.code == "fresh_claim_not_allowed" and "reason" in exc.value.fields
    assert not AftersalesRequest.objects.exists()


def test_the_window_closes_after_receipt_and_is_a_setting(store, settings):
    order = make_order(store, bad_fruit_claim=True)
    order.delivered_at = timezone.now() - timedelta(hours=49)
    order.save(update_fields=["delivered_at"])
    with pytest.raises(ValidationFailed) as exc:
        open_req(order, reason="bad_fruit", amount=500, photos=[png()])
    assert "48" in exc.value.message
    settings.PORTAL_TIME_RULES = {**settings.PORTAL_TIME_RULES, "fresh_claim": timedelta(hours=72)}
    assert open_req(order, reason="bad_fruit", amount=500, photos=[png()]).reason == "bad_fruit"


def test_an_unsigned_order_cannot_claim_yet(store):
    order = make_order(store, status="shipped", bad_fruit_claim=True)
    with pytest.raises(ValidationFailed):
        open_req(order, reason="bad_fruit", amount=500, photos=[png()])
