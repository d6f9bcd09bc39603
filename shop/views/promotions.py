"""Merchant pages: promotions (limited-time discounts, spend-and-save, coupon batches)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.actors import merchant_actor
from portal.exceptions import DomainError
from portal.tenancy import MerchantMixin
from shop.forms.promotions import AddQuantityForm, CouponForm, DiscountForm, SpendAndSaveForm
from shop.models import CouponBatch, LimitedTimeDiscount, SpendAndSave
from shop.selectors.catalog import coupons_for_store, discounts_for_store, spend_and_saves_for_store
from shop.services.promotions import (
    coupon_add_quantity,
    coupon_create,
    coupon_end,
    discount_create,
    discount_end,
    spend_and_save_create,
    spend_and_save_end,
)

from .catalog import attach_error

TABS = [
    ("discounts", gettext_lazy("限时折扣")),
    ("spend_and_save", gettext_lazy("满减")),
    ("coupons", gettext_lazy("优惠券")),
]
PAGE_SIZE = 30


class PromotionListView(MerchantMixin, View):
    def get(self, request):
        tab = request.GET.get("tab", "discounts")
        if tab not in dict(TABS):
            tab = "discounts"
        rows = {
            "discounts": discounts_for_store,
            "spend_and_save": spend_and_saves_for_store,
            "coupons": coupons_for_store,
        }[tab](self.store)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "shop/promotions/promotion_list.html", {"tab": tab, "tabs": TABS, "rows": page})


class _CreateView(MerchantMixin, View):
    form_class = None
    title = ""
    tab = ""

    def make_form(self, data=None):
        return self.form_class(data)

    def create(self, data: dict):
        raise NotImplementedError

    def render_form(self, form, status=200):
        return render(
            self.request,
            "shop/promotions/promotion_form.html",
            {"form": form, "title": self.title, "tab": self.tab},
            status=status,
        )

    def get(self, request):
        return self.render_form(self.make_form())

    def post(self, request):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                self.create(form.cleaned_data)
                messages.success(request, _("活动已创建。"))
                return redirect(f"{reverse('shop:promotion_list')}?tab={self.tab}")
            except DomainError as exc:
                attach_error(form, exc)
        return self.render_form(form, status=400)


class DiscountCreateView(_CreateView):
    form_class = DiscountForm
    title = gettext_lazy("新建限时折扣")
    tab = "discounts"

    def make_form(self, data=None):
        return DiscountForm(data, store=self.store)

    def create(self, data):
        return discount_create(store=self.store, by=merchant_actor(self.request), **data)


class SpendAndSaveCreateView(_CreateView):
    form_class = SpendAndSaveForm
    title = gettext_lazy("新建满减活动")
    tab = "spend_and_save"

    def create(self, data):
        return spend_and_save_create(store=self.store, by=merchant_actor(self.request), **data)


class CouponCreateView(_CreateView):
    form_class = CouponForm
    title = gettext_lazy("新建优惠券")
    tab = "coupons"

    def make_form(self, data=None):
        return CouponForm(data, store=self.store)

    def create(self, data):
        data = {**data, "threshold": data.get("threshold") or 0, "products": list(data.get("products") or [])}
        return coupon_create(store=self.store, by=merchant_actor(self.request), **data)


class PromotionEndView(MerchantMixin, View):
    kinds = {
        "discounts": (LimitedTimeDiscount, lambda obj, by: discount_end(discount=obj, by=by)),
        "spend_and_save": (SpendAndSave, lambda obj, by: spend_and_save_end(campaign=obj, by=by)),
        "coupons": (CouponBatch.objects.filter(platform_funded=False), lambda obj, by: coupon_end(coupon=obj, by=by)),
    }

    def post(self, request, kind, pk):
        if kind not in self.kinds:
            return redirect("shop:promotion_list")
        model, end = self.kinds[kind]
        obj = get_object_or_404(model, store=self.store, pk=pk)
        try:
            end(obj, request.user)
            messages.success(request, _("活动已结束。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('shop:promotion_list')}?tab={kind}")


class CouponAddQuantityView(MerchantMixin, View):
    def post(self, request, pk):
        coupon = get_object_or_404(coupons_for_store(self.store), pk=pk)
        form = AddQuantityForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["extra"]))
        else:
            try:
                coupon_add_quantity(coupon=coupon, extra=form.cleaned_data["extra"], by=merchant_actor(request))
                messages.success(request, _("已追加发行数量。"))
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect(f"{reverse('shop:promotion_list')}?tab=coupons")


urlpatterns: list = [
    path("promotions/", PromotionListView.as_view(), name="promotion_list"),
    path("promotions/discounts/new/", DiscountCreateView.as_view(), name="discount_create"),
    path("promotions/spend-and-save/new/", SpendAndSaveCreateView.as_view(), name="spend_and_save_create"),
    path("promotions/coupons/new/", CouponCreateView.as_view(), name="coupon_create"),
    path("promotions/coupons/<int:pk>/add/", CouponAddQuantityView.as_view(), name="coupon_add_quantity"),
    path("promotions/<slug:kind>/<int:pk>/end/", PromotionEndView.as_view(), name="promotion_end"),
]
