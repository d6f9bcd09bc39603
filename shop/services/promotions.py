"""Every write of promotions: limited-time discounts, spend-and-save, coupon batches, claims and redemptions.

The orders area calls `coupon_mark_used` / `coupon_release` and `discount_redeem` / `discount_release` when an
order is placed and cancelled; `price_order` (shop.services.pricing) reads what these record.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.audit import audit_record
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import transition, transition_many
from shop.models import (
    CouponBatch,
    CouponClaim,
    CouponKind,
    CouponSource,
    DiscountKind,
    DiscountRedemption,
    LeaderFree,
    LimitedTimeDiscount,
    Order,
    Product,
    PromotionStatus,
    SecondItemDiscount,
    Sku,
    SpendAndSave,
    Store,
)
from shop.models.promotions import ClaimStatus

from .pricing import PriceQuote
from .promotions_cache import promotions_changed

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationFailed(_("结束时间必须晚于开始时间。"), fields={"ends_at": [_("结束时间必须晚于开始时间。")]})
    if ends_at <= timezone.now():
        raise ValidationFailed(_("结束时间不能早于现在。"), fields={"ends_at": [_("结束时间不能早于现在。")]})


def _require_open(store: Store) -> None:
    if not store.is_open():
        raise Conflict(_("只有营业中的店铺可以创建营销活动。"), code="store_not_open")


def _product_for_promotion(store: Store, product: Product, starts_at: datetime, ends_at: datetime) -> Product:
    """The store's product, locked while a per-product promotion of it is created (open store, valid window)."""
    _require_open(store)
    locked = Product.objects.select_for_update().filter(pk=product.pk, store=store).first()
    if locked is None:
        raise ValidationFailed(_("只能选择本店商品。"), fields={"product": [_("只能选择本店商品。")]})
    _check_window(starts_at, ends_at)
    return locked


