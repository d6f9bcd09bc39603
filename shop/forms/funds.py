"""Forms of the merchant's funds page: 申请提现."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import INT_MAX


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(
        label=_("提现金额（元）"), min_value=0.01, max_value=INT_MAX / 100, decimal_places=2, max_digits=12
    )
    account = forms.CharField(
        label=_("收款银行账号"), max_length=40, help_text=_("店铺对公账户或本人银行卡，8–30 位数字")
    )

    def clean_amount(self) -> int:
        return int(self.cleaned_data["amount"] * 100)
