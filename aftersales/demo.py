"""Demo after-sales requests (one in every status), complaints and reviews for the demo open stores.

Orders go through the real order services (place → pay through the sandbox → ship → deliver).
Idempotent: a store that already has after-sales requests is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from portal.exceptions import DomainError
from portal.models import Membership, User
from portal.payments.providers import get_provider
from portal.payments.services import payment_record_callback
from shop.models import Order, Product, Store, StoreStatus
from shop.models.catalog import ProductStatus
from shop.services import orders as order_services
from shop.services.evaluation import evaluation_run

from . import services
from .models import AftersalesRequest
from .services.evaluation import dsr_snapshot_all

STORES = 2
RETURN_ADDRESS = "浙江省杭州市余杭区 文一西路 998 号 售后仓 王五 13800138000"


def _delivered_order(store: Store, sku, buyer: str, *, deliver: bool = True) -> Order:
    order = order_services.order_place(
        store=store,
        buyer_ref=buyer,
        lines=[order_services.LineIn(sku_id=sku.pk, quantity=1)],
        recipient_name="赵六",
        recipient_phone="13912345678",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="文三路 100 号",
        by=f"buyer:{buyer}",
    )
    payment, _url = order_services.order_pay(order=order, by=f"buyer:{buyer}")
    provider = get_provider(payment.provider)
    body, headers = provider.callback_request(payment)
    payment_record_callback(result=provider.parse_callback(body, headers))
    order.refresh_from_db()
    waybill = f"SF{timezone.now():%m%d%H%M%S}{order.pk % 1000:03d}"[:15]
    order = order_services.order_ship(order=order, courier_code="SF", waybill_no=waybill, by="demo")
    if deliver:
        order = order_services.order_deliver(order=order, by="courier:SF")
    return order


def _scenarios(owner, staff) -> list[tuple[str, str, str, Callable | None]]:
    """(type, reason, description, what happens next) — together they cover every status."""
    a = services

    def approve(req):
        return a.aftersales_approve(request=req, return_address=RETURN_ADDRESS, by=owner)

    def shipped_back(req):
        req = approve(req)
        return a.aftersales_submit_return(
            request=req, buyer_ref=req.buyer_ref, courier_code="YTO", waybill_no=f"YT{req.pk:013d}", by="demo-buyer"
        )

    def delivered_back(req):
        return a.aftersales_return_delivered(request=shipped_back(req), by="courier:YTO")

    def rejected(req):
        return a.aftersales_reject(request=req, reason="商品无质量问题，已提供出厂检测报告", by=owner)

    def escalated(req):
        return a.aftersales_escalate(
            request=rejected(req), buyer_ref=req.buyer_ref, reason="商品确有破损，见照片", by="demo-buyer"
        )

    def expired(req):
        # a rejection the buyer never escalated: its escalation deadline lies in the past
        AftersalesRequest.objects.filter(pk=rejected(req).pk).update(deadline_at=timezone.now())
        return a.aftersales_expire(request=req)

    return [
        ("refund_only", "not_as_described", "颜色与图片不符", None),
        ("return_refund", "quality", "拉链坏了", None),
        ("exchange", "wrong_item", "尺码发错了", None),
        ("refund_only", "quality", "有划痕", rejected),
        ("return_refund", "quality", "开线", approve),
        ("return_refund", "damaged", "外包装破损", delivered_back),
        (
            "exchange",
            "wrong_item",
            "发错颜色",
            lambda r: a.aftersales_receive_return(request=shipped_back(r), by=owner),
        ),
        ("refund_only", "missing_parts", "少发一件", lambda r: a.aftersales_approve(request=r, by=owner)),
        (
            "return_refund",
            "seven_day",
            "不喜欢",
            lambda r: a.aftersales_receive_return(request=delivered_back(r), note="完好", by=owner),
        ),
        (
            "exchange",
            "wrong_item",
            "型号不对",
            lambda r: a.aftersales_ship_replacement(
                request=a.aftersales_receive_return(request=shipped_back(r), by=owner),
                courier_code="ZTO",
                waybill_no=f"7731{r.pk:08d}",
                by=owner,
            ),
        ),
        (
            "repair",
            "quality",
            "开机无反应",
            lambda r: a.aftersales_ship_replacement(
                request=a.aftersales_receive_return(request=shipped_back(r), by=owner),
                courier_code="ZTO",
                waybill_no=f"7732{r.pk:08d}",
                by=owner,
            ),
        ),
        (
            "resend",
            "missing_parts",
            "少了配件",
            lambda r: a.aftersales_ship_replacement(
                request=a.aftersales_approve(request=r, by=owner),
                courier_code="JTSD",
                waybill_no=f"JT{r.pk:013d}",
                by=owner,
            ),
        ),
        ("refund_only", "damaged", "碎了", escalated),
        (
            "refund_only",
            "damaged",
            "瓶身裂开",
            lambda r: a.aftersales_decide(
                request=escalated(r),
                decision="partial_refund",
                amount=max(r.amount // 2, 1),
                note="双方各担一半",
                by=staff,
            ),
        ),
        (
            "refund_only",
            "no_longer_wanted",
            "拍错了",
            lambda r: a.aftersales_cancel(request=r, buyer_ref=r.buyer_ref, by="demo-buyer"),
        ),
        ("resend", "missing_parts", "漏发赠品", lambda r: a.aftersales_approve(request=r, by=owner)),
        ("refund_only", "other", "不想要了", expired),
        (
            "refund_only",
            "not_as_described",
            "色差明显",
            lambda r: a.aftersales_negotiate(
                request=r, amount=max(r.amount // 2, 1), note="色差在可接受范围，补偿一半货款可以吗？", by=owner
            ),
        ),
    ]


REVIEWS = [
    ((5, 5, 5), "质量很好，物流也快，好评！", "感谢亲的支持，欢迎再次光临～", "用了两周，依然很满意"),
    ((4, 5, 4), "整体不错，就是包装简陋了点", None, None),  # the one review still waiting for a reply
    ((2, 3, 2), "和描述有差距，做工一般", "非常抱歉给您带来不好的体验，已安排客服联系您", None),
    ((1, 2, 1), "收到就坏了", "抱歉，已为您补发新品，请留意物流", "客服处理得还行，换了新的"),
    ((5, 4, 5), "", "谢谢亲的好评～", None),
]
# The first request (refund only, still requested) is the one whose response deadline is near.
NEAR_DEADLINE = timedelta(hours=3)


def _seed_store(store: Store, owner, staff) -> None:
    product = Product.objects.filter(store=store, status=ProductStatus.ON_SALE, skus__stock__gt=40).first()
    if product is None:
        return
    sku = product.skus.filter(stock__gt=40).first()
    for n, (type, reason, text, then) in enumerate(_scenarios(owner, staff)):
        buyer = f"demo-as-{store.pk}-{n}"
        order = _delivered_order(store, sku, buyer)
        item = order.items.get()
        req = services.aftersales_open(
            order=order, item_id=item.pk, buyer_ref=buyer, type=type, reason=reason,
            amount=item.paid_amount, description=text, by=f"buyer:{buyer}",
        )  # fmt: skip
        if then is not None:
            then(AftersalesRequest.objects.get(pk=req.pk))
        elif n == 0:  # opened 45 hours ago: 3 hours left to answer before it is approved automatically
            deadline = timezone.now() + NEAR_DEADLINE
            AftersalesRequest.objects.filter(pk=req.pk).update(
                deadline_at=deadline, created_at=deadline - settings.PORTAL_TIME_RULES["aftersales_response"]
            )
    for n, (scores, text, reply, followup) in enumerate(REVIEWS):
        buyer = f"demo-rv-{store.pk}-{n}"
        order = _delivered_order(store, sku, buyer)
        review = services.review_create(
            order=order, item_id=order.items.get().pk, buyer_ref=buyer, score_description=scores[0],
            score_logistics=scores[1], score_service=scores[2], text=text, anonymous=n % 2 == 1, by=f"buyer:{buyer}",
        )  # fmt: skip
        if reply:
            review = services.review_reply(review=review, store=store, text=reply, by=owner)
        if followup:
            review = services.review_followup(review=review, buyer_ref=buyer, text=followup, by=f"buyer:{buyer}")
            if reply:  # a merchant who answered the review answers its follow-up too
                services.review_reply(review=review, store=store, text="感谢您的追评，我们会继续努力～", by=owner)
    _happy_buyers(store, owner)
    services.complaint_file(store=store, buyer_ref="demo-cp-1", category="attitude", content="客服回复很慢", by="demo")


HAPPY = ["质量很好，物流也快，好评！", "和图片一样，很满意", "第二次回购了，一如既往的好", "包装严实，发货快", ""]
HAPPY_REVIEWS = 24


def _happy_buyers(store: Store, owner) -> None:
    """Most buyers of the store's history were pleased: their reviews (answered) keep its ratings where a
    flagship store's are, so the curated ones above stand out as the cases to handle."""
    received = Order.objects.filter(store=store, status="completed", buyer_ref__startswith="demo-", reviews__isnull=True)
    made = 0
    for order in received.order_by("-id")[: HAPPY_REVIEWS * 2]:
        if made >= HAPPY_REVIEWS:
            break
        try:
            review = services.review_create(
                order=order, item_id=order.items.first().pk, buyer_ref=order.buyer_ref, score_description=5,
                score_logistics=5 if made % 8 else 4, score_service=5, text=HAPPY[made % len(HAPPY)],
                anonymous=made % 3 == 0, by=f"buyer:{order.buyer_ref}",
            )  # fmt: skip
        except DomainError:  # e.g. past its review window
            continue
        services.review_reply(review=review, store=store, text="感谢亲的支持，欢迎再次光临～", by=owner)
        made += 1


def seed(*, password: str) -> list[tuple[str, str]]:
    staff = User.objects.filter(username="support").first() or User.objects.filter(is_superuser=True).first()
    stores = Store.objects.filter(status=StoreStatus.OPEN).order_by("id")[:STORES]
    for store in stores:
        if AftersalesRequest.objects.filter(store=store).exists():
            continue
        owner = Membership.objects.filter(store=store, role="owner").select_related("user").first()
        _seed_store(store, owner.user if owner else "demo", staff)
    dsr_snapshot_all()
    evaluation_run()
    return []
