"""Couriers (as data), sender addresses, bookings, shipments and their tracking (DESIGN.md: Shipment).

Money in fen, weights in grams. A Booking is one batch (at most 30 orders) sent to one courier;
each order in it gets a Shipment whose FSM follows the parcel; the platform's booking status code
(0/100/200/300/400) is derived from the shipment status.
"""

from __future__ import annotations

import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.encryption import EncryptedTextField
from portal.models import mainland_mobile
from portal.regions import zone_distance, zone_of
from shop.selectors.orders import recipient_phone_shown

SPECIAL_GOODS = {
    "fresh": _("生鲜"),
    "frozen": _("冷冻"),
    "bulky": _("大件"),
    "fragile": _("易碎"),
    "install": _("送货入户并安装"),  # the courier delivers into the home and installs (Courier.accepts)
    "free_sf": _("顺丰包邮"),  # not in Courier.accepts: only settings.FREE_SF_COURIERS carry it
}
COLD_CHAIN_LEVELS = {"ambient": _("常温"), "chilled": _("冷藏"), "frozen": _("冷冻"), "deep_frozen": _("深冷")}
ZONE_LABELS = {
    "north": _("华北"),
    "northeast": _("东北"),
    "east": _("华东"),
    "central": _("华中"),
    "south": _("华南"),
    "southwest": _("西南"),
    "northwest": _("西北"),
    "remote": _("偏远地区（新疆、西藏）"),
    "outlying": _("港澳台"),
}
SANDBOX_SCENARIOS = [
    ("normal", _("正常")),
    ("late_confirm", _("延迟接单")),
    ("miss_pickup", _("不揽收")),
    ("exception", _("运输异常")),
    ("lost", _("包裹遗失")),
]


def new_public_id() -> str:
    return secrets.token_hex(16)


