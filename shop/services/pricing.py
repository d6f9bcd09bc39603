"""The one pricing function: an order's price from SKUs, quantities, buy mode and active promotions.

Rules, applied in this order (each discount itemised in `quote.discounts` and split onto lines):

1. Unit price: single buy pays the SKU's `price`, group buy its `group_price`.
2. Limited-time discount (限时折扣) of the SKU in force at `at`: its promotional unit price is computed from the
   single-buy price. A single buyer pays that price; a group buyer pays the lower of the group price and the
   promotional price: the discount never stacks on top of the group price. Units beyond the activity's remaining
   stock or the buyer's remaining per-buyer limit pay the normal unit price.
3. Second-item discount (满2件折扣) of a product in force at `at`: of the order's units of that product (any of
   its SKUs), every second one costs the promotion's per-mille of what it costs after step 2, the cheaper units
   taking it first (3 units: one at the discount; 4: two).
4. Spend-and-save (满减): the best tier reached by the subtotal after step 2, over every campaign of the store in
   force, is taken off that subtotal (after step 3).
5. Coupon: the buyer's claimed coupon (`coupon_code`), checked against the subtotal of its eligible lines after
   steps 2 to 4 (store-wide: every line; per product: that product's lines).

Who funds each discount (DOMAIN.md Orders: amounts) is `DISCOUNT_FUNDERS` by kind: the store's promotions and
coupons are the seller's; a 平台补贴券 (coupon of source platform, kind `platform_coupon`) is the platform's, paid
back to the merchant with the order's payout (shop.services.funds.payout_credit_completed). The group leader's
free order (团长免单, kind `leader_free`) is not priced here: the leader pays, and the payment is refunded when the
group forms (shop.services.orders.groups), recorded then as the order's leader-free share.

Each discount is split onto its lines in proportion to what they still cost (largest remainder, integer fen), so
every line's paid amount is whole fen, never negative, and the lines add up to the order's total exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed
from shop.models import (
    CouponClaim,
    DiscountRedemption,
    LimitedTimeDiscount,
    SecondItemDiscount,
    Sku,
    SpendAndSave,
    Store,
)
from shop.models.orders import BuyMode
from shop.models.promotions import ClaimStatus

from .promotions_cache import active_promotions


@dataclass
class PricedLine:
    sku: Sku
    quantity: int
    unit_price: int  # fen, before discounts
    discount: int = 0  # fen, this line's share of every discount

    @property
    def goods_amount(self) -> int:
        return self.unit_price * self.quantity

    @property
    def paid_amount(self) -> int:
        return self.goods_amount - self.discount


# Who pays for each kind of discount: the seller (store promotions, coupons), the platform, or the group
# leader's free order. Shares are kept on the order besides the total.
DISCOUNT_FUNDERS = {
    "limited_time": "seller",
    "second_item": "seller",
    "spend_and_save": "seller",
    "coupon": "seller",
    "platform_coupon": "platform",
    "leader_free": "leader_free",
}
COUPON_KINDS = ("coupon", "platform_coupon")
FUNDERS = ("seller", "platform", "leader_free")


@dataclass
class PriceQuote:
    lines: list[PricedLine]
    postage: int = 0
    discounts: list[dict] = field(default_factory=list)  # [{"kind", "label", "amount", ...ids}]

    @property
    def goods_amount(self) -> int:
        return sum(line.goods_amount for line in self.lines)

    @property
    def discount_amount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def paid_amount(self) -> int:
        return self.goods_amount - self.discount_amount + self.postage

    def discount_shares(self) -> dict[str, int]:
        """The discount total split by who funds it: {"seller", "platform", "leader_free"} in fen."""
        shares = dict.fromkeys(FUNDERS, 0)
        for d in self.discounts:
            shares[DISCOUNT_FUNDERS[d["kind"]]] += d["amount"]
        return shares

    @property
    def coupon_claim_id(self) -> int | None:
        return next((d["claim_id"] for d in self.discounts if d["kind"] in COUPON_KINDS), None)


def price_order(
    *,
    store: Store,
    lines: list[tuple[Sku, int]],
    buy_mode: str = BuyMode.SINGLE,
    buyer_ref: str = "",
    coupon_code: str | None = None,
    at: datetime | None = None,
) -> PriceQuote:
    """Price an order. `lines` are (sku, quantity) of one store; `at` defaults to now.

    Raises ValidationFailed (field `items` or `coupon_code`) for lines of another store, bad quantities or a
    coupon this buyer cannot use on this order.
    """
    at = at or timezone.now()
    if not lines:
        raise ValidationFailed(_("订单至少需要一件商品。"), code="empty_order", fields={"items": [_("不能为空。")]})
    for sku, quantity in lines:
        if quantity < 1:
            raise ValidationFailed(_("购买数量至少为 1。"), code="bad_quantity", fields={"items": [_("数量无效。")]})
        if sku.product.store_id != store.pk:
            raise ValidationFailed(_("商品不属于该店铺。"), code="sku_not_in_store", fields={"items": [str(sku.pk)]})
    group = buy_mode == BuyMode.GROUP
    quote = PriceQuote(
        lines=[PricedLine(sku=sku, quantity=q, unit_price=sku.group_price if group else sku.price) for sku, q in lines]
    )
    discounts, campaigns, second_items = active_promotions(store=store, at=at)  # one cache read for the three
    _apply_limited_time(quote, discounts, buyer_ref=buyer_ref)
    _apply_second_item(quote, second_items)
    _apply_spend_and_save(quote, campaigns)
    if coupon_code:
        _apply_coupon(quote, store=store, buyer_ref=buyer_ref, code=coupon_code.strip(), at=at)
    return quote


def split_amount(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` fen in proportion to `weights` (largest remainder); each share ≤ its weight."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    amount = min(amount, total)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def _spread(quote: PriceQuote, lines: list[PricedLine], amount: int) -> int:
    shares = split_amount(amount, [line.paid_amount for line in lines])
    for line, share in zip(lines, shares, strict=True):
        line.discount += share
    return sum(shares)


def _apply_limited_time(quote: PriceQuote, in_force: list[LimitedTimeDiscount], *, buyer_ref: str) -> None:
    sku_ids = {line.sku.pk for line in quote.lines}
    discounts = {p.sku_id: p for p in in_force if p.sku_id in sku_ids}
    if not discounts:
        return
    used = (
        DiscountRedemption.objects.filter(discount__in=discounts.values(), released_at__isnull=True)
        .values("discount_id")
        .annotate(total=Sum("units"), mine=Sum("units", filter=Q(buyer_ref=buyer_ref)))
    )
    sold = {row["discount_id"]: row["total"] or 0 for row in used}
    mine = {row["discount_id"]: (row["mine"] or 0) if buyer_ref else 0 for row in used}
    left: dict[int, float] = defaultdict(lambda: float("inf"))
    for live in discounts.values():
        if live.activity_stock is not None:
            left[live.pk] = live.activity_stock - sold.get(live.pk, 0)
        if live.per_buyer_limit is not None:
            left[live.pk] = min(left[live.pk], live.per_buyer_limit - mine.get(live.pk, 0))
    for line in quote.lines:
        d = discounts.get(line.sku.pk)
        if d is None:
            continue
        off_per_unit = line.unit_price - d.unit_price(line.sku.price)
        units = int(min(line.quantity, max(left[d.pk], 0)))
        if off_per_unit <= 0 or units <= 0:
            continue
        left[d.pk] -= units
        amount = off_per_unit * units
        line.discount += amount
        quote.discounts.append(
            {
                "kind": "limited_time",
                "label": _("限时折扣 · %(d)s") % {"d": d.describe()},
                "amount": amount,
                "discount_id": d.pk,
                "sku_id": line.sku.pk,
                "units": units,
            }
        )


def _apply_second_item(quote: PriceQuote, in_force: list[SecondItemDiscount]) -> None:
    """满2件折扣: per product with a promotion in force, half its units (rounded down), the cheapest first, cost the
    promotion's per-mille of their price after the limited-time discount."""
    promotions = {p.product_id: p for p in in_force}
    by_product: dict[int, list[PricedLine]] = defaultdict(list)
    for line in quote.lines:
        if line.sku.product_id in promotions:
            by_product[line.sku.product_id].append(line)
    for product_id, lines in by_product.items():
        promotion = promotions[product_id]
        units = sum(line.quantity for line in lines) // 2
        amount = 0
        for line in sorted(lines, key=lambda line: line.paid_amount / line.quantity):
            taken = min(units, line.quantity)
            if taken <= 0:
                break
            unit = line.paid_amount // line.quantity
            off = unit * taken - (unit * taken * promotion.permille + 500) // 1000  # round half up to the fen
            line.discount += off
            amount += off
            units -= taken
        if amount > 0:
            quote.discounts.append(
                {
                    "kind": "second_item",
                    "label": _("满2件折扣 · %(d)s") % {"d": promotion.describe()},
                    "amount": amount,
                    "promotion_id": promotion.pk,
                    "product_id": product_id,
                }
            )


