"""The platform refund status (DOMAIN.md: 1 none or closed, 2 in after-sales, 3 refunding, 4 refunded) has one
owner, after-sales, and every path answers it the same: the service, the order resource and the order list."""

from __future__ import annotations

import pytest

from aftersales import services
from aftersales.selectors import refund_status_code
from shop.selectors.orders import order_list
from tests.aftersales.conftest import make_order

ADDRESS = "浙江省杭州市 退货仓 13800138000"


def api_codes(api, order) -> tuple[int, int]:
    detail = api.get(f"/api/v1/orders/{order.order_sn}/").json()["refund_status"]
    listed = {o["order_sn"]: o["refund_status"] for o in api.get("/api/v1/orders/").json()["results"]}
    return detail, listed[order.order_sn]


@pytest.fixture
def returned(store, merchant):
    """A completed order whose buyer returned the whole item (the return is on its way back)."""
    order = make_order(store, status="completed")
    item = order.items.get()
    req = services.aftersales_open(
        order=order, item_id=item.pk, buyer_ref=order.buyer_ref, type="return_refund", reason="quality",
        amount=item.paid_amount, by="buyer",
    )  # fmt: skip
    req = services.aftersales_approve(request=req, return_address=ADDRESS, by=merchant)
    req = services.aftersales_submit_return(
        request=req, buyer_ref=order.buyer_ref, courier_code="SF", waybill_no="SF1234567890123", by="buyer"
    )
    return order, req


def test_a_fully_refunded_return_on_a_completed_order_is_refunding_then_refunded(
    returned, merchant, api, django_capture_on_commit_callbacks
):
    # given a completed order in after-sales, its return on the way back
    order, req = returned
    assert refund_status_code(order) == 2 and api_codes(api, order) == (2, 2)
    # when the merchant receives the goods: the refund is recorded, the provider not called yet
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.aftersales_receive_return(request=req, note="完好", by=merchant)
    # then the order is refunding (3) everywhere
    assert refund_status_code(order) == 3
    assert api_codes(api, order) == (3, 3)
    assert order_list(store=order.store).get(pk=order.pk).refund_status == 3
    # when the provider's refund succeeds
    for callback in pending:
        callback()
    # then the order is refunded (4) everywhere, never "none"
    assert refund_status_code(order) == 4
    assert api_codes(api, order) == (4, 4)


def test_an_order_without_after_sales_is_none_and_a_withdrawn_request_is_closed(store, api):
    order = make_order(store, status="completed")
    assert refund_status_code(order) == 1 and api_codes(api, order) == (1, 1)
    item = order.items.get()
    req = services.aftersales_open(
        order=order, item_id=item.pk, buyer_ref=order.buyer_ref, type="refund_only", reason="quality", amount=100,
        by="buyer",
    )  # fmt: skip
    assert api_codes(api, order) == (2, 2)
    services.aftersales_cancel(request=req, buyer_ref=order.buyer_ref, by="buyer")
    assert refund_status_code(order) == 1 and api_codes(api, order) == (1, 1)


def test_an_order_cancelled_after_payment_is_refunding_then_refunded(
    store, merchant, api, django_capture_on_commit_callbacks
):
    from shop.services.orders import order_cancel

    order = make_order(store, status="paid")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        order_cancel(order=order, reason="缺货", by=merchant)
    assert refund_status_code(order) == 3 and api_codes(api, order) == (3, 3)
    for callback in pending:
        callback()
    assert refund_status_code(order) == 4 and api_codes(api, order) == (4, 4)
