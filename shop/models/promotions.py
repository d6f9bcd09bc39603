"""Promotions (营销): limited-time discounts per SKU, spend-and-save tiers, store coupons and their claims.

Amounts in fen. A promotion is in force while its status is `active` and the clock is inside
[starts_at, ends_at); ending one early is a transition (audited) that also moves `ends_at` to now.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class PromotionStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    ENDED = "ended", _("已结束")


class PromotionQuerySet(models.QuerySet):
    def in_force(self, at):
        return self.filter(status=PromotionStatus.ACTIVE, starts_at__lte=at, ends_at__gt=at)


class _Promotion(FSMModelMixin, models.Model):
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = FSMField(_("状态"), default=PromotionStatus.ACTIVE, choices=PromotionStatus.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-starts_at", "-id"]

    def phase(self, at=None) -> str:
        """scheduled / running / over, from the clock (ended early counts as over)."""
        at = at or timezone.now()
        if self.status == PromotionStatus.ENDED or at >= self.ends_at:
            return "over"
        return "scheduled" if at < self.starts_at else "running"

    @transition(field=status, source=PromotionStatus.ACTIVE, target=PromotionStatus.ENDED)
    def end(self) -> None:
        now = timezone.now()
        if self.starts_at < now < self.ends_at:
            self.ends_at = now


class DiscountKind(models.TextChoices):
    PRICE = "price", _("活动价")
    PERMILLE = "permille", _("折扣")


class LimitedTimeDiscount(_Promotion):
    """限时折扣 on one SKU: an activity price, or a per-mille of the price (300 = 3折)."""

    sku = models.ForeignKey("shop.Sku", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="discounts")
    kind = models.CharField(_("优惠方式"), max_length=10, choices=DiscountKind.choices)
    price = models.PositiveIntegerField(_("活动价（分）"), null=True, blank=True)
    permille = models.PositiveSmallIntegerField(
        _("折扣（千分比）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    activity_stock = models.PositiveIntegerField(_("活动库存"), null=True, blank=True)
    per_buyer_limit = models.PositiveIntegerField(_("每人限购"), null=True, blank=True)
    # One activity (活动) covers many SKUs of many products: its rows share `activity` and `name`.
    name = models.CharField(_("活动名称"), max_length=60, blank=True)
    activity = models.UUIDField(_("活动编号"), null=True, blank=True, db_index=True)

    class Meta(_Promotion.Meta):
        verbose_name = _("限时折扣")
        verbose_name_plural = _("限时折扣")
        indexes = [models.Index(fields=["sku", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="ltd_window_valid"),
            models.CheckConstraint(
                condition=models.Q(kind="price", price__isnull=False, permille__isnull=True)
                | models.Q(kind="permille", permille__isnull=False, price__isnull=True),
                name="ltd_kind_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.describe()}"

    def describe(self) -> str:
        if self.kind == DiscountKind.PRICE:
            return _("活动价 ¥%(p)s") % {"p": f"{self.price / 100:.2f}"}
        return _("%(z)s折") % {"z": f"{self.permille / 100:g}"}

    def unit_price(self, base: int) -> int:
        """The discounted unit price of a SKU whose single-buy price is `base` (never above it)."""
        if self.kind == DiscountKind.PRICE:
            return min(base, self.price)
        return min(base, (base * self.permille + 500) // 1000)  # round half up to the fen


class DiscountRedemption(models.Model):
    """Units an order bought at a limited-time discount: counts against activity stock and the buyer limit."""

    discount = models.ForeignKey(LimitedTimeDiscount, on_delete=models.CASCADE, related_name="redemptions")
    order = models.ForeignKey("shop.Order", on_delete=models.CASCADE, related_name="+")
    buyer_ref = models.CharField(max_length=64)
    units = models.PositiveIntegerField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["discount", "order"], name="redemption_once_per_order")]
        indexes = [models.Index(fields=["discount", "buyer_ref"])]


class SpendAndSave(_Promotion):
    """满减 on a store's subtotal: tiers [{"threshold": fen, "discount": fen}], the best reached tier applies."""

    name = models.CharField(_("活动名称"), max_length=60)
    tiers = models.JSONField(_("满减档位"), default=list)
    # The products the campaign is for (ids of the store's products); empty means the whole store.
    product_ids = models.JSONField(_("指定商品"), default=list, blank=True)

    class Meta(_Promotion.Meta):
        verbose_name = _("满减活动")
        verbose_name_plural = _("满减活动")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="sas_window_valid")
        ]

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        return ", ".join(
            _("满%(t)s减%(d)s") % {"t": f"{t['threshold'] / 100:g}", "d": f"{t['discount'] / 100:g}"}
            for t in sorted(self.tiers, key=lambda t: t["threshold"])
        )

    def applies_to(self, product_id: int) -> bool:
        return not self.product_ids or product_id in self.product_ids

    def best_tier(self, subtotal: int) -> dict | None:
        reached = [t for t in self.tiers if t["threshold"] <= subtotal]
        return max(reached, key=lambda t: (t["discount"], t["threshold"]), default=None)


