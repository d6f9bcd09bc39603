"""Forms of the merchant's order pages: list filters, self-ship / re-ship, cancel."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.i18n import stored_text
from portal.keyset import PAGE_SIZES
from portal.regions import PROVINCES
from portal.widgets import FastCheckbox, FastDateInput, FastHidden, FastSelect, FastTextInput
from shop.models import Product, Store
from shop.models.orders import MemoFlag
from shop.selectors.orders import TABS, OrderFilters
from shop.services.orders import courier_choices


class OrderFilterForm(forms.Form):
    tab = forms.ChoiceField(required=False, choices=[("", _("全部")), *TABS], widget=FastHidden)
    q = forms.CharField(label=_("搜索"), required=False, max_length=40, widget=FastTextInput)
    date_from = forms.DateField(label=_("下单起"), required=False, widget=FastDateInput)
    date_to = forms.DateField(label=_("下单止"), required=False, widget=FastDateInput)
    # The store's products as plain choices: one ordinary query (a ModelChoiceField would iterate its queryset
    # through a server-side cursor: four round trips on every list page)
    product = forms.TypedChoiceField(label=_("商品"), required=False, coerce=int, empty_value=None, widget=FastSelect)
    province = forms.ChoiceField(
        label=_("省份"), required=False, choices=[("", _("全部"))] + [(p, p) for p in PROVINCES], widget=FastSelect
    )
    overdue = forms.BooleanField(label=_("已超时未发货"), required=False, widget=FastCheckbox)
    memo_flag = forms.ChoiceField(
        label=_("备注旗帜"), required=False, choices=[("", _("全部")), *MemoFlag.choices], widget=FastSelect
    )
    size = forms.TypedChoiceField(
        label=_("每页"),
        required=False,
        coerce=int,
        empty_value=PAGE_SIZES[0],
        choices=[(n, n) for n in PAGE_SIZES],
        widget=FastSelect,
    )

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(store=store).order_by("-created_at", "-id").values_list("pk", "title")
        self.fields["product"].choices = [("", "---------"), *products]
        self.fields["q"].widget.attrs["placeholder"] = _("订单号 / 收件人手机 / 姓名")
        # the value stays the province's own name (orders store it); the label is read in the page's language
        self.fields["province"].choices = [("", _("全部"))] + [(p, stored_text(p)) for p in PROVINCES]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data

    def page_size(self) -> int:
        return self.cleaned_data.get("size") or PAGE_SIZES[0]

    def filters(self) -> OrderFilters:
        d = self.cleaned_data
        return OrderFilters(
            tab=d.get("tab") or "",
            q=d.get("q") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            product_id=d.get("product"),
            province=d.get("province") or "",
            overdue=bool(d.get("overdue")),
            memo_flag=d.get("memo_flag") or "",
        )


class ShipForm(forms.Form):
    courier_code = forms.ChoiceField(label=_("快递公司"))
    waybill_no = forms.CharField(label=_("运单号"), max_length=30)

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = courier_choices()
        if order is not None and order.free_sf:  # 顺丰包邮: only SF is offered
            choices = [(code, name) for code, name in choices if code in settings.FREE_SF_COURIERS]
        self.fields["courier_code"].choices = [("", "—"), *choices]


class MemoForm(forms.Form):
    """The merchant's memo and flag (商家备注) of one order or of a selection."""

    memo = forms.CharField(label=_("商家备注"), max_length=200, required=False, widget=FastTextInput)
    flag = forms.ChoiceField(
        label=_("旗帜"), choices=[("", _("无旗帜")), *MemoFlag.choices], required=False, widget=FastSelect
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)
