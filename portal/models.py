"""What every app shares: users and store roles, the audit trail, events,
notifications, API keys and idempotency records."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .actors import ActorKind

mainland_mobile = RegexValidator(r"^1[3-9]\d{9}$", _("请输入有效的中国大陆手机号（11 位，以 1 开头）。"))


class User(AbstractUser):
    phone = models.CharField(_("手机号"), max_length=11, blank=True, validators=[mainland_mobile])
    sms_quiet_start = models.TimeField(_("短信免打扰开始"), null=True, blank=True)
    sms_quiet_end = models.TimeField(_("短信免打扰结束"), null=True, blank=True)


class Role(models.TextChoices):
    OWNER = "owner", _("店主")
    OPERATOR = "operator", _("运营")


class Membership(models.Model):
    """A merchant user's role in one store; the current store lives in the session."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.OWNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="membership_unique")]
        verbose_name = _("店铺成员")
        verbose_name_plural = _("店铺成员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.store_id} ({self.role})"


class AuditEntry(models.Model):
    """Append-only record of one state transition: who, when, object, from, to, reason."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作者"), max_length=150)
    actor_kind = models.CharField(_("操作者类型"), max_length=16, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(_("对象"), max_length=200)
    store = models.ForeignKey("shop.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transition = models.CharField(_("操作"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32)
    to_state = models.CharField(_("新状态"), max_length=32)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only")


class Event(models.Model):
    """One business event, written in the transaction that caused it (the outbox); fans out to
    notifications and webhooks once, marked by `fanned_out_at` (portal/events.py)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    store = models.ForeignKey("shop.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("事件类型"), max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    fanned_out_at = models.DateTimeField(_("分发时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(fanned_out_at__isnull=True), name="event_outbox_pending"
            )
        ]
        verbose_name = _("业务事件")
        verbose_name_plural = _("业务事件")

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    store = models.ForeignKey("shop.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Per user and event type: which channels deliver it (absent row = defaults)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    event_type = models.CharField(max_length=64)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event_type"], name="notification_pref_unique")]


class ApiKey(models.Model):
    """An integration's key: belongs to one store, has a kind (side) and scopes, stored hashed, shown once.

    A merchant key (an ERP) calls merchant operations; a storefront key calls buyer operations for the
    store's buyers (place, pay, cancel, confirm receipt, after-sales, reviews). Scopes narrow either.
    """

    class Kind(models.TextChoices):
        MERCHANT = "merchant", _("商家系统（ERP）")
        STOREFRONT = "storefront", _("店面（代买家操作）")

    class Scope(models.TextChoices):
        STORE = "store", _("店铺")
        ORDERS_READ = "orders:read", _("订单读取")
        ORDERS_WRITE = "orders:write", _("订单写入")
        CATALOG = "catalog", _("商品")
        SHIPPING = "shipping", _("发货")
        AFTERSALES = "aftersales", _("售后")
        WEBHOOKS = "webhooks", _("Webhook")
        NOTIFICATIONS = "notifications", _("站内消息")

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("密钥类型"), max_length=16, choices=Kind.choices, default=Kind.MERCHANT)
    prefix = models.CharField(max_length=12, unique=True)
    hashed_key = models.CharField(max_length=128)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored response of a POST made with an Idempotency-Key, replayed on retry."""

    principal = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    method_path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique")]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    SUCCEEDED = "succeeded", _("已支付")
    FAILED = "failed", _("支付失败")
    CLOSED = "closed", _("已关闭")


def new_payment_token() -> str:
    return secrets.token_urlsafe(24)


class Payment(FSMModelMixin, models.Model):
    """Money a buyer or merchant pays through the payment adapter (order, deposit)."""

    # The payment's public id (checkout URLs): unguessable, unlike the sequential pk.
    token = models.CharField(max_length=40, unique=True, default=new_payment_token, editable=False)

    purpose = models.CharField(_("用途"), max_length=20)  # a key of portal.payments.HANDLERS
    reference = models.CharField(_("业务单号"), max_length=64, db_index=True)
    store = models.ForeignKey("shop.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField(_("金额（分）"))
    provider = models.CharField(max_length=20, default="sandbox")
    provider_txn = models.CharField(_("支付流水号"), max_length=64, blank=True)
    status = FSMField(_("状态"), default=PaymentStatus.PENDING, choices=PaymentStatus.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("支付单")
        verbose_name_plural = _("支付单")

    def __str__(self) -> str:
        return f"{self.purpose}:{self.reference} ¥{self.amount / 100:.2f}"

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.SUCCEEDED)
    def succeed(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.FAILED)
    def fail(self) -> None:
        pass

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.CLOSED)
    def close(self) -> None:
        pass


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("退款中")
    SUCCEEDED = "succeeded", _("已退款")
    FAILED = "failed", _("退款失败")


class Refund(FSMModelMixin, models.Model):
    """Money returned on a payment; money reaches the buyer in 3–5 working days after success."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    store = models.ForeignKey("shop.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("业务单号"), max_length=64, db_index=True)
    amount = models.PositiveIntegerField(_("金额（分）"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    provider_ref = models.CharField(max_length=64, blank=True)
    status = FSMField(_("状态"), default=RefundStatus.PENDING, choices=RefundStatus.choices, protected=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("退款单")
        verbose_name_plural = _("退款单")

    def __str__(self) -> str:
        return f"refund {self.reference} ¥{self.amount / 100:.2f}"

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.SUCCEEDED)
    def succeed(self) -> None:
        self.succeeded_at = timezone.now()

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.FAILED)
    def fail(self) -> None:
        pass


from .webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: E402, F401  (own package)