class Courier(models.Model):
    """A courier company and what it can do: goods, coverage, prices, pickup slots."""

    code = models.CharField(_("编码"), max_length=10, unique=True)
    platform_id = models.PositiveIntegerField(_("平台快递 ID"), unique=True)
    name = models.CharField(_("名称"), max_length=30)
    service_level = models.CharField(_("服务等级"), max_length=30)
    cold_chain_levels = models.JSONField(_("冷链等级"), default=list, blank=True)
    accepts = models.JSONField(_("可承运特殊商品"), default=list, blank=True)
    excluded_zones = models.JSONField(_("不覆盖区域"), default=list, blank=True)
    # {"local"|"near"|"far"|"remote": [first kg, each kg 1–3 kg, each kg above 3 kg]} in fen
    price_table = models.JSONField(_("价格表（分）"), default=dict)
    # Volume price tiers: [[parcels this store booked with this courier this month, first-kg price off in fen], ...]
    volume_tiers = models.JSONField(
        _("阶梯价"),
        default=list,
        blank=True,
        help_text=_("本店本月已寄单量达到 N 单起首重优惠（分），如 [[100, 50], [500, 100]]"),
    )
    pickup_slots = models.JSONField(_("揽收时段"), default=list)  # ["09:00-12:00", ...]
    same_day_cutoff = models.TimeField(_("当日揽收截止"), null=True, blank=True)
    waybill_prefix = models.CharField(_("运单号前缀"), max_length=4, blank=True)
    waybill_digits = models.PositiveSmallIntegerField(_("运单号数字位数"), default=13)
    # The courier's waybill number format (DOMAIN.md), the one place it lives: self-ship, re-ship,
    # returns and replacements are all checked against it (shipping.waybills.validate_waybill).
    waybill_pattern = models.CharField(
        _("运单号格式"), max_length=200, blank=True, help_text=_("正则表达式；留空则使用通用格式 ^[A-Z0-9]{8,20}$")
    )
    service_phone = models.CharField(_("客服电话"), max_length=20, blank=True)
    adapter = models.CharField(_("接口"), max_length=20, default="sandbox")
    pushes_webhooks = models.BooleanField(_("推送轨迹"), default=True, help_text=_("否则由平台定时查询轨迹"))
    sandbox_scenario = models.CharField(
        _("沙箱场景"), max_length=20, choices=SANDBOX_SCENARIOS, default="normal", help_text=_("仅对沙箱快递生效")
    )
    # Booking through kuaidi100 商家寄件 (empty: not offered there), and what its API needs of this courier.
    kuaidi100_code = models.CharField(_("快递100 编码"), max_length=30, blank=True)
    needs_pickup_slot = models.BooleanField(_("必须预约揽收时段"), default=False)
    needs_cargo = models.BooleanField(_("必须填写物品名称"), default=False)
    waybill_on_callback = models.BooleanField(
        _("运单号异步返回"), default=False, help_text=_("下单时不返回运单号，由快递回调补齐（如韵达）")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "platform_id"]
        verbose_name = _("快递公司")
        verbose_name_plural = _("快递公司")

    def __str__(self) -> str:
        return self.name

    def covers(self, province: str) -> bool:
        zone = zone_of(province)
        return zone is not None and zone not in self.excluded_zones

    def clean(self) -> None:
        tiers = self.volume_tiers
        ok = isinstance(tiers, list) and all(
            isinstance(t, list) and len(t) == 2 and all(isinstance(v, int) and v >= 0 for v in t) for t in tiers
        )
        if not ok or [t[0] for t in tiers] != sorted({t[0] for t in tiers}):
            raise ValidationError({"volume_tiers": _("阶梯价应为 [[单量, 首重优惠（分）], ...]，单量从小到大且不重复")})

    def tier_off(self, volume: int) -> int:
        """The first-kg price off (fen) at this month's volume (parcels already booked with this courier)."""
        return max((off for n, off in self.volume_tiers if volume >= n), default=0)

    def next_tier(self, volume: int) -> tuple[int, int] | None:
        """(how many more parcels, the first-kg price off then) of the next volume tier, or None."""
        return next(((n - volume, off) for n, off in self.volume_tiers if n > volume), None)

    def first_kg_price(self, *, from_province: str, to_province: str, volume: int = 0) -> int:
        band = zone_distance(zone_of(from_province) or "", zone_of(to_province) or "")
        return max(self.price_table[band][0] - self.tier_off(volume), 0)

    def price_for(self, *, weight_g: int, from_province: str, to_province: str, volume: int = 0) -> int:
        """First kilogram (less the volume tier's discount at `volume` parcels this month), then each started
        kilogram at the 1–3 kg rate, above 3 kg at the heavier rate."""
        band = zone_distance(zone_of(from_province) or "", zone_of(to_province) or "")
        _first, add_1_3, add_above = self.price_table[band]
        first = self.first_kg_price(from_province=from_province, to_province=to_province, volume=volume)
        kg = max(1, math.ceil(weight_g / 1000))
        return first + min(max(kg - 1, 0), 2) * add_1_3 + max(kg - 3, 0) * add_above


class SenderAddress(models.Model):
    """A pickup (sender) address in the store's address book; anywhere in the country."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="sender_addresses")
    label = models.CharField(_("名称"), max_length=30, help_text=_("如：杭州仓、义乌仓"))
    contact_name = models.CharField(_("联系人"), max_length=30)
    phone = models.CharField(_("联系电话"), max_length=11, validators=[mainland_mobile])
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区/县"), max_length=30)
    street = models.CharField(_("详细地址"), max_length=120)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=Q(is_default=True), name="sender_address_one_default_per_store"
            )
        ]
        verbose_name = _("发货地址")
        verbose_name_plural = _("发货地址")

    def __str__(self) -> str:
        return f"{self.label} · {self.full_address}"

    @property
    def full_address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"


class Booking(models.Model):
    """One batch booking (在线下单) of up to 30 orders with one courier."""

    refused: dict[str, list[str]]  # not stored: the orders `booking_submit` left out (order number → reasons)
    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="bookings")
    booking_no = models.CharField(_("下单批次号"), max_length=24, unique=True)
    courier = models.ForeignKey(Courier, verbose_name=_("快递公司"), on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey(
        SenderAddress, verbose_name=_("发货地址"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sender as sent to the courier (the address book may change later).
    sender_name = models.CharField(_("寄件人"), max_length=30)
    sender_phone = models.CharField(_("寄件人电话"), max_length=11)
    sender_province = models.CharField(_("省"), max_length=20)
    sender_city = models.CharField(_("市"), max_length=30)
    sender_district = models.CharField(_("区/县"), max_length=30)
    sender_street = models.CharField(_("详细地址"), max_length=120)
    pickup_date = models.DateField(_("揽收日期"))
    pickup_slot = models.CharField(_("揽收时段"), max_length=20)
    scenario = models.CharField(_("沙箱场景"), max_length=20, choices=SANDBOX_SCENARIOS, blank=True)
    rebooked_from = models.ForeignKey(
        "self", verbose_name=_("改派自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="rebookings"
    )
    account = models.ForeignKey(
        "CourierAccount",
        verbose_name=_("快递账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
        help_text=_("为空时由平台沙箱快递承运"),
    )
    dispatched_at = models.DateTimeField(_("提交快递时间"), null=True, blank=True)
    # Bookings made from one selection and one confirmation (more than 30 orders) share this number.
    group_no = models.CharField(_("下单提交号"), max_length=24, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The dispatch retry reads only the bookings never sent to their courier.
        indexes = [
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="booking_undispatched")
        ]
        verbose_name = _("下单批次")
        verbose_name_plural = _("下单批次")

    def __str__(self) -> str:
        return self.booking_no

    @property
    def sender_address(self) -> str:
        return f"{self.sender_province}{self.sender_city}{self.sender_district}{self.sender_street}"


class ShipmentStatus(models.TextChoices):
    REQUESTED = "requested", _("待接单")
    CONFIRMED = "confirmed", _("待揽收")
    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    DELIVERED = "delivered", _("已签收")
    EXCEPTION = "exception", _("异常")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("下单失败")
    RETURNED = "returned", _("已退回")


S = ShipmentStatus
LIVE = [S.REQUESTED, S.CONFIRMED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY]
# An order with a shipment in one of these is booked: it leaves 未下单 and cannot be booked again.
ACTIVE = [*LIVE, S.DELIVERED, S.EXCEPTION]


class BookingStatus(models.IntegerChoices):
    """The platform's booking status codes (DOMAIN.md), derived from the shipment status."""

    AWAITING_ACCEPT = 0, _("待接单")
    AWAITING_PICKUP = 100, _("待揽收")
    DELIVERING = 200, _("配送中")
    COMPLETED = 300, _("已完成")
    CANCELLED = 400, _("已取消")


BOOKING_STATUS_OF: dict[str, int] = {
    S.REQUESTED: 0,
    S.CONFIRMED: 100,
    S.PICKED_UP: 200,
    S.IN_TRANSIT: 200,
    S.OUT_FOR_DELIVERY: 200,
    S.EXCEPTION: 200,
    S.DELIVERED: 300,
    S.RETURNED: 300,
    S.CANCELLED: 400,
    S.FAILED: 400,
}


def statuses_with_code(code: int) -> list[str]:
    return [s for s, c in BOOKING_STATUS_OF.items() if c == code]


class Shipment(FSMModelMixin, models.Model):
    """One order's parcel in a booking; its status follows the courier's reports."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="shipments")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="shipments")
    order = models.ForeignKey("shop.Order", verbose_name=_("订单"), on_delete=models.PROTECT, related_name="shipments")
    courier = models.ForeignKey(Courier, verbose_name=_("快递公司"), on_delete=models.PROTECT, related_name="+")
    status = FSMField(_("状态"), default=S.REQUESTED, choices=S.choices, protected=True, db_index=True)
    waybill_no = models.CharField(_("运单号"), max_length=30, blank=True, db_index=True)
    parcel_code = models.CharField(_("包裹码"), max_length=6, blank=True)
    label_data = models.JSONField(_("面单数据"), default=dict, blank=True)
    # Recipient as sent to the courier (edited on the confirmation page if needed).
    recipient_name = models.CharField(_("收件人"), max_length=30)
    recipient_phone = models.CharField(_("收件人手机"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区/县"), max_length=30)
    street = models.CharField(_("详细地址"), max_length=120)
    goods_summary = models.CharField(_("商品"), max_length=200, blank=True)
    special_goods = models.JSONField(_("特殊商品"), default=list, blank=True)
    predicted_weight_g = models.PositiveIntegerField(_("预估重量（克）"))
    predicted_price = models.PositiveIntegerField(_("预估运费（分）"))
    real_weight_g = models.PositiveIntegerField(_("实际重量（克）"), null=True, blank=True)
    real_price = models.PositiveIntegerField(_("实际运费（分）"), null=True, blank=True)
    # The aggregator's ids of this parcel's booking (kuaidi100 taskId / orderId) and its last status code.
    carrier_task_id = models.CharField(_("快递100 任务 ID"), max_length=64, blank=True, db_index=True)
    carrier_order_id = models.CharField(_("快递100 订单号"), max_length=64, blank=True)
    carrier_status = models.SmallIntegerField(_("快递100 状态码"), null=True, blank=True)
    carrier_reported_at = models.DateTimeField(_("最近回调时间"), null=True, blank=True)
    # Assigned by the courier on confirmation.
    outlet = models.CharField(_("揽件网点"), max_length=60, blank=True)
    courier_staff_name = models.CharField(_("快递员"), max_length=30, blank=True)
    courier_staff_phone = models.CharField(_("快递员电话"), max_length=20, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    # Promises (from PORTAL_TIME_RULES at booking time) and whether they were broken.
    confirm_by = models.DateTimeField(_("接单时限"))
    pickup_by = models.DateTimeField(_("揽收时限"))
    confirm_overdue = models.BooleanField(_("接单超时"), default=False)
    pickup_overdue = models.BooleanField(_("揽收超时"), default=False)
    # The courier reported the parcel lost (sandbox scenario `lost`): flagged to the merchant and the platform.
    lost = models.BooleanField(_("包裹遗失"), default=False)
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("改派为"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 合并发货: orders of one store to one recipient and address travel in one parcel with one waybill. The
    # lead shipment is the parcel the courier knows (combined weight, goods and price); each other order's
    # shipment points to it, shares its waybill and follows its status.
    parcel_lead = models.ForeignKey(
        "self",
        verbose_name=_("合并发货包裹"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parcel_members",
    )
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("揽收时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    # When the polling sweep last asked the courier (oldest first, so every live parcel gets its turn).
    tracked_at = models.DateTimeField(_("最近查询物流时间"), null=True, blank=True)
    # When the label was last printed (已打印); reprinting on request updates it.
    label_printed_at = models.DateTimeField(_("面单打印时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status__in=ACTIVE), name="shipment_one_active_per_order"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"]),
            models.Index(fields=["courier", "waybill_no"]),
            # The polling sweep: per courier, pollable parcels least recently polled first (never polled first).
            models.Index(
                "courier",
                F("tracked_at").asc(nulls_first=True),
                "id",
                condition=Q(status__in=["requested", "confirmed", "picked_up", "in_transit", "out_for_delivery"])
                & ~Q(waybill_no="")
                & Q(parcel_lead__isnull=True),
                name="shipment_poll_due",
            ),
            # The SLA watch reads only the parcels still waiting for the courier, not yet flagged.
            models.Index(
                fields=["confirm_by"],
                condition=Q(status="requested", confirm_overdue=False),
                name="shipment_confirm_watch",
            ),
            models.Index(
                fields=["pickup_by"],
                condition=Q(status__in=["requested", "confirmed"], pickup_overdue=False),
                name="shipment_pickup_watch",
            ),
        ]
        verbose_name = _("包裹")
        verbose_name_plural = _("包裹")

    def __str__(self) -> str:
        return self.waybill_no or f"{self.booking_id}/{self.order_id}"

    @property
    def booking_status(self) -> int:
        return BOOKING_STATUS_OF[self.status]

    def get_booking_status_display(self) -> str:
        return str(BookingStatus(self.booking_status).label)

    @property
    def recipient_address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"

    @property
    def masked_phone(self) -> str:
        """The recipient's phone as it may be shown now: shop's one rule, by the order's status."""
        order = self.order
        return recipient_phone_shown(self.recipient_phone, order_status=order.status, shipped=bool(order.shipped_at))

    STEPS = [S.REQUESTED, S.CONFIRMED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]

    @property
    def step_index(self) -> int:
        """Position on the progress bar (requested … delivered); -1 when off it (cancelled, failed, ...)."""
        return self.STEPS.index(self.status) if self.status in self.STEPS else -1

    @property
    def is_settled(self) -> bool:
        """Nothing more will happen without someone acting (the progress page stops polling)."""
        return self.status in (S.DELIVERED, S.CANCELLED, S.FAILED, S.RETURNED, S.EXCEPTION)

    # Overdue is computed from the clock so pages are right between sweeps.
    @property
    def is_confirm_late(self) -> bool:
        return self.confirm_overdue or (self.status == S.REQUESTED and timezone.now() > self.confirm_by)

    @property
    def is_pickup_late(self) -> bool:
        return self.pickup_overdue or (self.status in (S.REQUESTED, S.CONFIRMED) and timezone.now() > self.pickup_by)

    @property
    def is_overdue(self) -> bool:
        return self.status in (S.REQUESTED, S.CONFIRMED) and (self.is_confirm_late or self.is_pickup_late)

    @property
    def late_badge(self) -> str:
        """Which promise is broken and still open now: "confirm", "pickup" or "" (the status badge)."""
        if self.status == S.REQUESTED and self.is_confirm_late:
            return "confirm"
        if self.status in (S.REQUESTED, S.CONFIRMED) and self.is_pickup_late:
            return "pickup"
        return ""

    def waiting_on(self) -> tuple[str, object]:
        """The courier's promise the parcel waits on: ("confirm", confirm_by), ("pickup", pickup_by) or ("", None)."""
        if self.status == S.REQUESTED:
            return "confirm", self.confirm_by
        if self.status == S.CONFIRMED:
            return "pickup", self.pickup_by
        return "", None

    @property
    def was_refused(self) -> bool:
        """The courier refused the order: it went back to 未下单."""
        return self.status == S.FAILED

    # Guards
    def is_unweighed(self) -> bool:
        return self.real_weight_g is None

    def _touch(self) -> None:
        self.status_changed_at = timezone.now()

    # Transitions (pure, in memory); shipping/services.py persists and audits them.
    @transition(field=status, source=S.REQUESTED, target=S.CONFIRMED)
    def confirm(self) -> None:
        self._touch()
        self.confirmed_at = self.status_changed_at

    @transition(field=status, source=[S.REQUESTED, S.CONFIRMED], target=S.PICKED_UP)
    def pick_up(self) -> None:
        self._touch()
        self.picked_up_at = self.status_changed_at

    @transition(field=status, source=S.PICKED_UP, target=S.IN_TRANSIT)
    def depart(self) -> None:
        self._touch()

    @transition(field=status, source=[S.PICKED_UP, S.IN_TRANSIT], target=S.OUT_FOR_DELIVERY)
    def send_out(self) -> None:
        self._touch()

    @transition(field=status, source=[S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.EXCEPTION], target=S.DELIVERED)
    def sign(self) -> None:
        self._touch()
        self.delivered_at = self.status_changed_at

    @transition(field=status, source=LIVE, target=S.EXCEPTION)
    def fail(self) -> None:
        self._touch()

    @transition(field=status, source=[S.REQUESTED, S.CONFIRMED], target=S.CANCELLED, conditions=[is_unweighed])
    def cancel(self) -> None:
        self._touch()

    @transition(field=status, source=S.REQUESTED, target=S.FAILED)
    def reject(self) -> None:
        self._touch()

    @transition(field=status, source=[S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.EXCEPTION], target=S.RETURNED)
    def return_to_sender(self) -> None:
        self._touch()