def _refuse_product_overlap(model, product: Product, starts_at: datetime, ends_at: datetime, *, code: str) -> None:
    """One live promotion of a kind per product at a time: refuse a window overlapping another, naming it."""
    other = (
        model.objects.filter(product=product, status=PromotionStatus.ACTIVE)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if other is not None:
        msg = _("该商品已有%(kind)s（%(d)s，%(s)s 至 %(e)s），时间不能重叠。") % {
            "kind": model._meta.verbose_name,
            "d": other.describe(),
            "s": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
            "e": timezone.localtime(other.ends_at).strftime("%Y-%m-%d %H:%M"),
        }
        raise Conflict(msg, code=code, fields={"starts_at": [msg]})


# Limited-time discounts -------------------------------------------------------------------------------------------


@transaction.atomic
def discount_create(
    *,
    store: Store,
    sku: Sku,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    price: int | None = None,
    permille: int | None = None,
    activity_stock: int | None = None,
    per_buyer_limit: int | None = None,
    name: str = "",
    activity: uuid.UUID | None = None,
    by,
) -> LimitedTimeDiscount:
    """Create a 限时折扣 on one SKU (part of `activity` when given); refuses a window overlapping another live
    discount of the SKU, naming that activity."""
    _require_open(store)
    locked = Sku.objects.select_for_update().select_related("product").filter(pk=sku.pk, product__store=store).first()
    if locked is None:
        raise ValidationFailed(_("SKU 不存在。"), fields={"sku": [_("SKU 不存在。")]})
    sku = locked
    _check_window(starts_at, ends_at)
    if kind == DiscountKind.PRICE:
        if price is None or not 0 < price < sku.price:
            msg = _("活动价必须大于 0 且低于单买价 %(p)s 元。") % {"p": f"{sku.price / 100:.2f}"}
            raise ValidationFailed(msg, fields={"price": [msg]})
        permille = None
    elif kind == DiscountKind.PERMILLE:
        if permille is None or not 1 <= permille <= 999:
            msg = _("折扣须在 1 到 999 之间（千分比，300 即 3 折）。")
            raise ValidationFailed(msg, fields={"permille": [msg]})
        price = None
    else:
        raise ValidationFailed(_("优惠方式无效。"), fields={"kind": [_("优惠方式无效。")]})
    clash = (
        LimitedTimeDiscount.objects.filter(
            sku=sku, status=PromotionStatus.ACTIVE, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        msg = _("该 SKU 已在限时折扣“%(name)s”（%(s)s 至 %(e)s）中，活动时间不能重叠。") % {
            "name": clash.name or _("限时折扣 #%(id)d") % {"id": clash.pk},
            "s": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
            "e": timezone.localtime(clash.ends_at).strftime("%Y-%m-%d %H:%M"),
        }
        raise Conflict(msg, code="discount_overlap", fields={"starts_at": [msg]})
    promotions_changed(store.pk)
    return LimitedTimeDiscount.objects.create(
        store=store,
        sku=sku,
        kind=kind,
        price=price,
        permille=permille,
        starts_at=starts_at,
        ends_at=ends_at,
        activity_stock=activity_stock,
        per_buyer_limit=per_buyer_limit,
        name=name[:60],
        activity=activity,
    )


@dataclass(frozen=True)
class SkuRefusal:
    """One SKU an activity could not take, with the service's code and message (the per-product result)."""

    sku: Sku
    code: str
    message: str

    @property
    def label(self) -> str:
        return f"{self.sku.product.title} {self.sku.spec_label}".strip() + "：" + self.message


@dataclass(frozen=True)
class ActivityResult:
    made: list[LimitedTimeDiscount]
    refused: list[SkuRefusal]


@transaction.atomic
def discount_activity_create(
    *,
    store: Store,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    items: list[dict],
    per_buyer_limit: int | None = None,
    partial: bool = False,
    by,
) -> ActivityResult:
    """Create one 限时折扣 activity over many SKUs of many products: `items` are
    {"sku", "kind", "price" | "permille", "activity_stock"}. Each SKU gets its own result: all or nothing by
    default (every SKU's refusal is reported in field `items`, prefixed with the SKU, and nothing is created);
    with `partial` the SKUs that pass are created and the refused ones are returned with their reasons."""
    _require_open(store)
    if not (name or "").strip():
        raise ValidationFailed(_("请填写活动名称。"), fields={"name": [_("请填写活动名称。")]})
    if not items:
        msg = _("请至少选择一个商品规格（SKU）。")
        raise ValidationFailed(msg, fields={"items": [msg]})
    _check_window(starts_at, ends_at)
    activity = uuid.uuid4()
    made: list[LimitedTimeDiscount] = []
    refused: list[SkuRefusal] = []
    conflict = False
    for item in items:
        sku = item["sku"]
        try:
            with transaction.atomic():
                made.append(
                    discount_create(
                        store=store,
                        sku=sku,
                        kind=item["kind"],
                        price=item.get("price"),
                        permille=item.get("permille"),
                        activity_stock=item.get("activity_stock"),
                        per_buyer_limit=per_buyer_limit,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        name=name.strip(),
                        activity=activity,
                        by=by,
                    )
                )
        except (ValidationFailed, Conflict) as exc:
            conflict = conflict or isinstance(exc, Conflict)
            refused.append(SkuRefusal(sku=sku, code=exc.code, message=exc.message))
    if refused and (not partial or not made):
        transaction.set_rollback(True)
        error = Conflict if conflict else ValidationFailed
        errors = [r.label for r in refused]
        raise error(errors[0], code="discount_overlap" if conflict else "validation_failed", fields={"items": errors})
    return ActivityResult(made=made, refused=refused)


@transaction.atomic
def discount_activity_end(*, store: Store, activity: uuid.UUID, by) -> list[LimitedTimeDiscount]:
    """End every live discount of one activity now (one audited transition each)."""
    discounts = list(
        LimitedTimeDiscount.objects.select_for_update()
        .filter(store=store, activity=activity, status=PromotionStatus.ACTIVE)
        .order_by("pk")
    )
    return [discount_end(discount=discount, by=by) for discount in discounts]


@transaction.atomic
def discount_end(*, discount: LimitedTimeDiscount, by) -> LimitedTimeDiscount:
    """End a discount now (audited)."""
    discount = LimitedTimeDiscount.objects.select_for_update().get(pk=discount.pk)
    require_action(discount, by, "end")
    promotions_changed(discount.store_id)
    return transition(discount, "end", by=by)


@transaction.atomic
def discount_redeem(*, quote: PriceQuote, order: Order, by) -> list[DiscountRedemption]:
    """Record the discounted units of a placed order (idempotent per order).

    Re-checks the activity stock and the buyer's limit under the discounts' row locks, so concurrent orders
    cannot oversell a discount priced before either was placed.
    """
    wanted: dict[int, int] = {}
    for item in quote.discounts:
        if item["kind"] == "limited_time":
            wanted[item["discount_id"]] = wanted.get(item["discount_id"], 0) + item["units"]
    made = []
    for discount in LimitedTimeDiscount.objects.select_for_update().filter(pk__in=wanted).order_by("pk"):
        units = wanted[discount.pk]
        others = discount.redemptions.filter(released_at__isnull=True).exclude(order=order)
        sold = others.aggregate(n=Sum("units"))["n"] or 0
        mine = others.filter(buyer_ref=order.buyer_ref).aggregate(n=Sum("units"))["n"] or 0
        if discount.activity_stock is not None and sold + units > discount.activity_stock:
            raise Conflict(_("限时折扣的活动库存不足，请重新下单。"), code="discount_sold_out")
        if discount.per_buyer_limit is not None and mine + units > discount.per_buyer_limit:
            raise Conflict(_("已超过限时折扣的每人限购数量。"), code="discount_limit_reached")
        redemption, _created = DiscountRedemption.objects.update_or_create(
            discount=discount, order=order, defaults={"buyer_ref": order.buyer_ref, "units": units, "released_at": None}
        )
        made.append(redemption)
    return made


@transaction.atomic
def discount_release(*, order: Order, by) -> int:
    """Give a cancelled order's discounted units back to the activity stock and the buyer's limit."""
    return DiscountRedemption.objects.filter(order=order, released_at__isnull=True).update(released_at=timezone.now())


def discount_release_many(*, order_ids: list[int], by) -> int:
    """`discount_release` for a batch of cancelled orders, in one UPDATE."""
    return DiscountRedemption.objects.filter(order_id__in=order_ids, released_at__isnull=True).update(
        released_at=timezone.now()
    )


# Spend-and-save ---------------------------------------------------------------------------------------------------


def _clean_tiers(tiers: list[dict]) -> list[dict]:
    def bad(msg: str) -> ValidationFailed:
        return ValidationFailed(msg, fields={"tiers": [msg]})

    if not tiers:
        raise bad(_("至少设置一个满减档位。"))
    cleaned = sorted(
        ({"threshold": int(t["threshold"]), "discount": int(t["discount"])} for t in tiers),
        key=lambda t: t["threshold"],
    )
    for tier in cleaned:
        if not 0 < tier["discount"] < tier["threshold"]:
            raise bad(_("每档的减免金额必须大于 0 且小于门槛金额。"))
    for low, high in zip(cleaned, cleaned[1:], strict=False):
        if low["threshold"] == high["threshold"]:
            raise bad(_("满减门槛不能重复。"))
        if high["discount"] <= low["discount"]:
            raise bad(_("门槛越高，减免金额必须越多。"))
    return cleaned


@transaction.atomic
def spend_and_save_create(
    *,
    store: Store,
    name: str,
    tiers: list[dict],
    starts_at: datetime,
    ends_at: datetime,
    products: list[Product] | None = None,
    by,
) -> SpendAndSave:
    """Create a 满减 campaign, store-wide or for chosen products. Campaigns whose windows overlap may not cover
    the same product (a store-wide one covers all); the refusal names the conflicting campaign."""
    _require_open(store)
    Store.objects.select_for_update().filter(pk=store.pk).first()  # serialises campaigns of one store
    _check_window(starts_at, ends_at)
    cleaned = _clean_tiers(tiers)
    products = list(products or [])
    if any(p.store_id != store.pk for p in products):
        raise ValidationFailed(_("只能选择本店商品。"), fields={"products": [_("只能选择本店商品。")]})
    chosen = sorted({p.pk for p in products})
    overlapping = SpendAndSave.objects.filter(store=store, status=PromotionStatus.ACTIVE).filter(
        starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    for other in overlapping.order_by("starts_at"):
        if not chosen or not other.product_ids or set(chosen) & set(other.product_ids):
            msg = _("与满减活动“%(name)s”（%(s)s 至 %(e)s）的商品和时间重叠，请调整时间或商品。") % {
                "name": other.name,
                "s": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
                "e": timezone.localtime(other.ends_at).strftime("%Y-%m-%d %H:%M"),
            }
            raise Conflict(msg, code="spend_and_save_overlap", fields={"starts_at": [msg]})
    promotions_changed(store.pk)
    return SpendAndSave.objects.create(
        store=store, name=name, tiers=cleaned, starts_at=starts_at, ends_at=ends_at, product_ids=chosen
    )


@transaction.atomic
def spend_and_save_end(*, campaign: SpendAndSave, by) -> SpendAndSave:
    """End a campaign now (audited)."""
    campaign = SpendAndSave.objects.select_for_update().get(pk=campaign.pk)
    require_action(campaign, by, "end")
    promotions_changed(campaign.store_id)
    return transition(campaign, "end", by=by)


# Second-item discounts (满2件折扣) --------------------------------------------------------------------------------


@transaction.atomic
def second_item_create(
    *, store: Store, product: Product, permille: int, starts_at: datetime, ends_at: datetime, by
) -> SecondItemDiscount:
    """Create a 满2件折扣 on one of the store's products (the second unit at `permille`, 850 = 8.5折); refuses a
    window overlapping another live one of the product, naming it. Audited."""
    locked = _product_for_promotion(store, product, starts_at, ends_at)
    if not 1 <= permille <= 999:
        msg = _("折扣须在 0.01 到 9.99 折之间。")
        raise ValidationFailed(msg, fields={"permille": [msg]})
    _refuse_product_overlap(SecondItemDiscount, locked, starts_at, ends_at, code="second_item_overlap")
    promotions_changed(store.pk)
    promotion = SecondItemDiscount.objects.create(
        store=store, product=locked, permille=permille, starts_at=starts_at, ends_at=ends_at
    )
    audit_record(promotion, "create", by=by, reason=promotion.describe(), data={"product": locked.pk})
    return promotion


@transaction.atomic
def second_item_end(*, promotion: SecondItemDiscount, by) -> SecondItemDiscount:
    """End a 满2件折扣 now (audited)."""
    promotion = SecondItemDiscount.objects.select_for_update().get(pk=promotion.pk)
    require_action(promotion, by, "end")
    promotions_changed(promotion.store_id)
    return transition(promotion, "end", by=by)


def promotion_end(*, promotion, by):
    """End any kind of promotion now through its own service (audited, the pricing cache dropped)."""
    end = {
        LimitedTimeDiscount: lambda: discount_end(discount=promotion, by=by),
        SpendAndSave: lambda: spend_and_save_end(campaign=promotion, by=by),
        SecondItemDiscount: lambda: second_item_end(promotion=promotion, by=by),
        LeaderFree: lambda: leader_free_end(promotion=promotion, by=by),
        CouponBatch: lambda: coupon_end(coupon=promotion, by=by),
    }[promotion._meta.concrete_model]
    return end()


# 团长免单 (the group leader's free order) ---------------------------------------------------------------------------


@transaction.atomic
def leader_free_create(
    *, store: Store, product: Product, quantity: int, starts_at: datetime, ends_at: datetime, by
) -> LeaderFree:
    """Create a 团长免单 on one of the store's products: up to `quantity` groups opened on it in the window are free
    for their leader (seller-funded); refuses a window overlapping another live one of the product. Audited."""
    locked = _product_for_promotion(store, product, starts_at, ends_at)
    if quantity < 1:
        raise ValidationFailed(_("免单名额至少为 1。"), fields={"quantity": [_("免单名额至少为 1。")]})
    _refuse_product_overlap(LeaderFree, locked, starts_at, ends_at, code="leader_free_overlap")
    promotion = LeaderFree.objects.create(
        store=store, product=locked, quantity=quantity, starts_at=starts_at, ends_at=ends_at
    )
    audit_record(promotion, "create", by=by, reason=promotion.describe(), data={"product": locked.pk})
    return promotion


@transaction.atomic
def leader_free_end(*, promotion: LeaderFree, by) -> LeaderFree:
    """End a 团长免单 now (audited); groups already holding a place keep it."""
    promotion = LeaderFree.objects.select_for_update().get(pk=promotion.pk)
    require_action(promotion, by, "end")
    return transition(promotion, "end", by=by)


def leader_free_take(*, product: Product, at: datetime) -> LeaderFree | None:
    """A group opens on `product`: take a place of its running 团长免单, if one has places left (under its lock)."""
    promotion = (
        LeaderFree.objects.select_for_update()
        .in_force(at)
        .filter(product=product, used_count__lt=F("quantity"))
        .order_by("starts_at")
        .first()
    )
    if promotion is not None:
        promotion.used_count += 1
        promotion.save(update_fields=["used_count"])
    return promotion


def leader_free_give_back(promotion_ids: list[int | None]) -> None:
    """Failed groups give their places back: their `leader_free_id`s (None for a group without a place), one UPDATE."""
    counts = Counter(pk for pk in promotion_ids if pk is not None)
    if counts:
        back = Case(*(When(pk=pk, then=Value(n)) for pk, n in counts.items()), output_field=IntegerField())
        LeaderFree.objects.filter(pk__in=counts).update(used_count=F("used_count") - back)


# Coupons ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def coupon_create(
    *,
    store: Store,
    name: str,
    kind: str,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    threshold: int = 0,
    amount: int | None = None,
    percent_off: int | None = None,
    cap: int | None = None,
    per_user_limit: int = 1,
    valid_days: int | None = None,
    products: list[Product] | None = None,
    source: str = CouponSource.STORE,
    by,
) -> CouponBatch:
    """Create a coupon batch (满减券 or 折扣券), store-wide or for some of the store's products. Audited.

    `source` platform is a 平台补贴券 staff issue in the store (the admin): claimed and used like the store's
    own, its discount is the platform's share of the order and is credited back to the merchant."""
    _require_open(store)
    _check_window(starts_at, ends_at)
    if kind == CouponKind.THRESHOLD:
        if not amount or amount <= 0:
            raise ValidationFailed(_("请填写减免金额。"), fields={"amount": [_("请填写减免金额。")]})
        if threshold and amount >= threshold:
            msg = _("减免金额必须小于使用门槛。")
            raise ValidationFailed(msg, fields={"amount": [msg]})
        percent_off = cap = None
    elif kind == CouponKind.PERCENTAGE:
        if percent_off is None or not 1 <= percent_off <= 99:
            msg = _("折扣比例须在 1% 到 99% 之间。")
            raise ValidationFailed(msg, fields={"percent_off": [msg]})
        amount = None
    else:
        raise ValidationFailed(_("类型无效。"), fields={"kind": [_("类型无效。")]})
    if quantity < 1:
        raise ValidationFailed(_("发行数量至少为 1。"), fields={"quantity": [_("发行数量至少为 1。")]})
    if per_user_limit < 1:
        raise ValidationFailed(_("每人限领至少为 1。"), fields={"per_user_limit": [_("每人限领至少为 1。")]})
    products = list(products or [])
    if any(p.store_id != store.pk for p in products):
        raise ValidationFailed(_("只能选择本店商品。"), fields={"products": [_("只能选择本店商品。")]})
    coupon = CouponBatch.objects.create(
        store=store,
        name=name,
        kind=kind,
        threshold=threshold or 0,
        amount=amount,
        percent_off=percent_off,
        cap=cap or None,
        quantity=quantity,
        per_user_limit=per_user_limit,
        starts_at=starts_at,
        ends_at=ends_at,
        valid_days=valid_days or None,
        source=source,
    )
    coupon.products.set(products)
    audit_record(coupon, "create", by=by, reason=coupon.describe(), data={"source": source})
    return coupon


@transaction.atomic
def coupon_end(*, coupon: CouponBatch, by) -> CouponBatch:
    """Stop claims of a batch now (audited); coupons already claimed stay usable until they expire."""
    coupon = CouponBatch.objects.select_for_update().get(pk=coupon.pk)
    require_action(coupon, by, "end")
    return transition(coupon, "end", by=by)


@transaction.atomic
def coupon_add_quantity(*, coupon: CouponBatch, extra: int, by) -> CouponBatch:
    """Issue `extra` more coupons in a live batch."""
    coupon = CouponBatch.objects.select_for_update().get(pk=coupon.pk)
    if coupon.status != PromotionStatus.ACTIVE:
        raise Conflict(_("优惠券已结束，不能追加数量。"), code="coupon_ended")
    if extra < 1:
        raise ValidationFailed(_("追加数量至少为 1。"), fields={"extra": [_("追加数量至少为 1。")]})
    coupon.quantity += extra
    coupon.save(update_fields=["quantity"])
    audit_record(coupon, "add_quantity", by=by, reason=str(extra), data={"extra": extra, "quantity": coupon.quantity})
    return coupon


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


@transaction.atomic
def coupon_claim(*, coupon: CouponBatch, buyer_ref: str, by) -> CouponClaim:
    """A buyer claims one coupon of a live batch (quantity and per-user limit checked under the batch's lock)."""
    if not buyer_ref:
        raise ValidationFailed(_("缺少买家标识。"), fields={"buyer_ref": [_("缺少买家标识。")]})
    coupon = CouponBatch.objects.select_for_update().select_related("store").get(pk=coupon.pk)
    now = timezone.now()
    if coupon.source == CouponSource.COMPENSATION or not coupon.store.is_open() or coupon.phase(now) != "running":
        raise Conflict(_("该优惠券当前不可领取。"), code="coupon_not_claimable")
    if coupon.remaining <= 0:
        raise Conflict(_("优惠券已领完。"), code="coupon_sold_out")
    if coupon.claims.filter(buyer_ref=buyer_ref).count() >= coupon.per_user_limit:
        raise Conflict(_("每人限领 %(n)d 张，您已领完。") % {"n": coupon.per_user_limit}, code="coupon_limit_reached")
    coupon.claimed_count += 1
    coupon.save(update_fields=["claimed_count"])
    expires_at = now + timedelta(days=coupon.valid_days) if coupon.valid_days else coupon.ends_at
    return CouponClaim.objects.create(
        coupon=coupon, store=coupon.store, buyer_ref=buyer_ref, code=_new_code(), claimed_at=now, expires_at=expires_at
    )


def _compensation_batch(store_id: int, amount: int, reason: str, *, now, expires_at) -> CouponBatch:
    """The hidden batch of one compensation coupon (unsaved): platform-funded, no threshold, already claimed."""
    return CouponBatch(
        store_id=store_id,
        name=reason[:60],
        kind=CouponKind.THRESHOLD,
        threshold=0,
        amount=amount,
        quantity=1,
        claimed_count=1,
        per_user_limit=1,
        starts_at=now,
        ends_at=expires_at,
        source=CouponSource.COMPENSATION,
    )


@transaction.atomic
def coupon_grant(*, store: Store, buyer_ref: str, amount: int, reason: str, by) -> CouponClaim:
    """Give a buyer a platform-funded, no-threshold, single-use coupon of `amount` fen in `store` (a compensation).

    Each grant is its own hidden batch of one coupon, already claimed; it expires after the
    `compensation_coupon_validity` time rule. Callers make the grant once (e.g. once per Compensation).
    """
    if not buyer_ref:
        raise ValidationFailed(_("缺少买家标识。"), fields={"buyer_ref": [_("缺少买家标识。")]})
    if amount <= 0:
        raise ValidationFailed(_("请填写减免金额。"), fields={"amount": [_("请填写减免金额。")]})
    now = timezone.now()
    expires_at = now + settings.PORTAL_TIME_RULES["compensation_coupon_validity"]
    coupon = _compensation_batch(store.pk, amount, reason, now=now, expires_at=expires_at)
    coupon.save()
    return CouponClaim.objects.create(
        coupon=coupon, store=store, buyer_ref=buyer_ref, code=_new_code(), claimed_at=now, expires_at=expires_at
    )


def coupon_grant_many(grants: list[tuple[int, str, int, str]], *, by) -> list[CouponClaim]:
    """`coupon_grant` for many compensations at once (sweeps): `grants` are (store_id, buyer_ref, amount, reason);
    two bulk inserts (the hidden batches, then their claims), returned claims in the order of `grants`."""
    if not grants:
        return []
    now = timezone.now()
    expires_at = now + settings.PORTAL_TIME_RULES["compensation_coupon_validity"]
    batches = CouponBatch.objects.bulk_create(
        [
            _compensation_batch(store_id, amount, reason, now=now, expires_at=expires_at)
            for store_id, _buyer, amount, reason in grants
        ]
    )
    return CouponClaim.objects.bulk_create(
        [
            CouponClaim(
                coupon=batch,
                store_id=store_id,
                buyer_ref=buyer_ref,
                code=_new_code(),
                claimed_at=now,
                expires_at=expires_at,
            )
            for batch, (store_id, buyer_ref, _amount, _reason) in zip(batches, grants, strict=True)
        ]
    )


@transaction.atomic
def coupon_mark_used(*, claim_id: int, order: Order, by) -> CouponClaim:
    """Mark the buyer's coupon used on `order` (idempotent for the same order)."""
    claim = CouponClaim.objects.select_for_update().filter(pk=claim_id, store_id=order.store_id).first()
    if claim is None or claim.buyer_ref != order.buyer_ref:
        raise ValidationFailed(
            _("优惠券不存在。"), code="coupon_not_found", fields={"coupon_code": [_("优惠券不存在。")]}
        )
    if claim.status == ClaimStatus.USED and claim.order_id == order.pk:
        return claim
    if claim.status == ClaimStatus.USED:
        raise Conflict(_("优惠券已使用。"), code="coupon_used")
    if not claim.is_valid_at(timezone.now()):
        raise Conflict(_("优惠券已过期。"), code="coupon_expired")
    return transition(claim, "use", by=by, reason=order.order_sn, order=order)


@transaction.atomic
def coupon_release(*, order: Order, by) -> list[CouponClaim]:
    """Give back the coupons used on a cancelled order (idempotent)."""
    claims = list(CouponClaim.objects.select_for_update().filter(order=order, status=ClaimStatus.USED))
    for claim in claims:
        transition(claim, "release", by=by, reason=order.order_sn)
    return claims


def coupon_release_many(*, order_ids: list[int], by, reason: str) -> int:
    """`coupon_release` for a batch of cancelled orders: one set-based, audited transition."""
    used = CouponClaim.objects.filter(order_id__in=order_ids, status=ClaimStatus.USED)
    return transition_many(used, "release", by=by, reason=reason, updates={"order": None, "used_at": None})


def coupon_claims_expire() -> int:
    """Move claimed coupons past their expiry to expired; set-based and idempotent."""
    count = 0
    for pk in CouponClaim.objects.filter(status=ClaimStatus.CLAIMED, expires_at__lte=timezone.now()).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            claim = CouponClaim.objects.select_for_update().get(pk=pk)
            if claim.status == ClaimStatus.CLAIMED and claim.is_past_expiry():
                transition(claim, "expire", by="system")
                count += 1
    return count
