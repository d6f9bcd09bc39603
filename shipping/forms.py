"""Forms of the shipping pages: address book, booking confirmation, re-booking, courier desk, tickets."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import BIGINT_MAX
from portal.models import mainland_mobile
from portal.regions import PROVINCES

from .models import Courier, CourierAccount, MessageTopic, PlatformTicket, SenderAddress

PROVINCE_CHOICES = [("", _("请选择"))] + [(p, p) for p in PROVINCES]


class SenderAddressForm(forms.ModelForm):
    province = forms.ChoiceField(label=_("省"), choices=PROVINCE_CHOICES)

    class Meta:
        model = SenderAddress
        fields = ["label", "contact_name", "phone", "province", "city", "district", "street", "is_default"]


class ConfirmForm(forms.Form):
    """Courier is fixed by the previous step; sender address and pickup slot are chosen here."""

    sender = forms.ModelChoiceField(label=_("发货地址"), queryset=SenderAddress.objects.none(), empty_label=None)
    pickup = forms.ChoiceField(label=_("揽收时间"))

    def __init__(self, *args, store, pickup_days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = SenderAddress.objects.filter(store=store)
        self.fields["pickup"].choices = [
            (f"{day.isoformat()}|{slot}", f"{label} {slot}") for day, label, slots in pickup_days for slot in slots
        ]

    def pickup_value(self):
        from datetime import date

        day, slot = self.cleaned_data["pickup"].split("|", 1)
        return date.fromisoformat(day), slot


class LineForm(forms.Form):
    """One order on the confirmation page: predicted weight and the recipient, editable."""

    order_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIGINT_MAX)
    weight_g = forms.IntegerField(label=_("预估重量（克）"), min_value=1, max_value=100_000)
    recipient_name = forms.CharField(label=_("收件人"), max_length=30)
    recipient_phone = forms.CharField(label=_("手机"), max_length=11, validators=[mainland_mobile])
    province = forms.ChoiceField(label=_("省"), choices=PROVINCE_CHOICES)
    city = forms.CharField(label=_("市"), max_length=30)
    district = forms.CharField(label=_("区/县"), max_length=30)
    street = forms.CharField(label=_("详细地址"), max_length=120)


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=200)


class RebookForm(forms.Form):
    courier = forms.ModelChoiceField(
        label=_("改派快递"), queryset=Courier.objects.filter(is_active=True), to_field_name="code"
    )


class MessageForm(forms.Form):
    topic = forms.ChoiceField(label=_("问题类型"), choices=MessageTopic.choices)
    body = forms.CharField(label=_("内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class TicketForm(forms.Form):
    kind = forms.ChoiceField(label=_("投诉类型"), choices=PlatformTicket.Kind.choices)
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CourierAccountForm(forms.Form):
    """Connect a kuaidi100 商家寄件 account: the secrets are write-only (never rendered back)."""

    environment = forms.ChoiceField(label=_("环境"), choices=CourierAccount.Environment.choices)
    key = forms.CharField(label=_("授权 key"), max_length=64, widget=forms.PasswordInput(render_value=False))
    secret = forms.CharField(label=_("secret"), max_length=128, widget=forms.PasswordInput(render_value=False))
    salt = forms.CharField(
        label=_("回调签名 salt"),
        max_length=100,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("自行设定的随机字符串，用于校验快递100 的回调签名。"),
    )
    couriers = forms.ModelMultipleChoiceField(
        label=_("通过此账号下单的快递"),
        queryset=Courier.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["couriers"].queryset = kuaidi100_couriers()


class CourierChoiceForm(forms.Form):
    couriers = forms.ModelMultipleChoiceField(
        label=_("通过此账号下单的快递"),
        queryset=Courier.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["couriers"].queryset = kuaidi100_couriers()


def kuaidi100_couriers():
    return Courier.objects.filter(is_active=True).exclude(kuaidi100_code="").order_by("sort", "platform_id")
