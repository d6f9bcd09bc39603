"""Forms of the onboarding wizard, the store page and the staff screens (field formats only;
business rules are checked by shop.services.stores and attached back as field errors)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import BIGINT_MAX, YUAN_MAX
from portal.widgets import FastDateInput
from shop.models import Category, DocumentKind, EnterpriseKind, Store, StoreDocument, StoreType, TrademarkStatus
from shop.services.stores import store_name_errors, trademark_window


def attach_errors(form: forms.Form, fields: dict) -> None:
    """Show a DomainError's field errors on the form (unknown fields as form-wide errors)."""
    for field, messages in fields.items():
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field if field in form.fields else None, str(message))


class StoreTypeForm(forms.Form):
    store_type = forms.ChoiceField(label=_("店铺类型"), choices=StoreType.choices, widget=forms.RadioSelect)
    enterprise_kind = forms.ChoiceField(
        label=_("企业店类别"),
        choices=EnterpriseKind.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("旗舰店、专卖店、专营店需要品牌资质。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("store_type") == StoreType.ENTERPRISE and not data.get("enterprise_kind"):
            self.add_error("enterprise_kind", _("企业店请选择店铺类别。"))
        if data.get("store_type") in (StoreType.INDIVIDUAL, StoreType.SOLE_PROPRIETOR):
            data["enterprise_kind"] = ""
        return data


class StoreInfoForm(forms.ModelForm):
    """Step 2. Fields the store's type does not need are left out."""

    class Meta:
        model = Store
        fields = ("name", "main_category", "brand_name", "company_name", "credit_code", "contact_name", "contact_phone")
        help_texts = {
            "name": _("2–30 个字，不能包含“拼多多”“官方”等保留词；“旗舰店/专卖店/专营店”结尾须与类别一致。"),
            "credit_code": _("营业执照上的 18 位代码，系统会校验最后一位校验码。"),
            "contact_phone": _("中国大陆 11 位手机号，用于接收审核结果短信。"),
        }

    def __init__(self, *args, store_type: str, enterprise_kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.store_type, self.enterprise_kind = store_type, enterprise_kind
        self.fields["main_category"].queryset = Category.objects.filter(parent__isnull=True)
        self.fields["main_category"].empty_label = _("请选择主营类目")
        for name in ("name", "main_category", "contact_name", "contact_phone"):
            self.fields[name].required = True
        needs_licence = store_type in (StoreType.SOLE_PROPRIETOR, StoreType.ENTERPRISE)
        needs_brand = store_type == StoreType.ENTERPRISE and enterprise_kind in (
            EnterpriseKind.FLAGSHIP,
            EnterpriseKind.EXCLUSIVE,
            EnterpriseKind.SPECIALTY,
        )
        if needs_brand:
            self.fields["brand_name"].required = True
        else:
            del self.fields["brand_name"]
        if needs_licence:
            self.fields["company_name"].required = True
            self.fields["credit_code"].required = True
        else:
            del self.fields["company_name"], self.fields["credit_code"]

    def clean_name(self) -> str:
        """The name rules are reported with every other field's errors, not after them."""
        name = (self.cleaned_data.get("name") or "").strip()
        errors = store_name_errors(
            name, store_type=self.store_type, enterprise_kind=self.enterprise_kind, exclude_pk=self.instance.pk
        )
        if errors:
            raise forms.ValidationError(errors)
        return name

    def clean_credit_code(self) -> str:
        return (self.cleaned_data.get("credit_code") or "").strip().upper()

    def validate_unique(self) -> None:
        """Uniqueness (case-insensitive) is the service's rule; errors come back as field errors."""


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("资料类型"), choices=DocumentKind.choices, widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("JPG、PNG 或 PDF，不超过 5 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )
    # A trademark only: registered, or under application with its filing date.
    trademark_status = forms.ChoiceField(
        label=_("商标状态"), choices=TrademarkStatus.choices, required=False, initial=TrademarkStatus.REGISTERED
    )
    filed_on = forms.DateField(label=_("商标申请日期"), required=False, widget=FastDateInput)
    sealed = forms.BooleanField(label=_("复印件已加盖公司公章"), required=False)


class AgreementForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=BIGINT_MAX)
    agree = forms.BooleanField(label=_("我已阅读并同意以上协议"), required=True)


class InviteForm(forms.Form):
    user = forms.CharField(label=_("用户名或邮箱"), max_length=254)


# Staff screens (admin) ----------------------------------------------------------------------------


class ReviewForm(forms.Form):
    """Approve, or reject with a reason for each document that does not meet the rules."""

    decision = forms.ChoiceField(
        label=_("审核结论"), choices=[("approve", _("通过")), ("reject", _("驳回"))], widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, documents: list[StoreDocument], **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = documents
        for document in documents:
            self.fields[f"reason_{document.kind}"] = forms.CharField(
                label=document.get_kind_display(),
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"size": 48, "placeholder": _("合格则留空"), "list": "review-reasons"}),
            )

    @staticmethod
    def reason_presets() -> list[str]:
        """The reviewer's common reasons (offered as suggestions; any text is accepted)."""
        low, high = trademark_window()
        return [
            _("资料不清晰，请重新拍摄上传。"),
            _("资料与填写的主体信息不一致。"),
            _("资料已过期。"),
            _("商标申请时间不在 %(low)d 个月至 %(high)d 个月之间（商标年龄不符）。") % {"low": low, "high": high},
        ]

    def reasons(self) -> dict[str, str]:
        return {
            d.kind: self.cleaned_data.get(f"reason_{d.kind}", "").strip()
            for d in self.documents
            if self.cleaned_data.get(f"reason_{d.kind}", "").strip()
        }

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not self.reasons():
            raise forms.ValidationError(_("驳回时请至少为一份资料填写原因。"))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class TransferForm(forms.Form):
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=Decimal("0.01"), max_value=YUAN_MAX, max_digits=12, decimal_places=2
    )
    ref = forms.CharField(label=_("银行流水号"), max_length=64)
    reason = forms.CharField(label=_("备注"), max_length=200, required=False)

    @property
    def amount_fen(self) -> int:
        return int(self.cleaned_data["amount"] * 100)
