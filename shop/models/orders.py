"""Orders and their state machine (DESIGN.md: Order). Amounts in fen."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .catalog import SERVICE_FLAG_LABELS, ServiceFlagsMixin


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    GROUPING = "grouping", _("拼团中")
    PAID = "paid", _("待发货")
    SHIPPED = "shipped", _("已发货")
    DELIVERED = "delivered", _("已签收")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


# While an order is yet to ship the merchant needs the recipient's phone; afterwards it is masked.
PHONE_SHOWN_STATUSES = (OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING, OrderStatus.PAID)


def recipient_phone_shown(phone: str, *, order_status: str, shipped: bool) -> str:
    """The one rule for showing a recipient's phone (DOMAIN.md), on every page, API, CSV and label:
    in full only while the order is to be shipped, masked (138****5678) once it shipped or closed."""
    if order_status in PHONE_SHOWN_STATUSES and not shipped:
        return phone
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) > 7 else "****"


class MemoFlag(models.TextChoices):
    """The coloured flag of the merchant's memo (商家备注), the merchant's own sorting of orders."""

    RED = "red", _("红旗")
    YELLOW = "yellow", _("黄旗")
    GREEN = "green", _("绿旗")
    BLUE = "blue", _("蓝旗")
    PURPLE = "purple", _("紫旗")


class BuyMode(models.TextChoices):
    SINGLE = "single", _("单独购买")
    GROUP = "group", _("拼团")


def new_order_sn(at=None) -> str:
    """The platform's order number: `YYMMDD-` (local date) followed by 15 random digits."""
    day = timezone.localtime(at or timezone.now()).strftime("%y%m%d")
    return f"{day}-{secrets.randbelow(10**15):015d}"


class GroupStatus(models.TextChoices):
    OPEN = "open", _("拼团中")
    FORMED = "formed", _("已成团")
    FAILED = "failed", _("拼团失败")


