"""Forms of the promotions pages: limited-time discount, spend-and-save, coupon batch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.bounds import INT_MAX
from shop.models import CouponKind, DiscountKind, Product, Sku, Store

from .catalog import YuanField


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class _WindowForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeLocalInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # a new promotion starts now and runs a week unless changed
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", now)
            self.initial.setdefault("ends_at", now + timedelta(days=7))

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
        return data


class DiscountActivityForm(_WindowForm):
    """One 限时折扣 activity over chosen SKUs of many products: a discount in 折 for all, or a price per SKU."""

    name = forms.CharField(label=_("活动名称"), max_length=60)
    kind = forms.ChoiceField(
        label=_("优惠方式"),
        choices=[(DiscountKind.PERMILLE, _("打折")), (DiscountKind.PRICE, _("设活动价"))],
        initial=DiscountKind.PERMILLE,
        widget=forms.RadioSelect,
    )
    zhe = forms.DecimalField(
        label=_("折扣（折）"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("9.99"),
        decimal_places=2,
        help_text=_("如 8.5 即 8.5 折（原价的 85%），可填 0.1–9.99。"),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    per_buyer_limit = forms.IntegerField(label=_("每人限购"), required=False, min_value=1, max_value=INT_MAX)
    partial = forms.BooleanField(
        label=_("跳过不能参加的规格，其余照常创建"),
        required=False,
        help_text=_("不勾选时，只要有一个规格不能参加，整个活动都不创建。"),
    )
    skus = forms.TypedMultipleChoiceField(label=_("参加活动的商品规格"), coerce=int, choices=[])

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.sku_rows = list(
            Sku.objects.filter(product__store=store)
            .exclude(product__status="off_shelf")
            .select_related("product")
            .order_by("product__title", "product_id", "id")
        )
        self.fields["skus"].choices = [(sku.pk, str(sku)) for sku in self.sku_rows]
        for sku in self.sku_rows:
            self.fields[f"price_{sku.pk}"] = YuanField(
                label=_("活动价（元）"), required=False, min_value=Decimal("0.01")
            )
            self.fields[f"stock_{sku.pk}"] = forms.IntegerField(
                label=_("活动库存"), required=False, min_value=1, max_value=INT_MAX
            )

    def main_fields(self) -> list:
        return [self[name] for name in ("name", "kind", "zhe", "starts_at", "ends_at", "per_buyer_limit", "partial")]

    @property
    def kind_value(self) -> str:
        return (self.data.get("kind") if self.is_bound else self.initial.get("kind")) or DiscountKind.PERMILLE

    def product_groups(self) -> list[tuple]:
        """[(product, [(sku, checked, price field, stock field)])] for the picker, products in title order."""
        checked = {str(v) for v in (self.data.getlist("skus") if self.is_bound else [])}
        groups: dict[int, tuple] = {}
        for sku in self.sku_rows:
            row = (sku, str(sku.pk) in checked, self[f"price_{sku.pk}"], self[f"stock_{sku.pk}"])
            groups.setdefault(sku.product_id, (sku.product, []))[1].append(row)
        return list(groups.values())

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == DiscountKind.PERMILLE and data.get("zhe") is None and "zhe" not in self.errors:
            self.add_error("zhe", _("请填写折扣，如 8.5。"))
        if kind == DiscountKind.PRICE:
            for pk in data.get("skus") or []:
                if data.get(f"price_{pk}") is None and f"price_{pk}" not in self.errors:
                    self.add_error(f"price_{pk}", _("请填写活动价。"))
        return data

    def items(self) -> list[dict]:
        data = self.cleaned_data
        by_pk = {sku.pk: sku for sku in self.sku_rows}
        permille = int(data["zhe"] * 100) if data.get("zhe") is not None else None
        return [
            {
                "sku": by_pk[pk],
                "kind": data["kind"],
                "permille": permille if data["kind"] == DiscountKind.PERMILLE else None,
                "price": data.get(f"price_{pk}") if data["kind"] == DiscountKind.PRICE else None,
                "activity_stock": data.get(f"stock_{pk}"),
            }
            for pk in data["skus"]
        ]


MAX_TIERS = 5


class SpendAndSaveForm(_WindowForm):
    """满减 with structured tiers (rows of threshold / amount in yuan) for the whole store or chosen products."""

    name = forms.CharField(label=_("活动名称"), max_length=60)
    products = forms.ModelMultipleChoiceField(
        label=_("参加活动的商品"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则全店商品参加。"),
    )
    field_order = ["name", "starts_at", "ends_at", "products"]

    def __init__(self, *args, store: Store | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:
            self.fields["products"].queryset = Product.objects.filter(store=store).exclude(status="off_shelf")
        for i in range(MAX_TIERS):
            self.fields[f"threshold_{i}"] = YuanField(label=_("满（元）"), required=False, min_value=Decimal("0.01"))
            self.fields[f"discount_{i}"] = YuanField(label=_("减（元）"), required=False, min_value=Decimal("0.01"))

    def tier_rows(self) -> list[tuple]:
        return [(i, self[f"threshold_{i}"], self[f"discount_{i}"]) for i in range(MAX_TIERS)]

    def main_fields(self) -> list:
        return [self[name] for name in ("name", "starts_at", "ends_at")]

    def clean(self):
        data = super().clean()
        tiers = []
        for i in range(MAX_TIERS):
            threshold, discount = data.get(f"threshold_{i}"), data.get(f"discount_{i}")
            if threshold is None and discount is None:
                continue
            if threshold is None or discount is None:
                self.add_error(
                    f"threshold_{i}" if threshold is None else f"discount_{i}", _("每档须同时填写门槛和减免金额。")
                )
                continue
            tiers.append({"threshold": threshold, "discount": discount})
        if not tiers and not any(
            f"{k}_{i}" in self.errors for k in ("threshold", "discount") for i in range(MAX_TIERS)
        ):
            self.add_error(None, forms.ValidationError(_("至少设置一个满减档位。"), code="tiers"))
        data["tiers"] = tiers
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "tiers": data["tiers"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "products": list(data.get("products") or []),
        }


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


class _ProductPromotionForm(_WindowForm):
    """A promotion of one of the store's products (not one taken off the shelf) and its window."""

    product = forms.ModelChoiceField(label=_("商品"), queryset=Product.objects.none())

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(store=store).exclude(status="off_shelf")


class SecondItemForm(_ProductPromotionForm):
    """新建满2件折扣: one product, the second unit's discount in 折."""

    zhe = forms.DecimalField(
        label=_("第二件折扣（折）"),
        min_value=Decimal("0.1"),
        max_value=Decimal("9.99"),
        decimal_places=2,
        help_text=_("如 8.5 即第二件 8.5 折（原价的 85%）；同一订单中该商品每满 2 件，其中较便宜的一件享受折扣。"),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    field_order = ["product", "zhe", "starts_at", "ends_at"]


class LeaderFreeForm(_ProductPromotionForm):
    """新建团长免单: one product, how many groups' leaders order for free."""

    quantity = forms.IntegerField(
        label=_("免单名额"),
        min_value=1,
        max_value=100_000,
        help_text=_("活动期间开团的前 N 个团，成团后团长实付金额全额退还（由商家承担）；拼团失败的名额自动退回。"),
    )
    field_order = ["product", "quantity", "starts_at", "ends_at"]
