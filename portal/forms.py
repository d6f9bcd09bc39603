from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, User


class SignupForm(UserCreationForm):
    email = forms.EmailField(label=_("邮箱"), required=True)
    phone = forms.CharField(label=_("手机号"), max_length=11, required=True)

    class Meta:
        model = User
        fields = ("username", "email", "phone")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("该邮箱已注册。"))
        return email


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("phone", "sms_quiet_start", "sms_quiet_end")
        widgets = {
            "sms_quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "sms_quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：ERP 同步"))
    kind = forms.ChoiceField(
        label=_("密钥类型"),
        choices=ApiKey.Kind.choices,
        initial=ApiKey.Kind.MERCHANT,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "商家系统密钥调用商家接口（订单同步、发货、售后处理）；店面密钥代买家下单、支付、确认收货、申请售后和评价。"
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    # One value per rendered form: a reload of the create answer re-posts it, and the view then creates nothing.
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ApiKey.Kind.MERCHANT
