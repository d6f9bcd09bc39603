"""Forms of the catalogue pages: product with its SKU matrix, stock, images, CSV import."""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import INT_MAX, YUAN_MAX, parse_id
from shop.models import Category, Product, Sku
from shop.models.catalog import SERVICE_FLAGS
from shop.services.catalog import spec_combinations

MAX_SPEC_ATTRIBUTES = 3
MAX_SPEC_VALUES = 20
MAX_SKUS = 200


class YuanField(forms.DecimalField):
    """Money typed in yuan (two decimals), cleaned to integer fen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", YUAN_MAX)  # its fen fit the integer column
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value / 100:.2f}"
        return super().prepare_value(value)

    def clean(self, value):
        yuan = super().clean(value)
        return None if yuan is None else int(yuan * 100)


def parse_specs(text: str) -> list[dict]:
    """One attribute a line, "颜色: 红, 蓝" → [{"name": "颜色", "values": ["红", "蓝"]}]."""
    attributes = []
    for raw in text.replace("：", ":").replace("，", ",").splitlines():
        if not raw.strip():
            continue
        name, sep, values = raw.partition(":")
        name = name.strip()
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name or not items:
            raise forms.ValidationError(_("每行一个规格，格式为“颜色: 红, 蓝”。"))
        if len(set(items)) != len(items):
            raise forms.ValidationError(_("规格“%(n)s”的值有重复。") % {"n": name})
        if len(items) > MAX_SPEC_VALUES:
            raise forms.ValidationError(_("每个规格最多 %(n)d 个值。") % {"n": MAX_SPEC_VALUES})
        attributes.append({"name": name, "values": items})
    names = [a["name"] for a in attributes]
    if len(set(names)) != len(names):
        raise forms.ValidationError(_("规格名称不能重复。"))
    if len(attributes) > MAX_SPEC_ATTRIBUTES:
        raise forms.ValidationError(_("最多 %(n)d 个规格。") % {"n": MAX_SPEC_ATTRIBUTES})
    if len(spec_combinations(attributes)) > MAX_SKUS:
        raise forms.ValidationError(_("规格组合最多 %(n)d 个。") % {"n": MAX_SKUS})
    return attributes


def format_specs(attributes: list[dict]) -> str:
    return "\n".join(f"{a['name']}: {', '.join(a['values'])}" for a in attributes)


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several pictures in one input; the service checks each (type, size, count)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProductForm(forms.ModelForm):
    images = MultipleImageField(
        label=_("商品图片"),
        required=False,
        help_text=_("可一次选择多张，第一张为主图；JPG、PNG 或 WEBP，每张不超过 5 MB。没有图片的商品不能上架。"),
    )
    specs = forms.CharField(
        label=_("规格"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "颜色: 红, 蓝\n尺码: S, M, L"}),
        help_text=_("每行一个规格，如“颜色: 红, 蓝”；修改后点“生成规格表”。不填则只有一个 SKU。"),
    )

    class Meta:
        model = Product
        fields = (
            "title",
            "category",
            "brand",
            "description",
            "specs",
            "is_fresh",
            "is_frozen",
            "is_bulky",
            "is_fragile",
            "is_cross_border",
            *SERVICE_FLAGS,
            "ship_within_hours",
            "seven_day_return",
            "group_size",
            "per_buyer_limit",
            "per_order_limit",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["specs"].initial = format_specs(self.instance.spec_attributes)
            del self.fields["images"]  # an existing product's pictures are managed on its page

    def clean_specs(self) -> list[dict]:
        return parse_specs(self.cleaned_data.get("specs") or "")

    def product_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("specs", "images")}
        data["spec_attributes"] = self.cleaned_data["specs"]
        return data


class SkuRowForm(forms.Form):
    spec = forms.CharField(widget=forms.HiddenInput, required=False)
    code = forms.CharField(label=_("SKU 编码"), max_length=40, required=False)
    price = YuanField(label=_("单买价（元）"), min_value=Decimal("0.01"))
    group_price = YuanField(label=_("拼团价（元）"), min_value=Decimal("0.01"))
    stock = forms.IntegerField(label=_("库存"), min_value=0, max_value=INT_MAX)
    weight_g = forms.IntegerField(label=_("重量（克）"), min_value=1, max_value=INT_MAX, initial=500)
    length_mm = forms.IntegerField(label=_("长（毫米）"), min_value=0, max_value=INT_MAX, initial=0)
    width_mm = forms.IntegerField(label=_("宽（毫米）"), min_value=0, max_value=INT_MAX, initial=0)
    height_mm = forms.IntegerField(label=_("高（毫米）"), min_value=0, max_value=INT_MAX, initial=0)

    def clean_spec(self) -> dict:
        try:
            spec = json.loads(self.cleaned_data.get("spec") or "{}")
        except json.JSONDecodeError:
            raise forms.ValidationError(_("规格无效。"))
        if not isinstance(spec, dict):
            raise forms.ValidationError(_("规格无效。"))
        return {str(k): str(v) for k, v in spec.items()}

    def clean(self):
        data = super().clean()
        if (
            data.get("price") is not None
            and data.get("group_price") is not None
            and data["group_price"] > data["price"]
        ):
            self.add_error("group_price", _("拼团价不能高于单买价。"))
        return data

    def spec_label(self) -> str:
        spec = self.initial.get("spec") or self.data.get(self.add_prefix("spec")) or "{}"
        try:
            values = json.loads(spec) if isinstance(spec, str) else spec
        except json.JSONDecodeError:
            return ""
        if not isinstance(values, dict):  # posted JSON that is not a spec ("0", "[]"): the row shows no label
            return ""
        return " / ".join(str(v) for v in values.values()) or str(_("默认"))


SkuFormSet = forms.formset_factory(SkuRowForm, extra=0, max_num=MAX_SKUS, validate_max=True, min_num=1)


def matrix_initial(attributes: list[dict], skus: list[Sku] | list[dict]) -> list[dict]:
    """Initial rows of the SKU matrix: one per spec combination, keeping what existing SKUs already hold."""
    known = {}
    for sku in skus:
        row = sku if isinstance(sku, dict) else {f: getattr(sku, f) for f in SkuRowForm.base_fields if f != "spec"}
        spec = row.get("spec") if isinstance(sku, dict) else sku.spec
        if isinstance(spec, str):
            spec = json.loads(spec or "{}")
        known[tuple(sorted((spec or {}).items()))] = row
    rows = []
    for combo in spec_combinations(attributes):
        row = {k: v for k, v in known.get(tuple(sorted(combo.items())), {}).items() if k != "spec"}
        rows.append(
            {
                "weight_g": 500,
                "length_mm": 0,
                "width_mm": 0,
                "height_mm": 0,
                **row,
                "spec": json.dumps(combo, ensure_ascii=False),
            }
        )
    return rows


class StockForm(forms.Form):
    """One field per SKU: stock_<id>."""

    def __init__(self, *args, skus: list[Sku], **kwargs):
        super().__init__(*args, **kwargs)
        self.skus = skus
        for sku in skus:
            self.fields[f"stock_{sku.pk}"] = forms.IntegerField(
                label=sku.spec_label or _("默认"), min_value=0, max_value=INT_MAX, initial=sku.stock
            )

    def changed_stock(self) -> list[tuple[Sku, int]]:
        return [
            (sku, self.cleaned_data[f"stock_{sku.pk}"])
            for sku in self.skus
            if self.cleaned_data[f"stock_{sku.pk}"] != sku.stock
        ]


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("商品图片"), help_text=_("JPG、PNG 或 WEBP，不超过 5 MB。"))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV 文件"),
        help_text=_(
            "列：sku_code, product_title, category, brand, spec, price, group_price, stock, weight_g（价格单位：元）。"
        ),
    )


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value or []
        ids = [parse_id(v) for v in values]
        if any(i is None for i in ids):
            raise forms.ValidationError(_("选择无效。"))
        return [i for i in ids if i is not None]


class BulkShelfForm(forms.Form):
    action = forms.ChoiceField(choices=[("on_sale", _("上架")), ("off_shelf", _("下架"))])
    ids = IdListField(error_messages={"required": _("请至少选择一个商品。")})


class ProductFilterForm(forms.Form):
    """The product list's filters: category, stock, lowest price range (yuan), order."""

    category = forms.ModelChoiceField(
        label=_("类目"), queryset=Category.objects.none(), required=False, empty_label=_("全部类目")
    )
    stock = forms.ChoiceField(
        label=_("库存"),
        required=False,
        choices=[("", _("全部库存")), ("out", _("已售罄")), ("low", _("库存紧张（≤10）")), ("in", _("有库存"))],
    )
    price_min = YuanField(label=_("最低价（元）"), required=False)
    price_max = YuanField(label=_("最高价（元）"), required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("", _("最新发布")),
            ("sales", _("销量从高到低")),
            ("stock", _("库存从少到多")),
            ("price", _("价格从低到高")),
            ("-price", _("价格从高到低")),
        ],
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories
