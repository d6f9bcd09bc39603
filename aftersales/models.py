"""After-sales requests, evidence, complaints, reviews and daily store ratings (DESIGN.md: After-sales)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class AftersalesType(models.TextChoices):
    REFUND_ONLY = "refund_only", _("仅退款")
    RETURN_REFUND = "return_refund", _("退货退款")
    EXCHANGE = "exchange", _("换货")
    RESEND = "resend", _("补寄")
    REPAIR = "repair", _("维修")  # the buyer sends the item back, the merchant repairs it and ships it back


MONEY_TYPES = (AftersalesType.REFUND_ONLY, AftersalesType.RETURN_REFUND)
RETURN_TYPES = (AftersalesType.RETURN_REFUND, AftersalesType.EXCHANGE, AftersalesType.REPAIR)


class AftersalesReason(models.TextChoices):
    NOT_RECEIVED = "not_received", _("未收到货")
    NOT_AS_DESCRIBED = "not_as_described", _("与描述不符")
    QUALITY = "quality", _("质量问题")
    DAMAGED = "damaged", _("包装或商品破损")
    WRONG_ITEM = "wrong_item", _("商家发错货")
    MISSING_PARTS = "missing_parts", _("少件或漏发")
    SEVEN_DAY = "seven_day", _("七天无理由退货")
    # Claims the goods promised (shop.models.catalog.SERVICE_FLAGS), within RULE_FRESH_CLAIM_HOURS of receipt
    BAD_FRUIT = "bad_fruit", _("坏果包赔")
    SHORT_WEIGHT = "short_weight", _("缺重包退")
    NO_LONGER_WANTED = "no_longer_wanted", _("不想要了")
    OTHER = "other", _("其他")


# reason: the order's service flag that allows it
FRESH_CLAIMS: dict[str, str] = {
    AftersalesReason.BAD_FRUIT: "bad_fruit_claim",
    AftersalesReason.SHORT_WEIGHT: "short_weight_claim",
}


class AftersalesStatus(models.TextChoices):
    REQUESTED = "requested", _("待商家处理")
    NEGOTIATING = "negotiating", _("协商中，待买家确认")
    APPROVED = "approved", _("商家已同意")
    REJECTED = "rejected", _("商家已拒绝")
    AWAITING_RETURN = "awaiting_return", _("待买家退货")
    RETURN_RECEIVED = "return_received", _("商家已收货")
    REFUNDED = "refunded", _("已退款")
    EXCHANGED = "exchanged", _("已换货")
    RESENT = "resent", _("已补寄")
    REPAIRED = "repaired", _("已维修寄回")
    IN_INTERVENTION = "in_intervention", _("平台介入中")
    DECIDED = "decided", _("平台已裁决")
    CANCELLED = "cancelled", _("买家已撤销")
    CLOSED = "closed", _("已关闭")


OPEN_STATUSES = (
    AftersalesStatus.REQUESTED,
    AftersalesStatus.NEGOTIATING,
    AftersalesStatus.APPROVED,
    AftersalesStatus.REJECTED,
    AftersalesStatus.AWAITING_RETURN,
    AftersalesStatus.RETURN_RECEIVED,
    AftersalesStatus.IN_INTERVENTION,
)


class PlatformStatus(models.IntegerChoices):
    """The platform's after-sales status codes (DOMAIN.md) an integration sees; derived from our FSM."""

    AWAITING_MERCHANT_REFUND = 1, _("买家申请退款，待商家处理")
    AWAITING_MERCHANT_RETURN = 2, _("退货退款，待商家处理")
    MERCHANT_AGREED_REFUNDING = 3, _("商家同意退款，退款中")
    PLATFORM_AGREED_REFUNDING = 4, _("平台同意退款，退款中")
    MERCHANT_REJECTED = 5, _("商家拒绝，待买家处理")
    AWAITING_BUYER_RETURN = 6, _("同意退货，待买家发货")
    PLATFORM_HANDLING = 7, _("平台处理中")
    PLATFORM_REFUSED = 8, _("平台拒绝，已关闭")
    BUYER_RETURNED = 9, _("买家已退货，待商家收货")
    REFUNDED = 10, _("退款成功")
    BUYER_WITHDREW = 11, _("买家撤销")
    BUYER_OVERDUE = 12, _("买家逾期，售后失败")
    EXPIRED = 13, _("已过期")
    EXCHANGE_AWAITING_MERCHANT = 14, _("换货/补寄，待商家处理")
    EXCHANGE_AWAITING_BUYER = 15, _("换货，待买家处理")
    EXCHANGE_SUCCEEDED = 16, _("换货/补寄成功")
    EXCHANGE_FAILED = 17, _("换货/补寄失败")
    AWAITING_BUYER_CONFIRMATION = 18, _("商家提出协商，待买家确认")
    # repair states (DOMAIN.md "repair states"; codes assumed, after the documented ones)
    REPAIR_AWAITING_MERCHANT = 19, _("维修，待商家处理")
    REPAIR_AWAITING_BUYER = 20, _("维修，待买家寄回")
    REPAIR_SUCCEEDED = 21, _("维修完成，已寄回")
    REPAIR_FAILED = 22, _("维修失败")


class Decision(models.TextChoices):
    FULL_REFUND = "full_refund", _("全额退款")
    PARTIAL_REFUND = "partial_refund", _("部分退款")
    REJECT = "reject", _("驳回买家")


class CloseReason(models.TextChoices):
    BUYER_OVERDUE = "buyer_overdue", _("买家逾期未退货")
    EXPIRED = "expired", _("逾期未申请平台介入")


class AftersalesRequest(FSMModelMixin, models.Model):
    request_sn = models.CharField(_("售后单号"), max_length=24, unique=True)
    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="aftersales_requests")
    order = models.ForeignKey("shop.Order", on_delete=models.PROTECT, related_name="aftersales_requests")
    item = models.ForeignKey("shop.OrderItem", on_delete=models.PROTECT, related_name="aftersales_requests")
    buyer_ref = models.CharField(_("买家"), max_length=64, db_index=True)
    type = models.CharField(_("售后类型"), max_length=20, choices=AftersalesType.choices)
    reason = models.CharField(_("原因"), max_length=20, choices=AftersalesReason.choices)
    amount = models.PositiveIntegerField(_("申请金额（分）"), default=0)
    description = models.TextField(_("问题描述"), max_length=500, blank=True)
    status = FSMField(_("状态"), default=AftersalesStatus.REQUESTED, choices=AftersalesStatus.choices, protected=True)
    # The deadline of the current state (response, return shipping, receipt, escalation), swept when passed.
    deadline_at = models.DateTimeField(_("处理时限"), null=True, blank=True)
    near_timeout_notified = models.BooleanField(default=False)
    merchant_note = models.CharField(_("商家说明"), max_length=200, blank=True)
    # Return leg
    return_address = models.CharField(_("退货地址"), max_length=200, blank=True)
    return_courier_code = models.CharField(_("退货快递"), max_length=10, blank=True)
    return_waybill_no = models.CharField(_("退货运单号"), max_length=30, blank=True)
    return_shipped_at = models.DateTimeField(_("买家退货时间"), null=True, blank=True)
    return_delivered_at = models.DateTimeField(_("退货签收时间"), null=True, blank=True)
    inspection_note = models.CharField(_("验货说明"), max_length=200, blank=True)
    # Outbound parcel of an exchange or resend
    ship_courier_code = models.CharField(_("换货/补寄快递"), max_length=10, blank=True)
    ship_waybill_no = models.CharField(_("换货/补寄运单号"), max_length=30, blank=True)
    # Money: the refund issued through portal.payments
    refund = models.OneToOneField(
        "portal.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="aftersales_request"
    )
    refunded_amount = models.PositiveIntegerField(_("已退金额（分）"), default=0)
    # Negotiation (协商): the merchant offers a partial refund; the buyer accepts or declines it
    offer_amount = models.PositiveIntegerField(_("协商退款金额（分）"), default=0)
    offer_note = models.CharField(_("协商说明"), max_length=200, blank=True)
    offered_at = models.DateTimeField(_("协商发起时间"), null=True, blank=True)
    offer_accepted_at = models.DateTimeField(_("买家接受协商时间"), null=True, blank=True)
    # Platform intervention
    escalation_reason = models.CharField(_("申请介入理由"), max_length=500, blank=True)
    decision = models.CharField(_("平台裁决"), max_length=20, choices=Decision.choices, blank=True)
    decision_note = models.CharField(_("裁决说明"), max_length=500, blank=True)
    deposit_deduction = models.PositiveIntegerField(_("扣除保证金（分）"), default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_reason = models.CharField(_("关闭原因"), max_length=20, choices=CloseReason.choices, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    answered_at = models.DateTimeField(_("商家处理时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"]),
            models.Index(fields=["status", "deadline_at"]),
        ]
        verbose_name = _("售后申请")
        verbose_name_plural = _("售后申请")

    def __str__(self) -> str:
        return self.request_sn

    # Pure guards
    def is_money_type(self) -> bool:
        return self.type in MONEY_TYPES

    def is_return_type(self) -> bool:
        return self.type in RETURN_TYPES

    def has_return_waybill(self) -> bool:
        return bool(self.return_waybill_no)

    def has_no_return_waybill(self) -> bool:
        return not self.return_waybill_no

    def can_refund_now(self) -> bool:
        if self.status == AftersalesStatus.APPROVED and self.offer_accepted_at is not None:
            return True  # an accepted partial refund: paid at once, the buyer keeps the goods
        if self.type == AftersalesType.REFUND_ONLY:
            return self.status == AftersalesStatus.APPROVED
        return self.type == AftersalesType.RETURN_REFUND and self.status == AftersalesStatus.RETURN_RECEIVED

    def is_exchange(self) -> bool:
        return self.type == AftersalesType.EXCHANGE

    def is_resend(self) -> bool:
        return self.type == AftersalesType.RESEND

    def is_repair(self) -> bool:
        return self.type == AftersalesType.REPAIR

    def is_force_refundable(self) -> bool:
        """A seven-day return refused before any goods came back (escalated), or a return parcel on its way
        (that came back from the merchant's address)."""
        if self.status == AftersalesStatus.AWAITING_RETURN:
            return bool(self.return_waybill_no)
        return self.reason == AftersalesReason.SEVEN_DAY and not self.return_waybill_no

    def has_offer(self) -> bool:
        return self.offer_amount > 0

    def is_escalation_open(self) -> bool:
        return self.deadline_at is None or timezone.now() <= self.deadline_at

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # Same-state field edits (not transitions): `portal.fsm.edit(req, verb, ...)` checks `can_<verb>()`,
    # runs the method, saves and audits it with the verb's timeline phrase.
    def can_revise(self) -> bool:
        """The buyer revises a request the merchant has not answered yet."""
        return self.status == AftersalesStatus.REQUESTED

    def revise(self) -> None:
        pass  # the service sets the revised fields

    def can_submit_return(self) -> bool:
        return self.status == AftersalesStatus.AWAITING_RETURN and self.has_no_return_waybill()

    def submit_return(self, courier_code: str, waybill_no: str) -> None:
        self.return_courier_code, self.return_waybill_no = courier_code, waybill_no
        self.return_shipped_at = timezone.now()
        self.deadline_at = self.return_shipped_at + settings.PORTAL_TIME_RULES["return_receive_window"]

    def can_track_return_delivered(self) -> bool:
        return self.status == AftersalesStatus.AWAITING_RETURN and self.has_return_waybill()

    def track_return_delivered(self) -> None:
        self.return_delivered_at = self.return_delivered_at or timezone.now()

    # Transitions: in-memory only; aftersales.services persists and audits them.

    @transition(field=status, source=AftersalesStatus.REQUESTED, target=AftersalesStatus.APPROVED)
    def approve(self) -> None:
        self.answered_at = timezone.now()
        self.deadline_at = None

    @transition(
        field=status,
        source=[AftersalesStatus.REQUESTED, AftersalesStatus.RETURN_RECEIVED],
        target=AftersalesStatus.REJECTED,
    )
    def reject(self) -> None:
        self.answered_at = timezone.now()
        self.deadline_at = timezone.now() + settings.PORTAL_TIME_RULES["escalation_window"]

    @transition(
        field=status,
        source=AftersalesStatus.REQUESTED,
        target=AftersalesStatus.NEGOTIATING,
        conditions=[is_money_type],
    )
    def propose_offer(self, amount: int, note: str) -> None:
        self.offer_amount, self.offer_note = amount, note
        self.offered_at = self.answered_at = timezone.now()
        self.deadline_at = self.offered_at + settings.PORTAL_TIME_RULES.get(
            "negotiation_answer_window", settings.PORTAL_TIME_RULES["aftersales_response"]
        )

    @transition(
        field=status, source=AftersalesStatus.NEGOTIATING, target=AftersalesStatus.APPROVED, conditions=[has_offer]
    )
    def accept_offer(self) -> None:
        self.amount = self.offer_amount
        self.offer_accepted_at = timezone.now()
        self.deadline_at = None

    @transition(field=status, source=AftersalesStatus.NEGOTIATING, target=AftersalesStatus.REQUESTED)
    def decline_offer(self) -> None:
        self.offer_amount = 0
        self.deadline_at = timezone.now() + settings.PORTAL_TIME_RULES["aftersales_response"]

    @transition(
        field=status,
        source=AftersalesStatus.APPROVED,
        target=AftersalesStatus.AWAITING_RETURN,
        conditions=[is_return_type],
    )
    def await_return(self) -> None:
        self.deadline_at = timezone.now() + settings.PORTAL_TIME_RULES["return_ship_window"]

    @transition(
        field=status,
        source=AftersalesStatus.AWAITING_RETURN,
        target=AftersalesStatus.RETURN_RECEIVED,
        conditions=[has_return_waybill],
    )
    def receive_return(self) -> None:
        self.deadline_at = None

    @transition(
        field=status,
        source=[AftersalesStatus.APPROVED, AftersalesStatus.RETURN_RECEIVED],
        target=AftersalesStatus.REFUNDED,
        conditions=[can_refund_now],
    )
    def mark_refunded(self) -> None:
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=AftersalesStatus.RETURN_RECEIVED,
        target=AftersalesStatus.EXCHANGED,
        conditions=[is_exchange],
    )
    def ship_exchange(self) -> None:
        self.finished_at = timezone.now()

    @transition(field=status, source=AftersalesStatus.APPROVED, target=AftersalesStatus.RESENT, conditions=[is_resend])
    def ship_resend(self) -> None:
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=AftersalesStatus.RETURN_RECEIVED,
        target=AftersalesStatus.REPAIRED,
        conditions=[is_repair],
    )
    def ship_repaired(self) -> None:
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=AftersalesStatus.REJECTED,
        target=AftersalesStatus.IN_INTERVENTION,
        conditions=[is_escalation_open],
    )
    def escalate(self) -> None:
        self.deadline_at = None

    @transition(field=status, source=AftersalesStatus.IN_INTERVENTION, target=AftersalesStatus.DECIDED)
    def decide(self) -> None:
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=[AftersalesStatus.IN_INTERVENTION, AftersalesStatus.AWAITING_RETURN],
        target=AftersalesStatus.DECIDED,
        conditions=[is_force_refundable],
    )
    def force_refund(self) -> None:
        """The platform refunds without a staff decision (DOMAIN.md): see aftersales_force_refund."""
        self.deadline_at = None
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=[
            AftersalesStatus.REQUESTED,
            AftersalesStatus.APPROVED,
            AftersalesStatus.AWAITING_RETURN,
            AftersalesStatus.REJECTED,
        ],
        target=AftersalesStatus.CANCELLED,
        conditions=[has_no_return_waybill],
    )
    def cancel(self) -> None:
        self.deadline_at = None
        self.finished_at = timezone.now()

    @transition(
        field=status,
        source=[AftersalesStatus.AWAITING_RETURN, AftersalesStatus.REJECTED],
        target=AftersalesStatus.CLOSED,
    )
    def close(self) -> None:
        self.deadline_at = None
        self.finished_at = timezone.now()

    @property
    def platform_status(self) -> int:
        """The platform's status code for integrations (PlatformStatus); needs `refund` loaded."""
        return platform_status_of(self)

    def get_platform_status_display(self) -> str:
        return PlatformStatus(self.platform_status).label


def platform_status_of(req: AftersalesRequest) -> int:
    s, P = AftersalesStatus, PlatformStatus
    if req.is_repair():
        return _repair_platform_status(req)
    money = req.is_money_type()
    refunding = req.refund_id is not None and req.refund.status == "pending"
    if req.status == s.REQUESTED:
        if not money:
            return P.EXCHANGE_AWAITING_MERCHANT
        return P.AWAITING_MERCHANT_RETURN if req.type == AftersalesType.RETURN_REFUND else P.AWAITING_MERCHANT_REFUND
    if req.status == s.NEGOTIATING:
        return P.AWAITING_BUYER_CONFIRMATION
    if req.status == s.APPROVED:
        return P.MERCHANT_AGREED_REFUNDING if money else P.EXCHANGE_AWAITING_MERCHANT
    if req.status == s.REJECTED:
        return P.MERCHANT_REJECTED
    if req.status == s.AWAITING_RETURN:
        if req.return_waybill_no:
            return P.BUYER_RETURNED
        return P.AWAITING_BUYER_RETURN if money else P.EXCHANGE_AWAITING_BUYER
    if req.status == s.RETURN_RECEIVED:
        return P.MERCHANT_AGREED_REFUNDING if money else P.EXCHANGE_AWAITING_MERCHANT
    if req.status == s.REFUNDED:
        return P.MERCHANT_AGREED_REFUNDING if refunding else P.REFUNDED
    if req.status in (s.EXCHANGED, s.RESENT):
        return P.EXCHANGE_SUCCEEDED
    if req.status == s.IN_INTERVENTION:
        return P.PLATFORM_HANDLING
    if req.status == s.DECIDED:
        if req.decision == Decision.REJECT:
            return P.PLATFORM_REFUSED if money else P.EXCHANGE_FAILED
        return P.PLATFORM_AGREED_REFUNDING if refunding else P.REFUNDED
    if req.status == s.CANCELLED:
        return P.BUYER_WITHDREW
    if req.close_reason == CloseReason.BUYER_OVERDUE:
        return P.BUYER_OVERDUE if money else P.EXCHANGE_FAILED
    return P.EXPIRED


def _repair_platform_status(req: AftersalesRequest) -> int:
    s, P = AftersalesStatus, PlatformStatus
    if req.status == s.AWAITING_RETURN:
        return P.BUYER_RETURNED if req.return_waybill_no else P.REPAIR_AWAITING_BUYER
    if req.status in (s.REQUESTED, s.APPROVED, s.RETURN_RECEIVED):
        return P.REPAIR_AWAITING_MERCHANT
    if req.status == s.NEGOTIATING:
        return P.AWAITING_BUYER_CONFIRMATION
    if req.status == s.REJECTED:
        return P.MERCHANT_REJECTED
    if req.status == s.IN_INTERVENTION:
        return P.PLATFORM_HANDLING
    if req.status == s.REPAIRED:
        return P.REPAIR_SUCCEEDED
    if req.status == s.CANCELLED:
        return P.BUYER_WITHDREW
    if req.status == s.DECIDED and req.decision != Decision.REJECT:
        refunding = req.refund_id is not None and req.refund.status == "pending"
        return P.PLATFORM_AGREED_REFUNDING if refunding else P.REFUNDED
    return P.REPAIR_FAILED  # refused by the platform, buyer overdue, expired


class EvidenceSide(models.TextChoices):
    BUYER = "buyer", _("买家")
    MERCHANT = "merchant", _("商家")


