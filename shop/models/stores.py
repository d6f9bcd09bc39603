"""Stores and their lifecycle (DESIGN.md: Store state machine): documents and their review,
the deposit rule table and ledger, the versioned agreement and its signatures."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.models import mainland_mobile

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The check character of a unified social credit code from its first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Validate a unified social credit code (统一社会信用代码) by its GB 32100-2015 check character."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        raise ValidationError(_("统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"), code="uscc_format")
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对营业执照。"), code="uscc_check")


store_name_chars = RegexValidator(
    r"^[\u4e00-\u9fffA-Za-z0-9·（）()&\- ]+$", _("店铺名称只能包含中文、字母、数字和 ·（）&- 等符号。")
)


class StoreType(models.TextChoices):
    INDIVIDUAL = "individual", _("个人店")
    SOLE_PROPRIETOR = "sole_proprietor", _("个体工商户")
    ENTERPRISE = "enterprise", _("企业店")


class EnterpriseKind(models.TextChoices):
    ORDINARY = "ordinary", _("普通店")
    FLAGSHIP = "flagship", _("旗舰店")
    EXCLUSIVE = "exclusive", _("专卖店")
    SPECIALTY = "specialty", _("专营店")


BRAND_KINDS = (EnterpriseKind.FLAGSHIP, EnterpriseKind.EXCLUSIVE, EnterpriseKind.SPECIALTY)


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


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", _("身份证人像面")
    ID_BACK = "id_back", _("身份证国徽面")
    ID_IN_HAND = "id_in_hand", _("手持身份证照片")
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    LEGAL_ID_FRONT = "legal_id_front", _("法定代表人身份证人像面")
    LEGAL_ID_BACK = "legal_id_back", _("法定代表人身份证国徽面")
    BANK_PERMIT = "bank_permit", _("银行开户许可证")
    TRADEMARK = "trademark", _("商标注册证")
    BRAND_AUTHORISATION = "brand_authorisation", _("品牌授权书")
    CATEGORY_LICENCE = "category_licence", _("类目经营许可证")
    PRODUCT_LIST = "product_list", _("经营商品清单")


# Copies of company documents: an enterprise stamps them with its seal (公章).
SEALED_KINDS = (
    DocumentKind.BUSINESS_LICENCE,
    DocumentKind.BANK_PERMIT,
    DocumentKind.TRADEMARK,
    DocumentKind.BRAND_AUTHORISATION,
    DocumentKind.CATEGORY_LICENCE,
)


class Store(FSMModelMixin, models.Model):
    name = models.CharField(_("店铺名称"), max_length=30, unique=True, validators=[store_name_chars])
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
    company_name = models.CharField(_("主体名称"), max_length=100, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc])
    status = FSMField(_("状态"), default=StoreStatus.DRAFT, choices=StoreStatus.choices, protected=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("开店时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关店时间"), null=True, blank=True)
    status_reason = models.TextField(_("状态说明"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")
        permissions = [
            ("review_store", _("可以审核开店申请")),
            ("suspend_store", _("可以暂停和恢复店铺")),
            ("settle_deposit", _("可以记录保证金转账和关店退款")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_enterprise(self) -> bool:
        return self.store_type == StoreType.ENTERPRISE

    @property
    def needs_licence(self) -> bool:
        return self.store_type in (StoreType.SOLE_PROPRIETOR, StoreType.ENTERPRISE)

    @property
    def needs_brand(self) -> bool:
        return self.is_enterprise and self.enterprise_kind in BRAND_KINDS

    def type_label(self) -> str:
        if self.is_enterprise and self.enterprise_kind:
            return f"{self.get_store_type_display()} · {self.get_enterprise_kind_display()}"
        return str(self.get_store_type_display())

    def required_document_kinds(self) -> list[str]:
        """The documents this store's type (and main category) must upload (DOMAIN.md: Stores)."""
        if self.store_type == StoreType.ENTERPRISE:
            kinds = [DocumentKind.BUSINESS_LICENCE, DocumentKind.LEGAL_ID_FRONT, DocumentKind.LEGAL_ID_BACK]
            kinds.append(DocumentKind.BANK_PERMIT)
            if self.enterprise_kind in (EnterpriseKind.FLAGSHIP, EnterpriseKind.SPECIALTY):
                kinds.append(DocumentKind.TRADEMARK)
            if self.enterprise_kind in (EnterpriseKind.EXCLUSIVE, EnterpriseKind.SPECIALTY):
                kinds.append(DocumentKind.BRAND_AUTHORISATION)
        else:
            kinds = [DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.ID_IN_HAND]
            if self.store_type == StoreType.SOLE_PROPRIETOR:
                kinds.append(DocumentKind.BUSINESS_LICENCE)
        if self.main_category_id and self.main_category.requires_licence:
            kinds.append(DocumentKind.CATEGORY_LICENCE)
        kinds.append(DocumentKind.PRODUCT_LIST)
        return [str(k) for k in kinds]

    def sealed_document_kinds(self) -> list[str]:
        """The copies of company documents that must carry the company seal: an enterprise's only."""
        if self.store_type != StoreType.ENTERPRISE:
            return []
        return [kind for kind in self.required_document_kinds() if kind in SEALED_KINDS]

    # Guards (pure)
    def is_open(self) -> bool:
        return self.status == StoreStatus.OPEN

    def has_opened(self) -> bool:
        """Past onboarding (open, or suspended, closing or closed since): the whole back office applies."""
        return self.status in (StoreStatus.OPEN, StoreStatus.SUSPENDED, StoreStatus.CLOSING, StoreStatus.CLOSED)

    def next_step(self) -> str:
        """What the store page asks the merchant to do next: fill, wait_review, fix, pay_deposit, sign,
        run (open), suspended, or "" (closing, closed)."""
        return {
            StoreStatus.DRAFT: "fill",
            StoreStatus.SUBMITTED: "wait_review",
            StoreStatus.REJECTED: "fix",
            StoreStatus.APPROVED: "pay_deposit",
            StoreStatus.DEPOSIT_PAID: "sign",
            StoreStatus.OPEN: "run",
            StoreStatus.SUSPENDED: "suspended",
        }.get(self.status, "")

    def is_rejected(self) -> bool:
        """The application was rejected: the merchant corrects and resubmits it."""
        return self.status == StoreStatus.REJECTED

    def is_editable(self) -> bool:
        """The application (information and documents) can be changed by the merchant."""
        return self.status in (StoreStatus.DRAFT, StoreStatus.REJECTED)

    # Transitions: in-memory changes only; services persist and audit them (portal.fsm.transition).
    @transition(field=status, source=[StoreStatus.DRAFT, StoreStatus.REJECTED], target=StoreStatus.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()
        self.status_reason = ""

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
        self.status_reason = ""

    @transition(field=status, source=StoreStatus.OPEN, target=StoreStatus.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.SUSPENDED, target=StoreStatus.OPEN)
    def reinstate(self) -> None:
        self.status_reason = ""

    @transition(field=status, source=[StoreStatus.OPEN, StoreStatus.SUSPENDED], target=StoreStatus.CLOSING)
    def start_closing(self) -> None:
        pass

    @transition(field=status, source=StoreStatus.CLOSING, target=StoreStatus.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()


class StoreApplication(Store):
    """The review queue in the admin: the same stores, listed by submission."""

    class Meta:
        proxy = True
        verbose_name = _("开店申请")
        verbose_name_plural = _("开店审核队列")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    REPLACED = "replaced", _("已替换")


class TrademarkStatus(models.TextChoices):
    REGISTERED = "registered", _("已注册")
    APPLYING = "applying", _("申请中")


def document_upload_to(instance: StoreDocument, filename: str) -> str:
    # Unguessable names: documents are personal data, served only through access-checked views.
    return f"store-documents/{instance.store_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class StoreDocument(FSMModelMixin, models.Model):
    """One uploaded document of an application; replacing it keeps the old one as `replaced`."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("资料类型"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    # A trademark document only: registered, or under application since `filed_on` (DOMAIN.md: Stores).
    trademark_status = models.CharField(
        _("商标状态"), max_length=12, choices=TrademarkStatus.choices, blank=True, default=""
    )
    filed_on = models.DateField(_("商标申请日期"), null=True, blank=True)
    # An enterprise's copies carry the company seal (DOMAIN.md: Stores): the merchant confirms it on upload.
    sealed = models.BooleanField(_("已加盖公章"), default=False)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    status = FSMField(_("审核状态"), default=DocumentStatus.PENDING, choices=DocumentStatus.choices, protected=True)
    review_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["store_id", "kind", "-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "kind"], condition=~models.Q(status="replaced"), name="store_document_current_unique"
            )
        ]
        verbose_name = _("开店资料")
        verbose_name_plural = _("开店资料")

    def __str__(self) -> str:
        return f"{self.store_id}: {self.get_kind_display()}"

    @property
    def is_rejected(self) -> bool:
        return self.status == DocumentStatus.REJECTED

    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @transition(field=status, source=DocumentStatus.PENDING, target=DocumentStatus.APPROVED)
    def approve(self) -> None:
        self.review_reason = ""
        self.reviewed_at = timezone.now()

    @transition(field=status, source=[DocumentStatus.PENDING, DocumentStatus.APPROVED], target=DocumentStatus.REJECTED)
    def reject(self) -> None:
        self.reviewed_at = timezone.now()

    @transition(
        field=status,
        source=[DocumentStatus.PENDING, DocumentStatus.APPROVED, DocumentStatus.REJECTED],
        target=DocumentStatus.REPLACED,
    )
    def replace(self) -> None:
        pass


class DepositRule(models.Model):
    """How much deposit a store pays, by type (and enterprise kind) and main category; blank means any.

    The most specific active rule wins (category beats kind beats the type's base rule).
    """

    store_type = models.CharField(_("店铺类型"), max_length=20, choices=StoreType.choices)
    enterprise_kind = models.CharField(
        _("企业店类别"), max_length=20, choices=EnterpriseKind.choices, blank=True, default=""
    )
    category = models.ForeignKey(
        "shop.Category", verbose_name=_("主营类目"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.PositiveIntegerField(_("保证金（分）"), validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["store_type", "enterprise_kind", "category_id"]
        verbose_name = _("保证金规则")
        verbose_name_plural = _("保证金规则")

    def __str__(self) -> str:
        return f"{self.get_store_type_display()} {self.enterprise_kind or '*'} {self.category or '*'}"

    def clean(self) -> None:
        if self.enterprise_kind and self.store_type != StoreType.ENTERPRISE:
            raise ValidationError({"enterprise_kind": _("只有企业店可以设置企业店类别。")})
        clash = DepositRule.objects.filter(
            store_type=self.store_type,
            enterprise_kind=self.enterprise_kind,
            category=self.category,
            is_active=True,
        ).exclude(pk=self.pk)
        if self.is_active and clash.exists():
            raise ValidationError(_("已有相同条件的启用规则。"))

    def specificity(self) -> int:
        return (2 if self.category_id else 0) + (1 if self.enterprise_kind else 0)


class DepositEntryKind(models.TextChoices):
    PAY = "pay", _("缴纳")
    TOP_UP = "top_up", _("补缴")
    FREEZE = "freeze", _("冻结")
    UNFREEZE = "unfreeze", _("解冻")
    DEDUCT = "deduct", _("扣除")
    REFUND = "refund", _("退还")


# How each kind moves the deposit held (balance) and the part of it that is frozen.
BALANCE_SIGN = {"pay": 1, "top_up": 1, "deduct": -1, "refund": -1, "freeze": 0, "unfreeze": 0}
FROZEN_SIGN = {"freeze": 1, "unfreeze": -1}


class DepositEntry(models.Model):
    """One append-only line of a store's deposit ledger; balances are sums of these, never stored."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="deposit_entries")
    kind = models.CharField(_("类型"), max_length=10, choices=DepositEntryKind.choices)
    amount = models.PositiveIntegerField(_("金额（分）"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    ref = models.CharField(_("关联单号"), max_length=64, blank=True, db_index=True)
    payment = models.ForeignKey(
        "portal.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="deposit_entries"
    )
    refund = models.ForeignKey(
        "portal.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="deposit_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作者"), max_length=150)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="deposit_entry_amount_positive")]
        indexes = [models.Index(fields=["store", "kind"])]
        verbose_name = _("保证金流水")
        verbose_name_plural = _("保证金流水")

    def __str__(self) -> str:
        return f"{self.store_id} {self.kind} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Deposit entries are append-only")
        super().save(*args, **kwargs)

    @property
    def signed_amount(self) -> int:
        return BALANCE_SIGN[self.kind] * self.amount


class AgreementVersion(models.Model):
    """A version of the merchant service agreement; the newest effective one is signed."""

    version = models.CharField(_("版本"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    effective_at = models.DateTimeField(_("生效时间"), default=timezone.now)

    class Meta:
        ordering = ["-effective_at", "-id"]
        verbose_name = _("入驻协议版本")
        verbose_name_plural = _("入驻协议版本")

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class AgreementSignature(models.Model):
    """Who signed which agreement version for a store, when and from where."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="agreement_signatures")
    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"))
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "version"], name="agreement_signature_unique")]
        verbose_name = _("协议签署记录")
        verbose_name_plural = _("协议签署记录")

    def __str__(self) -> str:
        return f"{self.store_id} {self.version_id} {self.signer_id}"


class DepositRefundStatus(models.TextChoices):
    PENDING = "pending", _("退款审核中")
    APPROVED = "approved", _("已退还")
    REJECTED = "rejected", _("退款被驳回")


class DepositRefundRequest(FSMModelMixin, models.Model):
    """Closing a store asks for its deposit back; finance approves (the deposit is refunded and the store
    closes) or rejects it with a reason, in about `DEPOSIT_REFUND_REVIEW_WORKING_DAYS` working days."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="deposit_refund_requests")
    amount = models.PositiveIntegerField(_("申请退还（分）"))
    status = FSMField(
        _("状态"), default=DepositRefundStatus.PENDING, choices=DepositRefundStatus.choices, protected=True
    )
    expected_on = models.DateField(_("预计完成日期"))
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.CharField(_("处理说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(status="pending"), name="deposit_refund_one_pending"
            )
        ]
        verbose_name = _("保证金退还申请")
        verbose_name_plural = _("保证金退还申请")

    def __str__(self) -> str:
        return f"{self.store_id} {self.status} {self.amount}"

    @transition(field=status, source=DepositRefundStatus.PENDING, target=DepositRefundStatus.APPROVED)
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=DepositRefundStatus.PENDING, target=DepositRefundStatus.REJECTED)
    def reject(self) -> None:
        self.decided_at = timezone.now()
