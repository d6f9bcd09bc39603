"""Forms of the promotions pages: limited-time discount, spend-and-save, coupon batch."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import INT_MAX, YUAN_MAX
from shop.models import CouponKind, DiscountKind, Product, Sku, Store

from .catalog import YuanField

TIER_LINE = re.compile(r"^满?\s*(\d+(?:\.\d{1,2})?)\s*(?:减|-|,|，|\s)\s*(\d+(?:\.\d{1,2})?)$")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class _WindowForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeLocalInput())

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
        return data


class SkuChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Sku) -> str:
        return f"{obj.product.title} {obj.spec_label} (¥{obj.price / 100:.2f})"


class DiscountForm(_WindowForm):
    sku = SkuChoiceField(label=_("SKU"), queryset=Sku.objects.none())
    kind = forms.ChoiceField(label=_("优惠方式"), choices=DiscountKind.choices)
    price = YuanField(label=_("活动价（元）"), required=False, min_value=Decimal("0.01"))
    permille = forms.IntegerField(
        label=_("折扣（千分比）"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=_("300 即 3 折，850 即 8.5 折。"),
    )
    activity_stock = forms.IntegerField(label=_("活动库存"), required=False, min_value=1, max_value=INT_MAX)
    per_buyer_limit = forms.IntegerField(label=_("每人限购"), required=False, min_value=1, max_value=INT_MAX)
    field_order = ["sku", "kind", "price", "permille", "starts_at", "ends_at", "activity_stock", "per_buyer_limit"]

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = Sku.objects.filter(product__store=store).select_related("product")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == DiscountKind.PRICE and data.get("price") is None:
            self.add_error("price", _("请填写活动价。"))
        if kind == DiscountKind.PERMILLE and data.get("permille") is None:
            self.add_error("permille", _("请填写折扣。"))
        return data


def parse_tiers(text: str) -> list[dict]:
    """Lines such as "满100减10" or "100 10" (yuan) → [{"threshold": 10000, "discount": 1000}]."""
    tiers = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = TIER_LINE.match(line.strip())
        if not match:
            raise forms.ValidationError(_("无法识别“%(l)s”，请写成“满100减10”。") % {"l": line.strip()})
        threshold, discount = (int(Decimal(g) * 100) for g in match.groups())
        if threshold > YUAN_MAX * 100 or discount > YUAN_MAX * 100:
            raise forms.ValidationError(_("金额不能超过 %(max)s 元。") % {"max": YUAN_MAX})
        tiers.append({"threshold": threshold, "discount": discount})
    if not tiers:
        raise forms.ValidationError(_("至少设置一个满减档位。"))
    return tiers


class SpendAndSaveForm(_WindowForm):
    name = forms.CharField(label=_("活动名称"), max_length=60)
    tiers = forms.CharField(
        label=_("满减档位"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "满100减10\n满200减25"}),
        help_text=_("每行一档，如“满100减10”（单位：元）。"),
    )
    field_order = ["name", "tiers", "starts_at", "ends_at"]

    def clean_tiers(self) -> list[dict]:
        return parse_tiers(self.cleaned_data["tiers"])


class CouponForm(_WindowForm):
    name = forms.CharField(label=_("优惠券名称"), max_length=60)
    kind = forms.ChoiceField(label=_("类型"), choices=CouponKind.choices)
    threshold = YuanField(label=_("使用门槛（元）"), required=False, help_text=_("0 或不填为无门槛。"))
    amount = YuanField(label=_("减免金额（元）"), required=False, min_value=Decimal("0.01"))
    percent_off = forms.IntegerField(
        label=_("折扣比例（%）"), required=False, min_value=1, max_value=99, help_text=_("10 即减 10%（9 折）。")
    )
    cap = YuanField(label=_("最高优惠（元）"), required=False, min_value=Decimal("0.01"))
    quantity = forms.IntegerField(label=_("发行数量"), min_value=1, max_value=1_000_000)
    per_user_limit = forms.IntegerField(label=_("每人限领"), min_value=1, max_value=100, initial=1)
    valid_days = forms.IntegerField(
        label=_("领取后有效天数"), required=False, min_value=1, max_value=365, help_text=_("不填则在活动结束时失效。")
    )
    products = forms.ModelMultipleChoiceField(
        label=_("指定商品"), queryset=Product.objects.none(), required=False, help_text=_("不选则全店通用。")
    )
    field_order = [
        "name",
        "kind",
        "threshold",
        "amount",
        "percent_off",
        "cap",
        "quantity",
        "per_user_limit",
        "starts_at",
        "ends_at",
        "valid_days",
        "products",
    ]

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(store=store)

    def clean(self):
        data = super().clean()
        if data.get("kind") == CouponKind.THRESHOLD and not data.get("amount"):
            self.add_error("amount", _("请填写减免金额。"))
        if data.get("kind") == CouponKind.PERCENTAGE and not data.get("percent_off"):
            self.add_error("percent_off", _("请填写折扣比例。"))
        return data


class AddQuantityForm(forms.Form):
    extra = forms.IntegerField(label=_("追加数量"), min_value=1, max_value=1_000_000)