class Evidence(models.Model):
    """A photo (and optional note) one side attached to a request."""

    request = models.ForeignKey(AftersalesRequest, on_delete=models.CASCADE, related_name="evidence")
    side = models.CharField(_("提交方"), max_length=10, choices=EvidenceSide.choices)
    image = models.ImageField(_("图片"), upload_to="aftersales/evidence/%Y/%m/")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("售后凭证")
        verbose_name_plural = _("售后凭证")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("投诉成立")
    DISMISSED = "dismissed", _("投诉不成立")


class ComplaintCategory(models.TextChoices):
    NOT_SHIPPED = "not_shipped", _("未按时发货")
    FAKE_SHIPPING = "fake_shipping", _("虚假发货")
    ATTITUDE = "attitude", _("服务态度差")
    COUNTERFEIT = "counterfeit", _("假冒商品")
    INDUCED_REVIEW = "induced_review", _("诱导好评")
    OTHER = "other", _("其他")


class Complaint(FSMModelMixin, models.Model):
    """A buyer's complaint (投诉) about a store, handled by support staff in the admin."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="complaints")
    order = models.ForeignKey("shop.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    buyer_ref = models.CharField(_("买家"), max_length=64)
    category = models.CharField(_("投诉类型"), max_length=20, choices=ComplaintCategory.choices)
    content = models.TextField(_("投诉内容"), max_length=1000)
    status = FSMField(_("状态"), default=ComplaintStatus.OPEN, choices=ComplaintStatus.choices, protected=True)
    resolution = models.CharField(_("处理结果"), max_length=500, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("投诉时间"), default=timezone.now, db_index=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.store_id}"

    @transition(field=status, source=ComplaintStatus.OPEN, target=ComplaintStatus.UPHELD)
    def uphold(self) -> None:
        self.handled_at = timezone.now()

    @transition(field=status, source=ComplaintStatus.OPEN, target=ComplaintStatus.DISMISSED)
    def dismiss(self) -> None:
        self.handled_at = timezone.now()


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("显示")
    HIDDEN = "hidden", _("已隐藏")


score_validators = [MinValueValidator(1), MaxValueValidator(5)]


class Review(FSMModelMixin, models.Model):
    """One review per order item (plus one follow-up); the merchant replies once to each."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="reviews")
    order = models.ForeignKey("shop.Order", on_delete=models.PROTECT, related_name="reviews")
    item = models.OneToOneField("shop.OrderItem", on_delete=models.PROTECT, related_name="review")
    product = models.ForeignKey("shop.Product", on_delete=models.PROTECT, related_name="reviews")
    buyer_ref = models.CharField(_("买家"), max_length=64)
    score_description = models.PositiveSmallIntegerField(_("描述相符"), validators=score_validators)
    score_logistics = models.PositiveSmallIntegerField(_("物流服务"), validators=score_validators)
    score_service = models.PositiveSmallIntegerField(_("服务态度"), validators=score_validators)
    text = models.TextField(_("评价内容"), max_length=500, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    is_default = models.BooleanField(_("系统默认好评"), default=False)
    has_photos = models.BooleanField(_("有图"), default=False)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now, db_index=True)
    reply = models.TextField(_("商家回复"), max_length=500, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    followup_text = models.TextField(_("追评"), max_length=500, blank=True)
    followup_at = models.DateTimeField(_("追评时间"), null=True, blank=True)
    followup_reply = models.TextField(_("追评回复"), max_length=500, blank=True)
    followup_replied_at = models.DateTimeField(_("追评回复时间"), null=True, blank=True)
    visibility = FSMField(_("显示状态"), default=Visibility.VISIBLE, choices=Visibility.choices, protected=True)
    hidden_reason = models.CharField(_("隐藏原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"]),
            models.Index(fields=["product", "visibility"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score_description__gte=1, score_description__lte=5)
                & models.Q(score_logistics__gte=1, score_logistics__lte=5)
                & models.Q(score_service__gte=1, score_service__lte=5),
                name="review_scores_1_to_5",
            )
        ]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")

    def __str__(self) -> str:
        return f"{self.product_id} · {self.score_description}/{self.score_logistics}/{self.score_service}"

    @property
    def average(self) -> float:
        return round((self.score_description + self.score_logistics + self.score_service) / 3, 1)

    @property
    def buyer_display(self) -> str:
        if self.anonymous or len(self.buyer_ref) < 2:
            return str(_("匿名买家"))
        return f"{self.buyer_ref[0]}***{self.buyer_ref[-1]}"

    @transition(field=visibility, source=Visibility.VISIBLE, target=Visibility.HIDDEN)
    def hide(self) -> None:
        pass  # the service records hidden_reason; the buyer's words stay untouched

    @transition(field=visibility, source=Visibility.HIDDEN, target=Visibility.VISIBLE)
    def unhide(self) -> None:
        self.hidden_reason = ""


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("图片"), upload_to="reviews/%Y/%m/")
    followup = models.BooleanField(_("追评图片"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("评价图片")
        verbose_name_plural = _("评价图片")


class DsrSnapshot(models.Model):
    """A store's rolling DSR averages on one day (window: PORTAL_TIME_RULES['dsr_window'])."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="dsr_snapshots")
    day = models.DateField(_("日期"))
    description = models.DecimalField(_("描述相符"), max_digits=3, decimal_places=2, null=True)
    logistics = models.DecimalField(_("物流服务"), max_digits=3, decimal_places=2, null=True)
    service = models.DecimalField(_("服务态度"), max_digits=3, decimal_places=2, null=True)
    review_count = models.PositiveIntegerField(_("评价数"), default=0)

    class Meta:
        ordering = ["store_id", "-day"]
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="dsr_snapshot_unique_day")]
        verbose_name = _("店铺评分快照")
        verbose_name_plural = _("店铺评分快照")

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"
