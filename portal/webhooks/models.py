"""Outbound webhooks: a store's endpoints subscribe to event types; each event becomes a delivery
whose every HTTP attempt is logged."""

from __future__ import annotations

import secrets

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

http_url = URLValidator(schemes=["http", "https"], message=_("请输入以 http:// 或 https:// 开头的有效网址。"))


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(models.Model):
    """Where a store's integration receives events; disabled after a streak of failed attempts."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(_("接收地址"), max_length=300, validators=[http_url])
    secret = models.CharField(_("签名密钥"), max_length=80, default=new_secret)
    event_types = models.JSONField(_("订阅事件"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    failure_streak = models.PositiveIntegerField(_("连续失败次数"), default=0)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_by = models.ForeignKey("portal.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "portal"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Webhook 地址")
        verbose_name_plural = _("Webhook 地址")

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待投递")
    SUCCEEDED = "succeeded", _("投递成功")
    FAILED = "failed", _("投递失败")


class WebhookDelivery(FSMModelMixin, models.Model):
    """One event sent to one endpoint: retried with backoff until it succeeds or gives up."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("portal.Event", on_delete=models.CASCADE, related_name="+")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = FSMField(_("状态"), default=DeliveryStatus.PENDING, choices=DeliveryStatus.choices, protected=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_retry_at = models.DateTimeField(_("下次重试"), null=True, blank=True, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        app_label = "portal"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_retry_at"])]
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"

    @property
    def store_id(self) -> int:
        return self.endpoint.store_id

    def is_pending(self) -> bool:
        """Still to be delivered (a retry is due at `next_retry_at`)."""
        return self.status == DeliveryStatus.PENDING

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.SUCCEEDED)
    def succeed(self) -> None:
        self.next_retry_at = None

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.FAILED)
    def give_up(self) -> None:
        self.next_retry_at = None


class WebhookAttempt(models.Model):
    """The log of one HTTP attempt of a delivery (append-only): status code and timing, never the answer's body."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("第几次"))
    attempted_at = models.DateTimeField(_("时间"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    next_retry_at = models.DateTimeField(_("下次重试"), null=True, blank=True)

    class Meta:
        app_label = "portal"
        ordering = ["delivery_id", "number", "id"]
        verbose_name = _("Webhook 投递尝试")
        verbose_name_plural = _("Webhook 投递尝试")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
