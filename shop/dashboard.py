"""Shop's contributions to the dashboard (portal.dashboard): order and deposit to-do cards, the orders and
funnel charts, and the staff overview's store applications and suspension proposals."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dashboard
from portal.charts import Chart, bars_and_line, hbars
from portal.dashboard import ChecklistStep, TodoItem, admin_link, link, period_days
from shop.models import (
    CouponBatch,
    CouponSource,
    DepositRefundRequest,
    LimitedTimeDiscount,
    Order,
    Product,
    ProductImage,
    ProposalStatus,
    SpendAndSave,
    Store,
    StoreEvaluation,
    SuspensionProposal,
)
from shop.models.catalog import ProductStatus
from shop.models.evaluation import Metric
from shop.models.orders import OrderStatus
from shop.models.stores import DepositRefundStatus
from shop.selectors.orders import paid_between
from shop.selectors.stores import deposit_summary


@dashboard.todo_source(order=10)
def orders_todo(store: Store, now: datetime) -> list[TodoItem]:
    near = settings.PORTAL_TIME_RULES["ship_by_near"]
    counts = Order.objects.filter(store=store, status=OrderStatus.PAID).aggregate(
        to_ship=Count("id"),
        near=Count("id", filter=Q(ship_by__gte=now, ship_by__lt=now + near)),
        late=Count("id", filter=Q(ship_by__lt=now)),
    )
    url = link("shop:order_list", f"tab={OrderStatus.PAID}")
    late_url = link("shop:order_list", f"tab={OrderStatus.PAID}&overdue=on")
    return [
        TodoItem("orders_to_ship", _("待发货订单"), counts["to_ship"], url),
        TodoItem("orders_near_ship_by", _("即将超过发货时限"), counts["near"], url, "warn" if counts["near"] else ""),
        TodoItem("orders_past_ship_by", _("已超过发货时限"), counts["late"], late_url, "bad" if counts["late"] else ""),
    ]


@dashboard.todo_source(order=40)
def deposit_todo(store: Store, now: datetime) -> list[TodoItem]:
    """The deposit's shortfall against the required amount (fen; 0 when covered)."""
    summary = deposit_summary(store)
    return [
        TodoItem(
            "deposit_shortfall",
            _("保证金待补缴"),
            summary.shortfall,
            link("shop:deposit_ledger"),
            "bad" if summary.shortfall else "",
            money=True,
        )
    ]


@dashboard.todo_source(order=50)
def evaluation_todo(store: Store, now: datetime) -> list[TodoItem]:
    """The rules the store failed at its latest evaluation."""
    latest = StoreEvaluation.objects.filter(store=store).order_by("-day").first()
    failing = latest.failing if latest is not None else []
    return [
        TodoItem(
            "evaluation_warnings",
            _("店铺评估预警"),
            len(failing),
            link("shop:evaluation"),
            "bad" if failing else "",
            "、".join(str(dict(Metric.choices).get(f, f)) for f in failing),
        )
    ]


