"""Admin: catalogue and promotions. Prices, stock, discount windows and coupon values are read-only here;
staff change them with actions that call the services (open store, price rules, overlap, stock under lock)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.exceptions import DomainError
from shop.models import (
    CouponBatch,
    CouponClaim,
    CouponSource,
    LeaderFree,
    LimitedTimeDiscount,
    PlatformCoupon,
    Product,
    ProductImage,
    SecondItemDiscount,
    Sku,
    SpendAndSave,
)
from shop.services.catalog import product_put_on_sale, product_take_off_shelf, sku_set_price, sku_set_stock
from shop.services.promotions import coupon_add_quantity, coupon_create, promotion_end
from shop.views.catalog import attach_error

STOCK_MAX = 2_147_483_647  # the column's bound (PostgreSQL integer)


def _run(modeladmin, request, queryset, call, action: str | None = None) -> None:
    """`call(obj, by)` on each selected row offering `action` (portal.admin_actions); refusals reported by row."""
    by = Actor.staff(request.user)
    run_on_each(modeladmin, request, queryset, lambda obj: call(obj, by), action=action, with_fields=True)


def _fen(raw: str) -> int | None:
    """Yuan as typed by staff ("12.50") in fen; None when blank or not a number."""
    try:
        value = Decimal((raw or "").strip())
    except InvalidOperation:
        return None
    return int(value * 100) if value.is_finite() and abs(value) < 10**8 else None


def _values_only(form: ActionForm) -> ActionForm:
    """The action form's value fields (the admin has already validated the chosen action)."""
    del form.fields["action"]
    return form