class CourierAccount(models.Model):
    """A store's own courier-aggregator account (kuaidi100 商家寄件); secrets Fernet-encrypted at rest.

    The couriers chosen here are booked through it; every other courier (or a store without an
    account) stays with the sandbox adapter. Callbacks name the account by `public_id` and are
    verified with its salt.
    """

    class Provider(models.TextChoices):
        KUAIDI100 = "kuaidi100", _("快递100 商家寄件")

    class Environment(models.TextChoices):
        TEST = "test", _("测试环境")
        PRODUCTION = "production", _("正式环境")

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="courier_accounts")
    provider = models.CharField(_("服务商"), max_length=20, choices=Provider.choices, default=Provider.KUAIDI100)
    environment = models.CharField(_("环境"), max_length=12, choices=Environment.choices, default=Environment.TEST)
    key = EncryptedTextField(_("授权 key"))
    secret = EncryptedTextField(_("secret"))
    salt = EncryptedTextField(_("回调签名 salt"))
    key_hint = models.CharField(_("key 末四位"), max_length=8, blank=True)
    public_id = models.CharField(_("回调标识"), max_length=32, unique=True, default=new_public_id, editable=False)
    couriers = models.ManyToManyField(Courier, verbose_name=_("通过此账号下单的快递"), blank=True, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)
    verified_at = models.DateTimeField(_("最近测试成功"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "provider"], condition=Q(is_active=True), name="courier_account_one_active_per_store"
            )
        ]
        verbose_name = _("快递账号")
        verbose_name_plural = _("快递账号")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.get_environment_display()} · {self.masked_key}"

    @property
    def masked_key(self) -> str:
        """The key as the merchant and staff see it: its last four characters only."""
        return f"••••{self.key_hint}"

    @property
    def endpoint_url(self) -> str:
        return settings.KUAIDI100_ENDPOINTS[self.environment]

    def callback_url(self, kind: str) -> str:
        """Where kuaidi100 calls back: `status` (order status and fees) or `trace` (tracking push)."""
        from django.urls import reverse

        return settings.SITE_URL.rstrip("/") + reverse("api-shipping-kuaidi100", args=[self.public_id, kind])


