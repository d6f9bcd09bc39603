"""Merchant forms of after-sales and reviews (field errors shown next to the fields)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import YUAN_MAX
from shipping.waybills import courier_choices

from .models import Decision


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RefundConfirmMixin:
    """A form whose submission refunds the buyer in full asks the merchant to confirm the amount first
    (not when the inspection failed: nothing is refunded then)."""

    def __init__(self, *args, refund_amount: int = 0, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.refund_amount = refund_amount
        if refund_amount:
            self.fields["confirm_refund"] = forms.BooleanField(  # type: ignore[attr-defined]
                label=_("确认全额退款 %(amount).2f 元给买家（退款后无法撤回）") % {"amount": refund_amount / 100},
                required=False,
            )

    def clean(self):
        data = super().clean()  # type: ignore[misc]
        if self.refund_amount and not data.get("confirm_refund") and not data.get("inspection_failed"):
            self.add_error("confirm_refund", _("请勾选确认全额退款。"))  # type: ignore[attr-defined]
        return data


class ApproveForm(RefundConfirmMixin, forms.Form):
    return_address = forms.CharField(
        label=_("退货地址"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("退货退款和换货必填：收件人、电话、详细地址。"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class NegotiateForm(forms.Form):
    """The merchant's offer of a partial refund (yuan on the page, fen in the service)."""

    amount_yuan = forms.DecimalField(
        label=_("协商退款金额（元）"), min_value=Decimal("0.01"), decimal_places=2, max_digits=10
    )
    note = forms.CharField(
        label=_("协商说明"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("买家同意后立即退款，无需退货。"),
    )

    def __init__(self, *args, refundable: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.fields["amount_yuan"].widget.attrs.update({"max": f"{refundable / 100:.2f}", "step": "0.01"})
        self.fields["amount_yuan"].help_text = _("最多可退 %(amount).2f 元。") % {"amount": refundable / 100}

    def clean(self):
        data = super().clean()
        if data.get("amount_yuan") is not None:
            data["amount"] = int(data["amount_yuan"] * 100)
            if data["amount"] > self.refundable:
                self.add_error("amount_yuan", _("最多可退 %(amount).2f 元。") % {"amount": self.refundable / 100})
        return data


class ReturnAddressForm(forms.Form):
    return_address = forms.CharField(label=_("退货地址"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("拒绝理由"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleImageField(label=_("凭证图片"), required=False)


class ReceiveForm(RefundConfirmMixin, forms.Form):
    inspection_failed = forms.BooleanField(label=_("验货不通过（拒绝退款，买家可申请平台介入）"), required=False)
    note = forms.CharField(label=_("验货说明"), max_length=200, required=False)


class ShipForm(forms.Form):
    courier_code = forms.ChoiceField(label=_("快递公司"), choices=courier_choices)
    waybill_no = forms.CharField(label=_("运单号"), max_length=30)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("回复"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    part = forms.ChoiceField(
        choices=[("", ""), ("review", _("评价")), ("followup", _("追评"))], required=False, widget=forms.HiddenInput
    )


class DecisionForm(forms.Form):
    """Staff's intervention decision (admin)."""

    decision = forms.ChoiceField(label=_("裁决"), choices=Decision.choices)
    amount_yuan = forms.DecimalField(
        label=_("部分退款金额（元）"), required=False, min_value=0, max_value=YUAN_MAX, decimal_places=2, max_digits=10
    )
    deposit_deduction_yuan = forms.DecimalField(
        label=_("扣除保证金（元）"), required=False, min_value=0, max_value=YUAN_MAX, decimal_places=2, max_digits=10
    )
    note = forms.CharField(label=_("裁决说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def fen(self, name: str) -> int:
        value = self.cleaned_data.get(name)
        return int(value * 100) if value else 0
