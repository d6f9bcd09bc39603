"""Stores and their lifecycle (DESIGN.md: Store state machine)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.models import mainland_mobile


class StoreType(models.TextChoices):
    INDIVIDUAL = "individual", _("个人店")
    SOLE_PROPRIETOR = "sole_proprietor", _("个体工商户")
    ENTERPRISE = "enterprise", _("企业店")


class EnterpriseKind(models.TextChoices):
    ORDINARY = "ordinary", _("普通店")
    FLAGSHIP = "flagship", _("旗舰店")
    EXCLUSIVE = "exclusive", _("专卖店")
    SPECIALTY = "specialty", _("专营店")


class StoreStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审核中")
    APPROVED = "approved", _("审核通过，待缴保证金")
    REJECTED = "rejected", _("审核驳回")
    DEPOSIT_PAID = "deposit_paid", _("已缴保证金，待签协议")
    AGREEMENT_SIGNED = "agreement_signed", _("已签协议")
    OPEN = "open", _("营业中")
    SUSPENDED = "suspended", _("已暂停")
    CLOSING = "closing", _("关店中")
    CLOSED = "closed", _("已关店")


class Store(FSMModelMixin, models.Model):
    name = models.CharField(_("店铺名称"), max_length=30, unique=True)
    store_type = models.CharField(_("店铺类型"), max_length=20, choices=StoreType.choices)
    enterprise_kind = models.CharField(
        _("企业店类别"), max_length=20, choices=EnterpriseKind.choices, blank=True, default=""
    )
    main_category = models.ForeignKey(
        "shop.Category", verbose_name=_("主营类目"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    brand_name = models.CharField(_("品牌"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=30, blank=True)
    contact_phone = models.CharField(_("联系手机"), max_length=11, blank=True, validators=[mainland_mobile])
    status = FSMField(_("状态"), default=StoreStatus.DRAFT, choices=StoreStatus.choices, protected=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("开店时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关店时间"), null=True, blank=True)
    status_reason = models.TextField(_("状态说明"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")

    def __str__(self) -> str:
        return self.name

    # Guards
    def is_open(self) -> bool:
        return self.status == StoreStatus.OPEN

    # Transitions: in-memory changes only; services persist and audit them (portal.fsm.transition).
    @transition(field=status, source=[StoreStatus.DRAFT, StoreStatus.REJECTED], target=StoreStatus.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=status, source=StoreStatus.SUBMITTED, target=StoreStatus.APPROVED)
    def approve(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(field=status, source=StoreStatus.SUBMITTED, target=StoreStatus.REJECTED)
    def reject(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(field=status, source=StoreStatus.APPROVED, target=StoreStatus.DEPOSIT_PAID)
    def mark_deposit_paid(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.DEPOSIT_PAID, target=StoreStatus.AGREEMENT_SIGNED)
    def sign_agreement(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.AGREEMENT_SIGNED, target=StoreStatus.OPEN)
    def open(self) -> None:
        self.opened_at = timezone.now()

    @transition(field=status, source=StoreStatus.OPEN, target=StoreStatus.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.SUSPENDED, target=StoreStatus.OPEN)
    def reinstate(self) -> None:
        pass

    @transition(field=status, source=[StoreStatus.OPEN, StoreStatus.SUSPENDED], target=StoreStatus.CLOSING)
    def start_closing(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.CLOSING, target=StoreStatus.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()
