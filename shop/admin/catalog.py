"""Admin: catalogue and promotions. Status is read-only; transitions run as actions through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.exceptions import DomainError
from shop.models import CouponBatch, CouponClaim, LimitedTimeDiscount, Product, ProductImage, Sku, SpendAndSave
from shop.services.catalog import product_put_on_sale, product_take_off_shelf
from shop.services.promotions import coupon_end, discount_end, spend_and_save_end


def _run(modeladmin, request, queryset, call) -> None:
    done = 0
    for obj in queryset:
        try:
            call(obj, request.user)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("已处理 %(n)d 项。") % {"n": done}, messages.SUCCESS)


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = ("code", "spec", "price", "group_price", "stock", "weight_g")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "thumbnail", "position")
    readonly_fields = ("thumbnail",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "store", "category", "brand", "status", "is_fresh", "is_frozen", "is_bulky", "is_fragile")
    list_filter = ("status", "category", "is_fresh", "is_frozen", "is_bulky", "is_fragile")
    search_fields = ("title", "brand", "store__name", "skus__code")
    list_select_related = ("store", "category")
    readonly_fields = ("status", "created_at", "updated_at")
    raw_id_fields = ("store",)
    inlines = [SkuInline, ProductImageInline]
    actions = ["put_on_sale", "take_off_shelf"]

    @admin.action(description=_("上架"), permissions=["change"])
    def put_on_sale(self, request, queryset):
        _run(self, request, queryset, lambda p, by: product_put_on_sale(product=p, by=by, reason="admin"))

    @admin.action(description=_("下架"), permissions=["change"])
    def take_off_shelf(self, request, queryset):
        _run(self, request, queryset, lambda p, by: product_take_off_shelf(product=p, by=by, reason="admin"))


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "price", "group_price", "stock")
    search_fields = ("code", "product__title", "product__store__name")
    list_filter = ("product__status",)
    list_select_related = ("product",)
    raw_id_fields = ("product",)


class _PromotionAdmin(admin.ModelAdmin):
    list_filter = ("status", "starts_at")
    readonly_fields = ("status", "created_at")
    raw_id_fields = ("store",)
    date_hierarchy = "starts_at"
    actions = ["end"]
    end_service = None

    @admin.action(description=_("结束活动"), permissions=["change"])
    def end(self, request, queryset):
        _run(self, request, queryset, type(self).end_service)


@admin.register(LimitedTimeDiscount)
class LimitedTimeDiscountAdmin(_PromotionAdmin):
    list_display = ("sku", "store", "kind", "price", "permille", "starts_at", "ends_at", "status")
    list_filter = ("status", "kind", "starts_at")
    search_fields = ("sku__code", "sku__product__title", "store__name")
    list_select_related = ("sku__product", "store")
    raw_id_fields = ("store", "sku")
    end_service = staticmethod(lambda obj, by: discount_end(discount=obj, by=by))


@admin.register(SpendAndSave)
class SpendAndSaveAdmin(_PromotionAdmin):
    list_display = ("name", "store", "starts_at", "ends_at", "status")
    search_fields = ("name", "store__name")
    list_select_related = ("store",)
    end_service = staticmethod(lambda obj, by: spend_and_save_end(campaign=obj, by=by))


@admin.register(CouponBatch)
class CouponBatchAdmin(_PromotionAdmin):
    list_display = ("name", "store", "kind", "threshold", "quantity", "claimed_count", "starts_at", "ends_at", "status")
    list_filter = ("status", "kind", "starts_at")
    search_fields = ("name", "store__name")
    list_select_related = ("store",)
    readonly_fields = ("status", "created_at", "claimed_count")
    filter_horizontal = ("products",)
    end_service = staticmethod(lambda obj, by: coupon_end(coupon=obj, by=by))


@admin.register(CouponClaim)
class CouponClaimAdmin(admin.ModelAdmin):
    list_display = ("code", "coupon", "store", "buyer_ref", "status", "claimed_at", "expires_at", "order")
    list_filter = ("status",)
    search_fields = ("code", "buyer_ref", "coupon__name", "store__name", "order__order_sn")
    list_select_related = ("coupon", "store", "order")
    readonly_fields = [f.name for f in CouponClaim._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