class ReadOnlyValuesMixin:
    """Every field read-only; nothing added or deleted here (merchants create through their pages)."""

    def get_readonly_fields(self, request, obj=None):
        return (
            [f.name for f in self.model._meta.fields]
            + [f.name for f in self.model._meta.many_to_many]
            + list(getattr(self, "extra_readonly", ()))
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SkuInline(ReadOnlyValuesMixin, admin.TabularInline):
    model = Sku
    extra = 0
    fields = ("code", "spec", "price", "group_price", "stock", "weight_g")
    show_change_link = True


class ProductImageInline(ReadOnlyValuesMixin, admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "thumbnail", "position")
    extra_readonly = ("thumbnail",)


@admin.register(Product)
class ProductAdmin(ReadOnlyValuesMixin, admin.ModelAdmin):
    list_display = ("title", "store", "category", "brand", "status", "is_fresh", "is_frozen", "is_bulky", "is_fragile")
    list_filter = ("status", "category", "is_fresh", "is_frozen", "is_bulky", "is_fragile")
    search_fields = ("title", "brand", "store__name", "skus__code")
    list_select_related = ("store", "category")
    inlines = [SkuInline, ProductImageInline]
    actions = ["put_on_sale", "take_off_shelf"]

    @admin.action(description=_("上架"), permissions=["change"])
    def put_on_sale(self, request, queryset):
        _run(
            self, request, queryset, lambda p, by: product_put_on_sale(product=p, by=by, reason="admin"), "put_on_sale"
        )

    @admin.action(description=_("下架"), permissions=["change"])
    def take_off_shelf(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda p, by: product_take_off_shelf(product=p, by=by, reason="admin"),
            "take_off_shelf",
        )


class SkuActionForm(ActionForm):
    stock = forms.IntegerField(label=_("库存"), required=False, min_value=0, max_value=STOCK_MAX)
    price_yuan = forms.CharField(label=_("单买价（元）"), required=False, max_length=12)
    group_price_yuan = forms.CharField(label=_("拼团价（元）"), required=False, max_length=12)


@admin.register(Sku)
class SkuAdmin(ReadOnlyValuesMixin, admin.ModelAdmin):
    list_display = ("__str__", "code", "price", "group_price", "stock")
    search_fields = ("code", "product__title", "product__store__name")
    list_filter = ("product__status",)
    list_select_related = ("product",)
    action_form = SkuActionForm
    actions = ["set_stock", "set_price"]

    def _action_data(self, request) -> forms.Form | None:
        form = _values_only(SkuActionForm(request.POST))
        if not form.is_valid():
            errors = "; ".join(str(m) for msgs in form.errors.values() for m in msgs)
            self.message_user(request, errors, messages.ERROR)
            return None
        return form

    @admin.action(description=_("设置库存（填写库存）"), permissions=["change"])
    def set_stock(self, request, queryset):
        form = self._action_data(request)
        if form is None:
            return
        if form.cleaned_data["stock"] is None:
            self.message_user(request, _("请填写库存。"), messages.ERROR)
            return
        stock = form.cleaned_data["stock"]
        _run(self, request, queryset, lambda sku, by: sku_set_stock(sku=sku, stock=stock, by=by))

    @admin.action(description=_("调整价格（填写单买价和拼团价）"), permissions=["change"])
    def set_price(self, request, queryset):
        form = self._action_data(request)
        if form is None:
            return
        price, group_price = _fen(form.cleaned_data["price_yuan"]), _fen(form.cleaned_data["group_price_yuan"])
        if price is None or group_price is None:
            self.message_user(request, _("请填写有效的单买价和拼团价（元）。"), messages.ERROR)
            return
        _run(
            self,
            request,
            queryset,
            lambda sku, by: sku_set_price(sku=sku, price=price, group_price=group_price, by=by),
        )


class _PromotionAdmin(ReadOnlyValuesMixin, admin.ModelAdmin):
    list_filter = ("status", "starts_at")
    date_hierarchy = "starts_at"
    actions = ["end"]

    @admin.action(description=_("结束活动"), permissions=["change"])
    def end(self, request, queryset):
        _run(self, request, queryset, lambda obj, by: promotion_end(promotion=obj, by=by), "end")


@admin.register(LimitedTimeDiscount)
class LimitedTimeDiscountAdmin(_PromotionAdmin):
    list_display = ("sku", "store", "kind", "price", "permille", "starts_at", "ends_at", "status")
    list_filter = ("status", "kind", "starts_at")
    search_fields = ("sku__code", "sku__product__title", "store__name")
    list_select_related = ("sku__product", "store")


@admin.register(SpendAndSave)
class SpendAndSaveAdmin(_PromotionAdmin):
    list_display = ("name", "store", "starts_at", "ends_at", "status")
    search_fields = ("name", "store__name")
    list_select_related = ("store",)


@admin.register(SecondItemDiscount)
class SecondItemDiscountAdmin(_PromotionAdmin):
    list_display = ("product", "store", "permille", "starts_at", "ends_at", "status")
    search_fields = ("product__title", "store__name")
    list_select_related = ("product", "store")


class CouponActionForm(ActionForm):
    extra = forms.IntegerField(label=_("追加数量"), required=False, min_value=1, max_value=1_000_000)


@admin.register(CouponBatch)
class CouponBatchAdmin(_PromotionAdmin):
    list_display = ("name", "store", "kind", "threshold", "quantity", "claimed_count", "starts_at", "ends_at", "status")
    list_filter = ("status", "kind", "starts_at")
    search_fields = ("name", "store__name")
    list_select_related = ("store",)
    action_form = CouponActionForm
    actions = ["end", "add_quantity"]

    @admin.action(description=_("追加发行数量（填写追加数量）"), permissions=["change"])
    def add_quantity(self, request, queryset):
        form = _values_only(CouponActionForm(request.POST))
        if not form.is_valid() or form.cleaned_data["extra"] is None:
            self.message_user(request, _("请填写追加数量（至少为 1）。"), messages.ERROR)
            return
        extra = form.cleaned_data["extra"]
        _run(self, request, queryset, lambda coupon, by: coupon_add_quantity(coupon=coupon, extra=extra, by=by))


@admin.register(LeaderFree)
class LeaderFreeAdmin(_PromotionAdmin):
    list_display = ("product", "store", "quantity", "used_count", "starts_at", "ends_at", "status")
    search_fields = ("product__title", "store__name")
    list_select_related = ("product", "store")


class PlatformCouponForm(forms.ModelForm):
    """Issue a 平台补贴券 in a store: written by the coupon service (its rules, audited) when the form is clean."""

    class Meta:
        model = PlatformCoupon
        fields = (
            "store", "name", "kind", "threshold", "amount", "percent_off", "cap", "quantity", "per_user_limit",
            "valid_days", "starts_at", "ends_at", "products",
        )  # fmt: skip

    actor: Actor | None = None  # the staff member, set per request by the admin
    created: CouponBatch | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name) for name in self._meta.fields if name not in ("store", "products")}
        try:
            with transaction.atomic():
                self.created = coupon_create(
                    store=data["store"],
                    products=list(data.get("products") or []),
                    source=CouponSource.PLATFORM,
                    by=self.actor,
                    **{
                        **values,
                        "threshold": values["threshold"] or 0,
                        "per_user_limit": values["per_user_limit"] or 1,
                    },
                )
        except DomainError as exc:
            attach_error(self, exc)
        return data


@admin.register(PlatformCoupon)
class PlatformCouponAdmin(CouponBatchAdmin):
    """平台补贴券: finance issues them in a store (the platform pays their discount back with the payouts), adds
    quantity and ends them; claimed and used by buyers like the store's own coupons."""

    list_display = ("name", "store", "kind", "threshold", "amount", "quantity", "claimed_count", "ends_at", "status")
    raw_id_fields = ("store", "products")
    form = PlatformCouponForm

    def get_queryset(self, request):
        return super().get_queryset(request).filter(source=CouponSource.PLATFORM)

    def has_add_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = Actor.staff(request.user)
        return form

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.pk = form.created.pk  # written by the service in the form's clean

    def save_related(self, request, form, formsets, change) -> None:
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(CouponClaim)
class CouponClaimAdmin(ReadOnlyValuesMixin, admin.ModelAdmin):
    list_display = ("code", "coupon", "store", "buyer_ref", "status", "claimed_at", "expires_at", "order")
    list_filter = ("status",)
    search_fields = ("code", "buyer_ref", "coupon__name", "store__name", "order__order_sn")
    list_select_related = ("coupon", "store", "order")