class SecondItemDiscount(_Promotion):
    """满2件折扣 on one product: in one order, every second unit of the product (across its SKUs, the cheaper
    units first) costs `permille` of its price (850 = 8.5折)."""

    product = models.ForeignKey(
        "shop.Product", verbose_name=_("商品"), on_delete=models.CASCADE, related_name="second_item_discounts"
    )
    permille = models.PositiveSmallIntegerField(
        _("第二件折扣（千分比）"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )

    class Meta(_Promotion.Meta):
        verbose_name = _("满2件折扣")
        verbose_name_plural = _("满2件折扣")
        indexes = [models.Index(fields=["product", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="sid_window_valid"),
            models.CheckConstraint(condition=models.Q(permille__gte=1, permille__lte=999), name="sid_permille_range"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.describe()}"

    def describe(self) -> str:
        return _("第二件 %(z)s折") % {"z": f"{self.permille / 100:g}"}


class LeaderFree(_Promotion):
    """团长免单 on one product: a group opened on it while this runs, and while places are left, is a free order for
    its leader. The place is taken when the group opens and given back if it fails; when the group forms, the
    leader's payment is refunded in full and recorded as the order's leader-free discount (seller-funded)."""

    product = models.ForeignKey(
        "shop.Product", verbose_name=_("商品"), on_delete=models.CASCADE, related_name="leader_free_promotions"
    )
    quantity = models.PositiveIntegerField(_("免单名额"), validators=[MinValueValidator(1)])
    used_count = models.PositiveIntegerField(_("已占用名额"), default=0)

    class Meta(_Promotion.Meta):
        verbose_name = _("团长免单")
        verbose_name_plural = _("团长免单")
        indexes = [models.Index(fields=["product", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="lf_window_valid"),
            models.CheckConstraint(condition=models.Q(used_count__lte=models.F("quantity")), name="lf_used_lte_qty"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.describe()}"

    def describe(self) -> str:
        return _("团长免单 · %(n)d 个名额") % {"n": self.quantity}


class CouponKind(models.TextChoices):
    THRESHOLD = "threshold", _("满减券")
    PERCENTAGE = "percentage", _("折扣券")


class CouponSource(models.TextChoices):
    """Who issued a batch, and so who funds its discount (shop.services.pricing.DISCOUNT_FUNDERS)."""

    STORE = "store", _("店铺券")  # the merchant's own: the seller's discount
    PLATFORM = "platform", _("平台补贴券")  # staff issue it in a store; the platform pays its discount back
    COMPENSATION = "compensation", _("赔付券")  # one coupon granted to a buyer, already paid from the deposit


class CouponBatch(_Promotion):
    """A batch of coupons buyers claim between starts_at and ends_at.

    A claim is valid until ends_at, or `valid_days` after it was claimed when that is set.
    Store-wide unless `products` are chosen. `source` says who issued it: the store, the platform (平台补贴券:
    listed and claimed like the store's, its discount is the platform's share and credited back to the merchant
    with the order's payout), or a compensation (one coupon granted to a buyer by
    shop.services.promotions.coupon_grant: never listed to buyers nor claimable).
    """

    name = models.CharField(_("优惠券名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=12, choices=CouponKind.choices)
    threshold = models.PositiveIntegerField(_("使用门槛（分）"), default=0)
    amount = models.PositiveIntegerField(_("减免金额（分）"), null=True, blank=True)
    percent_off = models.PositiveSmallIntegerField(
        _("折扣比例（%）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    cap = models.PositiveIntegerField(_("最高优惠（分）"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("发行数量"), validators=[MinValueValidator(1)])
    claimed_count = models.PositiveIntegerField(_("已领取"), default=0)
    per_user_limit = models.PositiveSmallIntegerField(_("每人限领"), default=1, validators=[MinValueValidator(1)])
    valid_days = models.PositiveSmallIntegerField(_("领取后有效天数"), null=True, blank=True)
    products = models.ManyToManyField("shop.Product", verbose_name=_("指定商品"), blank=True, related_name="+")
    source = models.CharField(_("发券方"), max_length=12, choices=CouponSource.choices, default=CouponSource.STORE)

    class Meta(_Promotion.Meta):
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="coupon_window_valid"),
            models.CheckConstraint(
                condition=models.Q(claimed_count__lte=models.F("quantity")), name="coupon_claimed_lte_quantity"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="threshold", amount__isnull=False)
                | models.Q(kind="percentage", percent_off__isnull=False),
                name="coupon_kind_value",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self) -> int:
        return self.quantity - self.claimed_count

    @property
    def is_platform(self) -> bool:
        """A 平台补贴券: the platform funds its discount."""
        return self.source == CouponSource.PLATFORM

    def describe(self) -> str:
        head = _("满%(t)s") % {"t": f"{self.threshold / 100:g}"} if self.threshold else _("无门槛")
        if self.kind == CouponKind.THRESHOLD:
            return head + _("减%(a)s") % {"a": f"{self.amount / 100:g}"}
        text = head + _("打%(z)s折") % {"z": f"{(100 - self.percent_off) / 10:g}"}
        if self.cap:
            text += _("，最高减%(c)s") % {"c": f"{self.cap / 100:g}"}
        return text

    def discount_for(self, eligible: int) -> int:
        """What this coupon takes off an eligible subtotal that reached the threshold."""
        if self.kind == CouponKind.THRESHOLD:
            off = self.amount
        else:
            off = (eligible * self.percent_off + 50) // 100
            if self.cap:
                off = min(off, self.cap)
        return min(off, eligible)


class PlatformCoupon(CouponBatch):
    """The batches of `source` platform, as the admin shows them: their own page and permissions (finance issues
    them), apart from the stores' own coupons."""

    class Meta:
        proxy = True
        verbose_name = _("平台补贴券")
        verbose_name_plural = _("平台补贴券")


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("未使用")
    USED = "used", _("已使用")
    EXPIRED = "expired", _("已过期")


class CouponClaim(FSMModelMixin, models.Model):
    """One buyer's coupon; `code` is what the storefront passes when the buyer orders."""

    coupon = models.ForeignKey(CouponBatch, on_delete=models.CASCADE, related_name="claims")
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="+")
    buyer_ref = models.CharField(_("买家"), max_length=64, db_index=True)
    code = models.CharField(_("券码"), max_length=16, unique=True)
    status = FSMField(_("状态"), default=ClaimStatus.CLAIMED, choices=ClaimStatus.choices, protected=True)
    claimed_at = models.DateTimeField(_("领取时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    order = models.ForeignKey(
        "shop.Order", verbose_name=_("使用订单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        indexes = [models.Index(fields=["coupon", "buyer_ref"]), models.Index(fields=["status", "expires_at"])]
        verbose_name = _("领券记录")
        verbose_name_plural = _("领券记录")

    def __str__(self) -> str:
        return f"{self.code} ({self.buyer_ref})"

    def is_valid_at(self, at) -> bool:
        return self.status == ClaimStatus.CLAIMED and self.claimed_at <= at < self.expires_at

    def is_past_expiry(self) -> bool:
        return timezone.now() >= self.expires_at

    @transition(field=status, source=ClaimStatus.CLAIMED, target=ClaimStatus.USED)
    def use(self, order=None) -> None:
        self.order = order
        self.used_at = timezone.now()

    @transition(field=status, source=ClaimStatus.USED, target=ClaimStatus.CLAIMED)
    def release(self) -> None:
        self.order = None
        self.used_at = None

    @transition(field=status, source=ClaimStatus.CLAIMED, target=ClaimStatus.EXPIRED, conditions=[is_past_expiry])
    def expire(self) -> None:
        pass