class GroupBuy(FSMModelMixin, models.Model):
    """A group buy (拼团) of one product: the leader opens it, others join until `size` have paid."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="group_buys")
    product = models.ForeignKey("shop.Product", on_delete=models.PROTECT, related_name="group_buys")
    leader_ref = models.CharField(_("团长"), max_length=64)
    size = models.PositiveSmallIntegerField(_("成团人数"))
    status = FSMField(_("状态"), default=GroupStatus.OPEN, choices=GroupStatus.choices, protected=True)
    created_at = models.DateTimeField(_("开团时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("截止时间"), db_index=True)
    formed_at = models.DateTimeField(_("成团时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    # The 团长免单 whose place this group's leader holds (taken at opening, given back if the group fails)
    leader_free = models.ForeignKey(
        "shop.LeaderFree", verbose_name=_("团长免单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        verbose_name = _("拼团")
        verbose_name_plural = _("拼团")

    def __str__(self) -> str:
        return f"G{self.pk} {self.product_id}×{self.size}"

    @transition(field=status, source=GroupStatus.OPEN, target=GroupStatus.FORMED)
    def form(self) -> None:
        self.formed_at = timezone.now()

    @transition(field=status, source=GroupStatus.OPEN, target=GroupStatus.FAILED)
    def fail(self) -> None:
        self.failed_at = timezone.now()


class Order(ServiceFlagsMixin, FSMModelMixin, models.Model):
    order_sn = models.CharField(_("订单号"), max_length=22)  # unique: `order_sn_unique` in Meta
    # No index of its own: every per-store query is served by a (store, …) index below
    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="orders", db_index=False)
    buyer_ref = models.CharField(_("买家"), max_length=64)  # indexed in Meta (equality only)
    buy_mode = models.CharField(_("购买方式"), max_length=10, choices=BuyMode.choices, default=BuyMode.SINGLE)
    group = models.ForeignKey(  # indexed for group orders only (`order_group` in Meta)
        GroupBuy,
        verbose_name=_("拼团"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    coupon_code = models.CharField(_("优惠券"), max_length=40, blank=True)
    status = FSMField(_("状态"), default=OrderStatus.PENDING_PAYMENT, choices=OrderStatus.choices, protected=True)
    # Recipient
    recipient_name = models.CharField(_("收件人"), max_length=30)
    recipient_phone = models.CharField(_("收件人手机"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区/县"), max_length=30)
    street = models.CharField(_("详细地址"), max_length=120)
    buyer_note = models.CharField(_("买家留言"), max_length=200, blank=True)
    # The merchant's own memo and flag (商家备注), never shown to the buyer
    merchant_memo = models.CharField(_("商家备注"), max_length=200, blank=True)
    memo_flag = models.CharField(_("备注旗帜"), max_length=10, choices=MemoFlag.choices, blank=True)
    # Money (fen): paid = goods - discounts + postage
    goods_amount = models.PositiveIntegerField(_("商品金额"), default=0)
    discount_amount = models.PositiveIntegerField(_("优惠金额"), default=0)
    # discount_amount split by who funds it (DOMAIN.md Orders: amounts; shop.services.pricing.DISCOUNT_FUNDERS)
    seller_discount = models.PositiveIntegerField(_("商家优惠"), default=0)
    platform_discount = models.PositiveIntegerField(_("平台优惠"), default=0)
    leader_free_discount = models.PositiveIntegerField(_("团长免单优惠"), default=0)
    postage = models.PositiveIntegerField(_("运费"), default=0)
    paid_amount = models.PositiveIntegerField(_("实付金额"), default=0)
    discounts = models.JSONField(_("优惠明细"), default=list, blank=True)
    # Cross-border direct mail (跨境直邮): set at placement when any of its goods is; the ship-by and receipt
    # deadlines are stored from it, so the sweeps reading those columns honour it without per-row work.
    cross_border = models.BooleanField(_("跨境直邮"), default=False)
    # The service promises bought (shop.models.catalog.SERVICE_FLAGS): set at placement when any of its goods has it
    no_logistics = models.BooleanField(SERVICE_FLAG_LABELS["no_logistics"], default=False)
    privacy_shipping = models.BooleanField(SERVICE_FLAG_LABELS["privacy_shipping"], default=False)
    bad_fruit_claim = models.BooleanField(SERVICE_FLAG_LABELS["bad_fruit_claim"], default=False)
    short_weight_claim = models.BooleanField(SERVICE_FLAG_LABELS["short_weight_claim"], default=False)
    home_install = models.BooleanField(SERVICE_FLAG_LABELS["home_install"], default=False)
    free_sf = models.BooleanField(SERVICE_FLAG_LABELS["free_sf"], default=False)
    # Time
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    grouped_at = models.DateTimeField(_("成团时间"), null=True, blank=True)
    ship_by = models.DateTimeField(_("承诺发货时间"), null=True, blank=True)  # indexed with status
    ship_by_warned_at = models.DateTimeField(_("发货时限提醒时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    receipt_deadline = models.DateTimeField(_("自动确认收货时间"), null=True, blank=True)
    receipt_extended = models.BooleanField(_("已延长收货"), default=False)
    # Shipping and risk
    courier_code = models.CharField(_("快递公司"), max_length=10, blank=True)
    waybill_no = models.CharField(_("运单号"), max_length=30, blank=True)  # indexed in Meta (equality only)
    shipped_via = models.CharField(_("发货方式"), max_length=10, blank=True)  # "self", "booking" or "none"
    waybill_at = models.DateTimeField(_("运单录入时间"), null=True, blank=True)
    fake_shipping_at = models.DateTimeField(_("虚假发货判定时间"), null=True, blank=True)
    risk_hold = models.BooleanField(_("风控审核中"), default=False)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    # Payouts (shop.services.funds): where the order's money is, so the payouts sweep reads only what is due
    payout_credited_at = models.DateTimeField(_("货款入账时间"), null=True, blank=True)
    payout_available_at = models.DateTimeField(_("货款可结算时间"), null=True, blank=True)
    payout_settled_at = models.DateTimeField(_("货款结算时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every index is written by every insert and by every sweep's bulk UPDATE (a status change is never a HOT
        # update): 2M rows want as few as the queries need, partial where only some rows are ever looked up.
        constraints = [
            # One index for uniqueness, lookups and the order-number prefix search: `varchar_pattern_ops` serves `=`
            # and `LIKE 'prefix%'` alike (`unique=True` would add a second, plain btree twin).
            models.UniqueConstraint(fields=["order_sn"], name="order_sn_unique", opclasses=["varchar_pattern_ops"]),
        ]
        indexes = [
            # The order list's keyset order, whole (`-created_at, -id`): with the id in the index a page is its first
            # rows, no sort. Together with the connections' SSD page cost (settings: `random_page_cost`) PostgreSQL
            # then takes these over the plain `created_at` index and its filter, which it took for 已完成 (old rows:
            # 311,000 newer orders of other stores skipped, 130–760 ms) and would for any store whose orders are not
            # the newest.
            models.Index(fields=["store", "status", "-created_at", "-id"], name="order_store_status_recent"),
            models.Index(fields=["store", "-created_at", "-id"], name="order_store_recent"),
            models.Index(fields=["status", "ship_by"]),
            # Dashboard and data page: per-store ranges by day paid (by day created: `order_store_recent`).
            models.Index(fields=["store", "paid_at"]),
            # Order-list search (shop.selectors.orders.search_q): exact phone, name prefix.
            models.Index(fields=["store", "recipient_phone"], name="order_store_phone"),
            models.Index(
                fields=["store", "recipient_name"],
                name="order_store_name_prefix",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # The list's flag filter (商家备注旗帜): flagged orders only, in the list's keyset order.
            models.Index(
                "store",
                "memo_flag",
                F("created_at").desc(),
                F("id").desc(),
                condition=~Q(memo_flag=""),
                name="order_store_flag",
            ),
            # Looked up by equality only (a buyer's orders; a waybill already in use): one plain btree each, without
            # the `varchar_pattern_ops` twin `db_index=True` adds to a CharField (two index writes per bulk update)
            models.Index(fields=["buyer_ref"], name="order_buyer_ref"),
            models.Index(fields=["group"], condition=Q(group__isnull=False), name="order_group"),
            models.Index(fields=["waybill_no"], name="order_waybill_no"),
            # Sweeps (shop.services.orders.deadlines): small partial indexes holding only the rows a rule may
            # take, so an idle tick reads a few index pages instead of scanning 2M orders.
            models.Index(fields=["created_at"], condition=Q(status="pending_payment"), name="order_unpaid_created"),
            models.Index(
                fields=["receipt_deadline"], condition=Q(status__in=["shipped", "delivered"]), name="order_receipt_due"
            ),
            models.Index(Coalesce("grouped_at", "paid_at"), condition=Q(status="paid"), name="order_paid_clock"),
            models.Index(fields=["shipped_at"], condition=Q(shipped_at__gt=F("ship_by")), name="order_shipped_late"),
            models.Index(
                fields=["waybill_at"],
                condition=Q(shipped_via="self", fake_shipping_at__isnull=True),
                name="order_self_waybill_open",
            ),
            # Payouts: completed orders not yet credited, and credits not yet settled (both empty when idle).
            models.Index(
                fields=["completed_at"],
                condition=Q(status="completed", payout_credited_at__isnull=True),
                name="order_payout_uncredited",
            ),
            models.Index(
                fields=["payout_available_at"],
                condition=Q(payout_available_at__isnull=False, payout_settled_at__isnull=True),
                name="order_payout_unsettled",
            ),
            # Default reviews (aftersales.services.deadlines): orders received, by when (delivery or completion).
            models.Index(
                Coalesce("delivered_at", "completed_at"),
                condition=Q(status__in=["delivered", "completed"]),
                name="order_received_at",
            ),
        ]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")

    def __str__(self) -> str:
        return self.order_sn

    # Guards
    def is_shippable(self) -> bool:
        return not self.risk_hold

    @property
    def is_free_leader(self) -> bool:
        """The buyer leads a group holding a 团长免单 place: their payment comes back when the group forms."""
        return (
            self.group is not None and self.group.leader_free_id is not None and self.group.leader_ref == self.buyer_ref
        )

    @property
    def ship_clock_at(self):
        """When the ship-by clock started: group formation, or payment for a single buy."""
        return self.grouped_at or self.paid_at

    @property
    def pay_by(self):
        return self.created_at + settings.PORTAL_TIME_RULES["unpaid_auto_cancel"]

    def waiting_on(self) -> tuple[str, object]:
        """What the order waits on now and until when: ("pay_by" | "group_expires_at" | "ship_by" |
        "receipt_deadline", deadline), or ("", None) once it is completed or cancelled."""
        if self.status == OrderStatus.PENDING_PAYMENT:
            return "pay_by", self.pay_by
        if self.status == OrderStatus.GROUPING:
            return "group_expires_at", self.group.expires_at if self.group_id else None
        if self.status == OrderStatus.PAID:
            return "ship_by", self.ship_by
        if self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            return "receipt_deadline", self.receipt_deadline
        return "", None

    def next_deadline(self):
        """The deadline the order is waiting on now (the list's countdown column), or None."""
        return self.waiting_on()[1]

    def masked_phone(self) -> str:
        """The recipient's phone as it may be shown now (`recipient_phone_shown`)."""
        return recipient_phone_shown(self.recipient_phone, order_status=self.status, shipped=bool(self.shipped_at))

    # Transitions (pure, in memory); services in shop/services/orders.py persist and audit them.
    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.PAID)
    def pay(self, ship_within: timedelta) -> None:
        self.paid_at = timezone.now()
        self.ship_by = self.paid_at + ship_within

    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.GROUPING)
    def pay_into_group(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=OrderStatus.GROUPING, target=OrderStatus.PAID)
    def form_group(self, ship_within: timedelta) -> None:
        self.grouped_at = timezone.now()
        self.ship_by = self.grouped_at + ship_within

    @transition(
        field=status,
        source=[OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING, OrderStatus.PAID],
        target=OrderStatus.CANCELLED,
    )
    def cancel(self, cancel_reason: str = "") -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = cancel_reason[:200]

    @transition(field=status, source=OrderStatus.PAID, target=OrderStatus.SHIPPED, conditions=[is_shippable])
    def ship(self, courier_code: str, waybill_no: str, via: str) -> None:
        self.shipped_at = timezone.now()
        rule = "cross_border_auto_confirm_receipt" if self.cross_border else "auto_confirm_receipt"
        self.receipt_deadline = self.shipped_at + settings.PORTAL_TIME_RULES[rule]
        self.courier_code, self.waybill_no, self.shipped_via = courier_code, waybill_no, via
        self.waybill_at = self.shipped_at

    # Same-state field edits (not transitions): `portal.fsm.edit(order, verb, ...)` checks `can_<verb>()`,
    # runs the method, saves and audits it with the verb's timeline phrase.
    def can_reship(self) -> bool:
        return self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)

    def reship(self, courier_code: str, waybill_no: str) -> None:
        """Change the courier or waybill of a shipped order; the fake-shipping clock restarts."""
        self.courier_code, self.waybill_no = courier_code, waybill_no
        self.waybill_at = timezone.now()
        self.fake_shipping_at = None

    def can_flag_fake_shipping(self) -> bool:
        return self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)

    def flag_fake_shipping(self) -> None:
        self.fake_shipping_at = timezone.now()

    def can_extend_receipt(self) -> bool:
        """The buyer extends the auto-confirm window once, while the order waits on receipt."""
        return self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and not self.receipt_extended

    def extend_receipt(self) -> None:
        self.receipt_deadline += settings.PORTAL_TIME_RULES["receipt_extension"]
        self.receipt_extended = True

    def can_change_address(self) -> bool:
        """The buyer changes the recipient only before shipping."""
        return self.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING, OrderStatus.PAID)

    def change_address(self, **recipient: str) -> None:
        for name, value in recipient.items():
            setattr(self, name, value)

    def can_change_buyer_note(self) -> bool:
        """The buyer's memo to the seller (买家留言) can change until the order ships."""
        return self.can_change_address()

    def change_buyer_note(self, buyer_note: str) -> None:
        self.buyer_note = buyer_note

    def can_set_risk_hold(self) -> bool:
        return True  # staff may hold or release an order in any state

    def set_risk_hold(self, hold: bool) -> None:
        self.risk_hold = hold

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED)
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(field=status, source=[OrderStatus.SHIPPED, OrderStatus.DELIVERED], target=OrderStatus.COMPLETED)
    def complete(self) -> None:
        self.completed_at = timezone.now()


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("shop.Sku", on_delete=models.PROTECT, related_name="+")
    product_title = models.CharField(_("商品"), max_length=60)
    sku_spec = models.CharField(_("规格"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("数量"))
    unit_price = models.PositiveIntegerField(_("单价（分）"))
    discount = models.PositiveIntegerField(_("优惠（分）"), default=0)
    paid_amount = models.PositiveIntegerField(_("实付（分）"), default=0)
    refunded_amount = models.PositiveIntegerField(_("已退款（分）"), default=0)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("订单商品")
        verbose_name_plural = _("订单商品")

    def __str__(self) -> str:
        return f"{self.product_title} × {self.quantity}"


class CompensationKind(models.TextChoices):
    LATE_SHIPPING = "late_shipping", _("延迟发货")
    NOT_SHIPPED = "not_shipped", _("超时未发货投诉")
    FAKE_SHIPPING = "fake_shipping", _("虚假发货")


class CompensationStatus(models.TextChoices):
    PENDING = "pending", _("待扣款")
    SETTLED = "settled", _("已从保证金扣除")
    WAIVED = "waived", _("已免除")


class Compensation(FSMModelMixin, models.Model):
    """A penalty paid to the buyer (as a no-threshold coupon credit), deducted from the store's deposit."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="compensations")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="compensations")
    buyer_ref = models.CharField(_("买家"), max_length=64)
    kind = models.CharField(_("类型"), max_length=20, choices=CompensationKind.choices)
    amount = models.PositiveIntegerField(_("金额（分）"))
    status = FSMField(_("状态"), default=CompensationStatus.PENDING, choices=CompensationStatus.choices, protected=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    settled_at = models.DateTimeField(_("扣款时间"), null=True, blank=True)
    coupon = models.OneToOneField(
        "shop.CouponClaim",
        verbose_name=_("赔付券"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compensation",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="compensation_once_per_kind")]
        verbose_name = _("赔付")
        verbose_name_plural = _("赔付")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order_id} ¥{self.amount / 100:.2f}"

    @transition(field=status, source=CompensationStatus.PENDING, target=CompensationStatus.SETTLED)
    def settle(self) -> None:
        self.settled_at = timezone.now()

    @transition(field=status, source=CompensationStatus.PENDING, target=CompensationStatus.WAIVED)
    def waive(self) -> None:
        pass
