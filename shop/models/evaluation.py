"""Store evaluation (店铺评估): configurable rules, daily evaluations, suspension proposals to staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

__all__ = [
    "EvaluationRule",
    "Metric",
    "ProposalStatus",
    "SanctionKind",
    "StoreEvaluation",
    "StoreSanction",
    "SuspensionProposal",
]


class Metric(models.TextChoices):
    DSR_DESCRIPTION = "dsr_description", _("描述相符评分")
    DSR_LOGISTICS = "dsr_logistics", _("物流服务评分")
    DSR_SERVICE = "dsr_service", _("服务态度评分")
    LATE_SHIPPING_RATE = "late_shipping_rate", _("延迟发货率（%）")
    PICKUP_SLA_BREACHES = "pickup_sla_breaches", _("揽收超时次数")
    AFTERSALES_RATE = "aftersales_rate", _("售后率（%）")
    DISPUTES_LOST = "disputes_lost", _("平台判责次数")
    COMPLAINTS = "complaints", _("成立投诉数")


class EvaluationRule(models.Model):
    """One metric's threshold: `min` means the value must be at least it, `max` at most it."""

    class Direction(models.TextChoices):
        MIN = "min", _("不低于")
        MAX = "max", _("不高于")

    metric = models.CharField(_("指标"), max_length=30, choices=Metric.choices, unique=True)
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    threshold = models.DecimalField(_("阈值"), max_digits=8, decimal_places=2)
    advice = models.CharField(_("提升建议"), max_length=200)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("评估规则")
        verbose_name_plural = _("评估规则")

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.get_direction_display()} {self.threshold}"

    def passes(self, value) -> bool:
        if value is None:  # no data (e.g. no reviews yet) never fails a store
            return True
        return value >= self.threshold if self.direction == self.Direction.MIN else value <= self.threshold


class StoreEvaluation(models.Model):
    """A store's metrics on one day and the rules it failed."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="evaluations")
    day = models.DateField(_("日期"))
    metrics = models.JSONField(_("指标"), default=dict)
    failing = models.JSONField(_("未达标指标"), default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["store_id", "-day"]
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="store_evaluation_unique_day")]
        verbose_name = _("店铺评估")
        verbose_name_plural = _("店铺评估")

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"

    @property
    def passed(self) -> bool:
        return not self.failing


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已暂停店铺")
    DISMISSED = "dismissed", _("已驳回")


class SuspensionProposal(FSMModelMixin, models.Model):
    """A persistently failing store, proposed to staff for suspension."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="suspension_proposals")
    reasons = models.JSONField(_("原因"), default=list)
    status = FSMField(_("状态"), default=ProposalStatus.PROPOSED, choices=ProposalStatus.choices, protected=True)
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(status="proposed"), name="one_open_suspension_proposal"
            )
        ]
        verbose_name = _("暂停店铺提议")
        verbose_name_plural = _("暂停店铺提议")

    def __str__(self) -> str:
        return f"{self.store} ({self.get_status_display()})"

    @transition(field=status, source=ProposalStatus.PROPOSED, target=ProposalStatus.CONFIRMED)
    def confirm(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=ProposalStatus.PROPOSED, target=ProposalStatus.DISMISSED)
    def dismiss(self) -> None:
        self.decided_at = timezone.now()


class SanctionKind(models.TextChoices):
    SEARCH_DEMOTION = "search_demotion", _("搜索降权")
    WITHDRAWAL_LIMIT = "withdrawal_limit", _("限制提现")


class StoreSanction(models.Model):
    """A sanction for repeated violations (DOMAIN.md Stores): the evaluation applies it when a store keeps
    failing (`STORE_SANCTION_LADDER`), for `STORE_SANCTION_DAYS`; staff may lift it early."""

    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(_("处罚"), max_length=20, choices=SanctionKind.choices)
    reasons = models.JSONField(_("原因"), default=list)
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束时间"))
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["store", "kind", "ends_at"])]
        verbose_name = _("店铺处罚")
        verbose_name_plural = _("店铺处罚")

    def __str__(self) -> str:
        return f"{self.store} {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None and self.starts_at <= timezone.now() < self.ends_at