@dashboard.chart("orders", order=10)
def orders_per_day(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Paid orders and sales (fen) per day of payment, over the last `days` days (one query)."""
    dates, start, end = period_days(days, now or timezone.now())
    per_day = {
        row["day"]: row
        for row in paid_between(store, start, end)
        .annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(orders=Count("id"), sales=Sum("paid_amount"))
        .order_by()
    }
    counts = [per_day.get(d, {}).get("orders", 0) for d in dates]
    sales = [per_day.get(d, {}).get("sales") or 0 for d in dates]
    title = _("每日订单与销售额（近 %(n)d 天）") % {"n": days}
    return Chart(
        key="orders",
        title=title,
        columns=[_("日期"), _("支付订单数"), _("销售额（元）")],
        rows=[[d.isoformat(), c, f"{s / 100:.2f}"] for d, c, s in zip(dates, counts, sales, strict=True)],
        svg=bars_and_line([d.strftime("%m-%d") for d in dates], counts, [s / 100 for s in sales], title=title),
        note=_("柱：订单数；线：销售额"),
    )


@dashboard.chart("funnel", order=20)
def order_funnel(store: Store, days: int, now: datetime | None = None) -> Chart:
    """Of the orders placed in the period: how many were paid, shipped, delivered, completed (one query)."""
    _dates, start, end = period_days(days, now or timezone.now())
    counts = Order.objects.filter(store=store, created_at__gte=start, created_at__lt=end).aggregate(
        placed=Count("id"),
        paid=Count("id", filter=Q(paid_at__isnull=False)),
        shipped=Count("id", filter=Q(shipped_at__isnull=False)),
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        completed=Count("id", filter=Q(status=OrderStatus.COMPLETED)),
        cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
    )
    steps = [
        (_("下单"), counts["placed"]),
        (_("支付"), counts["paid"]),
        (_("发货"), counts["shipped"]),
        (_("签收"), counts["delivered"]),
        (_("完成"), counts["completed"]),
        (_("取消"), counts["cancelled"]),
    ]
    title = _("订单漏斗（近 %(n)d 天下单）") % {"n": days}
    placed = counts["placed"] or 1
    return Chart(
        key="funnel",
        title=title,
        columns=[_("环节"), _("订单数"), _("占下单 %")],
        rows=[[label, n, f"{n * 100 / placed:.1f}"] for label, n in steps],
        svg=hbars([label for label, _n in steps], [n for _label, n in steps], title=title),
    )


@dashboard.staff_source(order=10)
def applications_overview(now: datetime) -> list[TodoItem]:
    """Store applications waiting for a reviewer."""
    submitted = Store.objects.filter(status="submitted").count()
    return [
        TodoItem(
            "applications_awaiting_review",
            _("待审核开店申请"),
            submitted,
            admin_link("shop_storeapplication"),  # the review queue: reviewers open it, support does not
            "warn" if submitted else "",
        )
    ]


@dashboard.staff_source(order=15)
def deposit_refunds_overview(now: datetime) -> list[TodoItem]:
    """Deposit refunds waiting for finance (the store stays closing until one is decided); bad once a request is
    past the date the merchant was promised."""
    pending = DepositRefundRequest.objects.filter(status=DepositRefundStatus.PENDING).aggregate(
        n=Count("id"), late=Count("id", filter=Q(expected_on__lt=timezone.localdate(now)))
    )
    return [
        TodoItem(
            "deposit_refunds_awaiting_review",
            _("待审核保证金退还"),
            pending["n"],
            admin_link("shop_store", "status__exact=closing"),  # finance decides from the store's page
            "bad" if pending["late"] else "warn" if pending["n"] else "",
            _("%(n)d 笔已超过预计完成日期") % {"n": pending["late"]} if pending["late"] else "",
        )
    ]


@dashboard.staff_source(order=30)
def proposals_overview(now: datetime) -> list[TodoItem]:
    """Stores the evaluation proposes to suspend."""
    proposals = SuspensionProposal.objects.filter(status=ProposalStatus.PROPOSED).count()
    return [
        TodoItem(
            "stores_proposed_for_suspension",
            _("建议暂停的店铺"),
            proposals,
            admin_link("shop_suspensionproposal", "status__exact=proposed"),
            "bad" if proposals else "",
        )
    ]


@dashboard.checklist_source(order=10)
def getting_started(store: Store) -> list[ChecklistStep]:
    """A new store's first steps in the catalogue and promotions; done when the store has done each once.
    Every step's answer comes from one query (EXISTS subqueries), whatever the store holds."""
    mine = OuterRef("pk")
    done = (
        Store.objects.filter(pk=store.pk)
        .annotate(
            has_product=Exists(Product.objects.filter(store=mine)),
            has_image=Exists(ProductImage.objects.filter(product__store=mine)),
            has_on_sale=Exists(Product.objects.filter(store=mine, status=ProductStatus.ON_SALE)),
            has_promotion=Exists(LimitedTimeDiscount.objects.filter(store=mine))
            | Exists(SpendAndSave.objects.filter(store=mine))
            | Exists(CouponBatch.objects.filter(store=mine, source=CouponSource.STORE)),
        )
        .values("has_product", "has_image", "has_on_sale", "has_promotion")
        .get()
    )
    promotions = done["has_promotion"]
    return [
        ChecklistStep("store_opened", _("完成开店"), store.has_opened(), link("shop:store_detail")),
        ChecklistStep("product_created", _("发布第一个商品"), done["has_product"], link("shop:product_create")),
        ChecklistStep(
            "product_image",
            _("为商品上传主图"),
            done["has_image"],
            link("shop:product_list"),
            _("没有图片的商品不能上架。"),
        ),
        ChecklistStep(
            "product_on_sale",
            _("上架商品"),
            done["has_on_sale"],
            link("shop:product_list", f"status={ProductStatus.DRAFT}"),
        ),
        ChecklistStep("first_promotion", _("创建一个营销活动"), promotions, link("shop:promotion_list")),
    ]
