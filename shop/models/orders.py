"""Orders and their state machine (DESIGN.md: Order). Amounts in fen."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    GROUPING = "grouping", _("拼团中")
    PAID = "paid", _("待发货")
    SHIPPED = "shipped", _("已发货")
    DELIVERED = "delivered", _("已签收")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class BuyMode(models.TextChoices):
    SINGLE = "single", _("单独购买")
    GROUP = "group", _("拼团")


class Order(FSMModelMixin, models.Model):
    order_sn = models.CharField(_("订单号"), max_length=22, unique=True)
    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="orders")
    buyer_ref = models.CharField(_("买家"), max_length=64, db_index=True)
    buy_mode = models.CharField(_("购买方式"), max_length=10, choices=BuyMode.choices, default=BuyMode.SINGLE)
    status = FSMField(_("状态"), default=OrderStatus.PENDING_PAYMENT, choices=OrderStatus.choices, protected=True)
    # Recipient
    recipient_name = models.CharField(_("收件人"), max_length=30)
    recipient_phone = models.CharField(_("收件人手机"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区/县"), max_length=30)
    street = models.CharField(_("详细地址"), max_length=120)
    buyer_note = models.CharField(_("买家留言"), max_length=200, blank=True)
    # Money (fen): paid = goods - discounts + postage
    goods_amount = models.PositiveIntegerField(_("商品金额"), default=0)
    discount_amount = models.PositiveIntegerField(_("优惠金额"), default=0)
    postage = models.PositiveIntegerField(_("运费"), default=0)
    paid_amount = models.PositiveIntegerField(_("实付金额"), default=0)
    discounts = models.JSONField(_("优惠明细"), default=list, blank=True)
    # Time
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    grouped_at = models.DateTimeField(_("成团时间"), null=True, blank=True)
    ship_by = models.DateTimeField(_("承诺发货时间"), null=True, blank=True, db_index=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    receipt_deadline = models.DateTimeField(_("自动确认收货时间"), null=True, blank=True)
    receipt_extended = models.BooleanField(_("已延长收货"), default=False)
    # Shipping and risk
    courier_code = models.CharField(_("快递公司"), max_length=10, blank=True)
    waybill_no = models.CharField(_("运单号"), max_length=30, blank=True, db_index=True)
    risk_hold = models.BooleanField(_("风控审核中"), default=False)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"]),
            models.Index(fields=["status", "ship_by"]),
        ]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")

    def __str__(self) -> str:
        return self.order_sn

    # Guards
    def is_shippable(self) -> bool:
        return not self.risk_hold

    # Transitions (pure, in memory); services in shop/services/orders.py persist and audit them.
    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.PAID)
    def pay(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.GROUPING)
    def pay_into_group(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=OrderStatus.GROUPING, target=OrderStatus.PAID)
    def form_group(self) -> None:
        self.grouped_at = timezone.now()

    @transition(
        field=status,
        source=[OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING, OrderStatus.PAID],
        target=OrderStatus.CANCELLED,
    )
    def cancel(self) -> None:
        self.cancelled_at = timezone.now()

    @transition(field=status, source=OrderStatus.PAID, target=OrderStatus.SHIPPED, conditions=[is_shippable])
    def ship(self) -> None:
        self.shipped_at = timezone.now()

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
