"""The settlement ledger (货款): append-only entries; a store's payout balances are sums of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

__all__ = ["PayoutBucket", "PayoutEntry", "PayoutKind", "RefType", "Withdrawal", "WithdrawalStatus"]


class PayoutKind(models.TextChoices):
    CREDIT_PENDING = "credit_pending", _("待结算入账")
    SETTLE = "settle", _("结算")
    DEBIT = "debit", _("扣款")
    COMPENSATION = "compensation", _("赔付")
    ADJUSTMENT = "adjustment", _("调账")
    SHIPPING = "shipping", _("运费")
    WITHDRAWAL = "withdrawal", _("提现")


class PayoutBucket(models.TextChoices):
    PENDING = "pending", _("待结算")
    AVAILABLE = "available", _("可提现")


class RefType(models.TextChoices):
    NONE = "", _("无")
    ORDER = "order", _("订单")
    AFTERSALES = "aftersales", _("售后")
    COMPENSATION = "compensation", _("赔付单")
    SHIPMENT = "shipment", _("包裹")
    WITHDRAWAL = "withdrawal", _("提现单")


class PayoutEntry(models.Model):
    """One line of a store's payouts: `amount` (±fen) moves one bucket (pending or available).

    A settlement is a pair of lines (−pending, +available) of kind `settle`. Corrections are new
    `adjustment` lines that name the line they correct; a line is never edited or deleted.
    """

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="payout_entries")
    kind = models.CharField(_("类型"), max_length=16, choices=PayoutKind.choices)
    bucket = models.CharField(_("账户"), max_length=10, choices=PayoutBucket.choices)
    amount = models.BigIntegerField(_("金额（分）"))
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    ref_type = models.CharField(_("关联类型"), max_length=16, choices=RefType.choices, blank=True, default="")
    ref_id = models.CharField(_("关联编号"), max_length=40, blank=True, default="")
    ref_label = models.CharField(_("关联单号"), max_length=64, blank=True, default="")
    available_at = models.DateTimeField(_("可结算时间"), null=True, blank=True, db_index=True)
    corrects = models.ForeignKey(
        "self", verbose_name=_("更正的流水"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作者"), max_length=150)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "bucket"]),
            models.Index(fields=["store", "-created_at"]),
            models.Index(fields=["ref_type", "ref_id"]),
        ]
        constraints = [
            # one credit and one settlement pair per order: sweeps may run twice, never pay twice
            models.UniqueConstraint(
                fields=["kind", "bucket", "ref_type", "ref_id"],
                condition=models.Q(kind__in=["credit_pending", "settle"]),
                name="payout_credit_settle_once",
            ),
            # a settlement of a fully refunded order is a zero pair that marks it settled
            models.CheckConstraint(
                condition=~models.Q(amount=0) | models.Q(kind="settle"), name="payout_entry_amount_nonzero"
            ),
        ]
        verbose_name = _("货款流水")
        verbose_name_plural = _("货款流水")

    def __str__(self) -> str:
        return f"{self.store_id} {self.kind} {self.bucket} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Payout entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Payout entries are append-only")


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", _("待打款")
    PAID = "paid", _("已打款")
    REJECTED = "rejected", _("已退回")


class Withdrawal(FSMModelMixin, models.Model):
    """A merchant's withdrawal (提现) of available payouts to the store's bank account; finance pays it.

    Requesting debits the available bucket at once (a `withdrawal` ledger line), so the money cannot be spent
    twice; a rejection credits it back with a second line, a payment changes no balance."""

    store = models.ForeignKey("shop.Store", on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.PositiveIntegerField(_("金额（分）"))
    account = models.CharField(_("收款账户"), max_length=60)
    status = FSMField(_("状态"), default=WithdrawalStatus.REQUESTED, choices=WithdrawalStatus.choices, protected=True)
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "-created_at"]), models.Index(fields=["status", "created_at"])]
        verbose_name = _("提现")
        verbose_name_plural = _("提现")

    def __str__(self) -> str:
        return f"W{self.pk} {self.amount / 100:.2f}"

    @transition(field=status, source=WithdrawalStatus.REQUESTED, target=WithdrawalStatus.PAID)
    def pay(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=WithdrawalStatus.REQUESTED, target=WithdrawalStatus.REJECTED)
    def reject(self) -> None:
        self.decided_at = timezone.now()