def _apply_spend_and_save(quote: PriceQuote, in_force: list[SpendAndSave]) -> None:
    """The best reached tier of the campaigns in force; a campaign for chosen products counts only their lines."""
    best: tuple[dict, SpendAndSave, list[PricedLine]] | None = None
    for campaign in in_force:
        lines = [line for line in quote.lines if campaign.applies_to(line.sku.product_id)]
        tier = campaign.best_tier(sum(line.paid_amount for line in lines))
        if tier and (best is None or tier["discount"] > best[0]["discount"]):
            best = (tier, campaign, lines)
    if best is None:
        return
    tier, campaign, lines = best
    amount = _spread(quote, lines, tier["discount"])
    quote.discounts.append(
        {
            "kind": "spend_and_save",
            "label": _("满减 · 满%(t)s减%(d)s")
            % {"t": f"{tier['threshold'] / 100:g}", "d": f"{tier['discount'] / 100:g}"},
            "amount": amount,
            "promotion_id": campaign.pk,
            "threshold": tier["threshold"],
        }
    )


def _coupon_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"coupon_code": [message]})


def _apply_coupon(quote: PriceQuote, *, store: Store, buyer_ref: str, code: str, at: datetime) -> None:
    claim = CouponClaim.objects.select_related("coupon").filter(code=code, store=store).first()
    if claim is None:
        raise _coupon_error(_("优惠券不存在。"), "coupon_not_found")
    if not buyer_ref or claim.buyer_ref != buyer_ref:
        raise _coupon_error(_("这张优惠券不属于该买家。"), "coupon_not_yours")
    if claim.status == ClaimStatus.USED:
        raise _coupon_error(_("优惠券已使用。"), "coupon_used")
    if not claim.is_valid_at(at):
        raise _coupon_error(_("优惠券已过期或尚未生效。"), "coupon_expired")
    coupon = claim.coupon
    product_ids = {p.pk for p in coupon.products.all()}
    eligible = [line for line in quote.lines if not product_ids or line.sku.product_id in product_ids]
    if not eligible:
        raise _coupon_error(_("优惠券不适用于订单中的商品。"), "coupon_not_applicable")
    subtotal = sum(line.paid_amount for line in eligible)
    if subtotal < coupon.threshold or subtotal == 0:
        raise _coupon_error(
            _("未达到优惠券使用门槛，还差 %(y)s 元。") % {"y": f"{(coupon.threshold - subtotal) / 100:.2f}"},
            "coupon_threshold_not_met",
        )
    amount = _spread(quote, eligible, coupon.discount_for(subtotal))
    platform = coupon.is_platform
    quote.discounts.append(
        {
            "kind": "platform_coupon" if platform else "coupon",
            "label": (_("平台补贴券 · %(n)s（%(d)s）") if platform else _("优惠券 · %(n)s（%(d)s）"))
            % {"n": coupon.name, "d": coupon.describe()},
            "amount": amount,
            "coupon_id": coupon.pk,
            "claim_id": claim.pk,
        }
    )