class ShipmentFee(models.Model):
    """A fee the courier settled for a parcel (kuaidi100 status 15, and 155 corrections); they add up."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="fees")
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="+")
    carrier_status = models.SmallIntegerField(_("状态码"))
    fee_type = models.CharField(_("费用类型"), max_length=30)
    description = models.CharField(_("说明"), max_length=60, blank=True)
    amount = models.IntegerField(_("金额（分）"))
    weight_g = models.PositiveIntegerField(_("计费重量（克）"), null=True, blank=True)
    message_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("运费明细")
        verbose_name_plural = _("运费明细")

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.fee_type} {self.amount}"


class TrackingAction(models.TextChoices):
    GOT = "GOT", _("已揽收")
    DEPARTURE = "DEPARTURE", _("已发出")
    ARRIVAL = "ARRIVAL", _("已到达")
    SEND = "SEND", _("派送中")
    SIGN = "SIGN", _("已签收")
    SIGN_ON_BEHALF = "SIGN_ON_BEHALF", _("代收点代签")
    IN_CABINET = "IN_CABINET", _("已入柜")
    OUT_CABINET = "OUT_CABINET", _("已出柜")
    STAY_IN_WAREHOUSE = "STAY_IN_WAREHOUSE", _("滞留仓库")
    FAIL = "FAIL", _("问题件")
    REJECTION = "REJECTION", _("拒收")
    RETURN = "RETURN", _("退回")
    OTHER = "OTHER", _("其他")


class TrackingEvent(models.Model):
    """One scan the courier reported; keyed by courier + waybill so self-shipped waybills can have them too."""

    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    courier_code = models.CharField(_("快递公司"), max_length=10)
    waybill_no = models.CharField(_("运单号"), max_length=30)
    action = models.CharField(_("动作"), max_length=20, choices=TrackingAction.choices)
    occurred_at = models.DateTimeField(_("时间"))
    description = models.CharField(_("描述"), max_length=200)
    node = models.CharField(_("节点"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["courier_code", "waybill_no", "action"])]
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")

    def __str__(self) -> str:
        return f"{self.waybill_no} {self.action}"


class WebhookReceipt(models.Model):
    """Every courier message id seen once: duplicates and replays are ignored."""

    courier_code = models.CharField(max_length=10)
    message_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["courier_code", "message_id"], name="webhook_receipt_unique"),
        ]
        verbose_name = _("快递回调记录")
        verbose_name_plural = _("快递回调记录")

    def __str__(self) -> str:
        return f"{self.courier_code}:{self.message_id}"


class MessageTopic(models.TextChoices):
    PICKUP_DELAY = "pickup_delay", _("揽收延迟")
    LOST = "lost", _("包裹丢失")
    DAMAGE = "damage", _("包裹破损")
    ADDRESS_CHANGE = "address_change", _("修改地址")
    OTHER = "other", _("其他")


class CourierMessage(models.Model):
    """The merchant's conversation with the courier's service desk about one shipment."""

    class Sender(models.TextChoices):
        MERCHANT = "merchant", _("商家")
        COURIER = "courier", _("快递客服")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="messages")
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("问题类型"), max_length=20, choices=MessageTopic.choices)
    sender = models.CharField(_("发送方"), max_length=10, choices=Sender.choices)
    body = models.TextField(_("内容"), max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("客服回复时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["store", "sender", "answered_at"])]
        verbose_name = _("快递客服会话")
        verbose_name_plural = _("快递客服会话")

    def __str__(self) -> str:
        return f"{self.get_sender_display()}: {self.body[:30]}"


class TicketStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")


class PlatformTicket(FSMModelMixin, models.Model):
    """A merchant's report to the platform about a courier broken promise; staff handle it in the admin."""

    class Kind(models.TextChoices):
        CONFIRM_LATE = "confirm_late", _("超时未接单")
        PICKUP_MISSED = "pickup_missed", _("超时未揽收")
        OTHER = "other", _("其他")

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tickets")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("说明"), blank=True)
    status = FSMField(_("状态"), default=TicketStatus.OPEN, choices=TicketStatus.choices, protected=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind"], condition=Q(status="open"), name="ticket_one_open_per_shipment_kind"
            )
        ]
        verbose_name = _("物流投诉工单")
        verbose_name_plural = _("物流投诉工单")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.shipment}"

    @transition(field=status, source=TicketStatus.OPEN, target=TicketStatus.RESOLVED)
    def resolve(self) -> None:
        self.resolved_at = timezone.now()


class SandboxParcel(models.Model):
    """The sandbox courier's own record of a parcel (what a real courier keeps on its side)."""

    courier_code = models.CharField(max_length=10)
    booking_no = models.CharField(max_length=24)
    order_ref = models.CharField(max_length=30)
    waybill_no = models.CharField(max_length=30, unique=True)
    scenario = models.CharField(max_length=20, choices=SANDBOX_SCENARIOS, default="normal")
    stage = models.CharField(max_length=20, default="booked")
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    weight_g = models.PositiveIntegerField()
    origin = models.CharField(max_length=30, blank=True)
    destination = models.CharField(max_length=30, blank=True)
    events = models.JSONField(default=list)  # what track() answers: the courier's full log
    questions = models.JSONField(default=list)  # merchant questions awaiting the desk's reply
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("沙箱包裹")
        verbose_name_plural = _("沙箱包裹")

    def __str__(self) -> str:
        return f"{self.courier_code} {self.waybill_no} ({self.stage})"
