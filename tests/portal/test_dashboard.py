"""Dashboard: to-do counts against the database, charts as SVG + table + CSV, constant queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from aftersales import dashboard as aftersales_dashboard
from portal import dashboard
from shipping import dashboard as shipping_dashboard
from shop import dashboard as shop_dashboard
from shop.models import Order
from tests.conftest import force_status
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = "2026-11-21 10:00:00+08:00"


def paid_order(store, *, ship_by, paid_amount=5990, paid_at=None):
    order = OrderFactory(store=store, paid_amount=paid_amount)
    force_status(order, "paid")
    Order.objects.filter(pk=order.pk).update(ship_by=ship_by, paid_at=paid_at or timezone.now())
    return order


def seed_orders(store, n: int = 1):
    now = timezone.now()
    for _ in range(n):
        paid_order(store, ship_by=now + timedelta(hours=30))  # plenty of time
        paid_order(store, ship_by=now + timedelta(hours=2))  # near (within 6 h)
        paid_order(store, ship_by=now - timedelta(hours=1))  # late
        OrderFactory(store=store)  # unpaid: not to ship


def counts(store):
    return {item.key: item.count for item in dashboard.todo(store)}


def test_order_counts_match_the_database(store, other_store, time_machine):
    time_machine.move_to(NOW, tick=False)
    seed_orders(store, 2)
    seed_orders(other_store, 1)
    result = counts(store)
    paid = Order.objects.filter(store=store, status="paid")
    now = timezone.now()
    assert result["orders_to_ship"] == paid.count() == 6
    assert (
        result["orders_near_ship_by"]
        == paid.filter(ship_by__gte=now, ship_by__lt=now + timedelta(hours=6)).count()
        == 2
    )
    assert result["orders_past_ship_by"] == paid.filter(ship_by__lt=now).count() == 2


def test_overdue_is_computed_from_the_clock(store, time_machine):
    time_machine.move_to(NOW, tick=False)
    seed_orders(store)
    time_machine.shift(timedelta(hours=3))  # the "near" one is now late, no sweep needed
    assert counts(store)["orders_past_ship_by"] == 2


def test_orders_per_day_fills_every_day_and_sums_sales(store, other_store, time_machine):
    time_machine.move_to(NOW, tick=False)
    now = timezone.now()
    paid_order(store, ship_by=now, paid_amount=1000, paid_at=now)
    paid_order(store, ship_by=now, paid_amount=2500, paid_at=now)
    paid_order(store, ship_by=now, paid_amount=700, paid_at=now - timedelta(days=2))
    paid_order(store, ship_by=now, paid_amount=999, paid_at=now - timedelta(days=8))  # outside 7 days
    paid_order(other_store, ship_by=now, paid_amount=5000, paid_at=now)
    chart = shop_dashboard.orders_per_day(store, 7)
    assert len(chart.rows) == 7
    assert chart.rows[-1] == ["2026-11-21", 2, "35.00"]
    assert chart.rows[-3] == ["2026-11-19", 1, "7.00"]
    assert sum(r[1] for r in chart.rows) == 3
    assert len(shop_dashboard.orders_per_day(store, 30).rows) == 30
    assert chart.svg.count('class="bar"') == 7


def test_funnel_counts_each_step(store, time_machine):
    time_machine.move_to(NOW, tick=False)
    seed_orders(store)
    shipped = OrderFactory(store=store)
    force_status(shipped, "completed")
    Order.objects.filter(pk=shipped.pk).update(paid_at=timezone.now(), shipped_at=timezone.now())
    rows = {row[0]: row[1] for row in shop_dashboard.order_funnel(store, 7).rows}
    assert (rows["下单"], rows["支付"], rows["发货"], rows["完成"]) == (5, 4, 1, 1)


def test_home_renders_the_todo_panel_and_svg_charts(merchant_client, store, time_machine):
    time_machine.move_to(NOW, tick=False)
    seed_orders(store)
    response = merchant_client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-todo="orders_past_ship_by"' in body
    assert body.count("<svg") == len(dashboard.CHARTS)
    fragment = merchant_client.get(reverse("home_todo")).content.decode()
    assert 'data-todo="orders_to_ship"' in fragment and 'data-count="3"' in fragment


def test_dashboard_queries_are_constant_whatever_the_volume(
    merchant_client, store, django_assert_max_num_queries, time_machine
):
    time_machine.move_to(NOW, tick=False)
    seed_orders(store, 1)
    merchant_client.get(reverse("home"))  # the first request also stores the current store in the session
    with django_assert_max_num_queries(25) as small:
        merchant_client.get(reverse("home"), {"days": 30})
    seed_orders(store, 15)
    with django_assert_max_num_queries(25) as large:
        merchant_client.get(reverse("home"), {"days": 30})
    assert len(small.captured_queries) == len(large.captured_queries)
    with django_assert_max_num_queries(25):
        merchant_client.get(reverse("data"), {"days": 90})


def test_data_page_has_every_chart_as_table_and_csv(merchant_client, store, time_machine):
    time_machine.move_to(NOW, tick=False)
    now = timezone.now()
    paid_order(store, ship_by=now, paid_amount=1234, paid_at=now)
    page = merchant_client.get(reverse("data"), {"days": 30})
    assert page.status_code == 200
    assert [c.key for c in page.context["charts"]] == list(dashboard.CHARTS)
    response = merchant_client.get(reverse("data_csv", args=["orders"]), {"days": 7})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "日期,支付订单数,销售额（元）"
    assert lines[-1] == "2026-11-21,1,12.34"
    assert merchant_client.get(reverse("data_csv", args=["nothing"])).status_code == 404


def test_another_stores_orders_never_show(merchant_client, store, other_store, time_machine):
    time_machine.move_to(NOW, tick=False)
    seed_orders(other_store, 3)
    response = merchant_client.get(reverse("home"))
    assert {item.key: item.count for item in response.context["todo"]}["orders_to_ship"] == 0
    csv_body = merchant_client.get(reverse("data_csv", args=["orders"])).content.decode("utf-8-sig")
    assert all(line.split(",")[1] == "0" for line in csv_body.splitlines()[1:])


def test_pages_need_a_login(client):
    for name in ("home", "data", "home_todo"):
        assert client.get(reverse(name)).status_code == 302


def test_staff_overview_on_the_admin_index(admin_client):
    from tests.factories import StoreFactory

    force_status(StoreFactory(), "submitted")
    force_status(StoreFactory(), "submitted")
    StoreFactory()
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="staff-overview"' in body
    items = {item.key: item for item in dashboard.staff_overview()}
    assert items["applications_awaiting_review"].count == 2
    assert 'data-overview="applications_awaiting_review"' in body
    for item in items.values():  # each count links to the admin list it counts
        assert f'data-count="{item.count}"' in body
        assert f'href="{escape(item.url)}"' in body


def test_deposit_shortfall_matches_the_deposit_ledger(merchant_client, store, django_capture_on_commit_callbacks):
    from shop.selectors.stores import required_deposit
    from shop.services.deposit import deposit_top_up

    required = required_deposit(store)
    assert counts(store)["deposit_shortfall"] == required
    with django_capture_on_commit_callbacks(execute=True):
        deposit_top_up(store=store, amount=required - 500, by="finance", ref="T1")
    assert counts(store)["deposit_shortfall"] == 500
    body = merchant_client.get(reverse("home")).content.decode()
    assert 'data-count="500"' in body and "¥5.00" in body
    with django_capture_on_commit_callbacks(execute=True):
        deposit_top_up(store=store, amount=500, by="finance", ref="T2")
    assert counts(store)["deposit_shortfall"] == 0


# Shipping, after-sales and evaluation counts, from their own models


def _aftersales_request(store, reason="quality", status="delivered"):
    from aftersales.services import aftersales_open
    from tests.aftersales.conftest import make_order

    order = make_order(store, status=status)
    return aftersales_open(
        order=order,
        item_id=order.items.get().pk,
        buyer_ref=order.buyer_ref,
        type="refund_only",
        reason=reason,
        amount=100,
        by="buyer",
    )


def test_shipping_counts_match_the_database(store, other_store, time_machine):
    from shipping.models import CourierMessage, Shipment
    from tests.shipping.conftest import book, paid_order

    time_machine.move_to(NOW, tick=False)
    book(store, [paid_order(store) for _ in range(4)])
    book(other_store, [paid_order(other_store)])
    first, second, third, _fourth = Shipment.objects.filter(store=store).order_by("pk")
    force_status(second, "confirmed")
    force_status(third, "picked_up")
    CourierMessage.objects.create(shipment=first, store=store, topic="pickup_delay", sender="merchant", body="还没来？")
    time_machine.shift(timedelta(hours=3))  # past the 2 h confirmation promise: no sweep needed

    result = counts(store)
    mine = Shipment.objects.filter(store=store)
    assert result["bookings_awaiting_accept"] == mine.filter(status="requested").count() == 2
    assert result["bookings_awaiting_pickup"] == mine.filter(status="confirmed").count() == 1
    assert result["bookings_overdue"] == 2  # both still awaiting acceptance after 3 h
    assert (
        result["courier_messages_unanswered"] == CourierMessage.objects.filter(store=store, sender="merchant").count()
    )
    time_machine.shift(timedelta(hours=24))
    assert counts(store)["bookings_overdue"] == 3  # the confirmed one missed its 24 h pickup


def test_aftersales_reviews_and_evaluation_counts(store, other_store, time_machine):
    from aftersales.models import AftersalesRequest, Review
    from shop.models import StoreEvaluation

    time_machine.move_to(NOW, tick=False)
    first = _aftersales_request(store)
    _aftersales_request(store, reason="damaged")
    _aftersales_request(other_store)
    order = first.order
    Review.objects.create(
        store=store, order=order, item=order.items.get(), product=order.items.get().sku.product, buyer_ref="b",
        score_description=2, score_logistics=3, score_service=2, text="一般",
    )  # fmt: skip
    StoreEvaluation.objects.create(store=store, day=timezone.localdate(), failing=["dsr_service", "aftersales_rate"])

    items = {item.key: item for item in dashboard.todo(store)}
    waiting = AftersalesRequest.objects.filter(store=store, status="requested")
    assert items["aftersales_awaiting_answer"].count == waiting.count() == 2
    assert "剩余" in items["aftersales_awaiting_answer"].detail
    assert items["reviews_unanswered"].count == 1
    assert items["evaluation_warnings"].count == 2
    assert "服务态度评分" in items["evaluation_warnings"].detail
    assert {i.key: i.count for i in dashboard.todo(other_store)}["reviews_unanswered"] == 0


def test_courier_aftersales_and_dsr_charts(store, time_machine):
    from aftersales.models import DsrSnapshot
    from shipping.models import Shipment
    from tests.shipping.conftest import book, paid_order

    time_machine.move_to(NOW, tick=False)
    now = timezone.now()
    book(store, [paid_order(store) for _ in range(2)], courier="ZTO")
    on_time, late = Shipment.objects.filter(store=store).order_by("pk")
    Shipment.objects.filter(pk=on_time.pk).update(
        confirmed_at=now + timedelta(hours=1),
        picked_up_at=now + timedelta(hours=5),
        delivered_at=now + timedelta(hours=53),
    )
    Shipment.objects.filter(pk=late.pk).update(confirmed_at=now + timedelta(hours=3))
    (row,) = shipping_dashboard.courier_performance(store, 7).rows
    # the late one's 24 h pickup window is still open: not a failure yet, so 1 of 1 decided pickups on time
    assert row[1:] == [2, "50.0", "100.0", "48.0"]

    _aftersales_request(store, reason="quality")
    _aftersales_request(store, reason="quality")
    _aftersales_request(store, reason="damaged")
    chart = aftersales_dashboard.aftersales_rate(store, 7)
    assert [r[:2] for r in chart.rows] == [["质量问题", 2], ["包装或商品破损", 1]]
    assert "3 个售后" in chart.note

    DsrSnapshot.objects.create(
        store=store, day=timezone.localdate(), description="4.80", logistics="4.50", service="4.90"
    )
    dsr = aftersales_dashboard.dsr_trend(store, 7)
    assert dsr.rows[-1][1:] == [Decimal("4.80"), Decimal("4.50"), Decimal("4.90")]
    assert dsr.svg.count("<polyline") == 3
    assert not dsr.empty
    assert aftersales_dashboard.dsr_trend(store, 7, now - timedelta(days=30)).empty


def test_staff_overview_counts_interventions_proposals_and_sla_breaches(admin_client, store, other_store):
    from shipping.models import Shipment
    from shop.models import SuspensionProposal
    from tests.shipping.conftest import book, paid_order

    force_status(_aftersales_request(store, status="delivered"), "in_intervention")
    SuspensionProposal.objects.create(store=other_store, reasons=["dsr_service"])
    book(store, [paid_order(store)])
    book(other_store, [paid_order(other_store), paid_order(other_store)])
    Shipment.objects.filter(store=other_store).update(confirm_overdue=True, pickup_overdue=True)
    items = {item.key: item.count for item in dashboard.staff_overview()}
    assert items["interventions_open"] == 1
    assert items["stores_proposed_for_suspension"] == 1
    assert (items["courier_confirm_breaches"], items["courier_pickup_breaches"]) == (2, 2)
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert 'data-overview="courier_pickup_breaches"' in body


@pytest.mark.parametrize(("role", "shown"), [("finance", True), ("reviewer", True), ("no_role", False)])
def test_deposit_refunds_waiting_for_finance_on_the_staff_overview(client, role, shown, time_machine):
    """Pending deposit refunds are counted for staff who can open the stores list; late ones (past the date the
    merchant was promised) are marked bad."""
    from datetime import date

    from shop.models import DepositRefundRequest
    from tests.factories import StoreFactory
    from tests.portal.test_staff_roles import login_as

    time_machine.move_to("2026-12-10 10:00:00+08:00", tick=False)
    for expected in (date(2026, 12, 9), date(2026, 12, 14)):
        store = StoreFactory()
        force_status(store, "closing")
        DepositRefundRequest.objects.create(store=store, amount=200000, expected_on=expected)
    item = {i.key: i for i in dashboard.staff_overview()}["deposit_refunds_awaiting_review"]
    assert (item.count, item.level) == (2, "bad") and "1" in item.detail
    login_as(client, role)
    body = client.get(reverse("admin:index")).content.decode()
    assert ('data-overview="deposit_refunds_awaiting_review"' in body) is shown
