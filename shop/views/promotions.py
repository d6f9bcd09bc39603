"""Merchant pages: promotions (limited-time discounts, spend-and-save, second-item, 团长免单, coupon batches)."""

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
from shop.forms.promotions import (
    AddQuantityForm,
    CouponForm,
    DiscountActivityForm,
    LeaderFreeForm,
    SecondItemForm,
    SpendAndSaveForm,
)
from shop.models import (
    CouponBatch,
    CouponSource,
    LeaderFree,
    LimitedTimeDiscount,
    PromotionStatus,
    SecondItemDiscount,
    SpendAndSave,
)
from shop.selectors.catalog import (
    buyer_coupons,
    coupons_for_store,
    discount_activities_for_store,
    leader_frees_for_store,
    second_items_for_store,
    spend_and_saves_for_store,
)
from shop.services.promotions import (
    coupon_add_quantity,
    coupon_create,
    discount_activity_create,
    discount_activity_end,
    leader_free_create,
    promotion_end,
    second_item_create,
    spend_and_save_create,
)

from .catalog import attach_error

TABS = [
    ("discounts", gettext_lazy("限时折扣")),
    ("spend_and_save", gettext_lazy("满减")),
    ("second_item", gettext_lazy("满2件折扣")),
    ("leader_free", gettext_lazy("团长免单")),
    ("coupons", gettext_lazy("优惠券")),
]
PAGE_SIZE = 30


class PromotionListView(MerchantMixin, View):
    def get(self, request):
        tab = request.GET.get("tab", "discounts")
        if tab not in dict(TABS):
            tab = "discounts"
        rows = {
            "discounts": discount_activities_for_store,
            "spend_and_save": spend_and_saves_for_store,
            "second_item": second_items_for_store,
            "leader_free": leader_frees_for_store,
            "coupons": buyer_coupons,  # the store's own and the platform's 平台补贴券 (read-only here)
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


def _attach_listed(form, exc: DomainError, listed: str) -> None:
    """A service error whose field `listed` holds one message per row (SKU, tier): each becomes a form error."""
    if exc.fields.get(listed):
        for message in exc.fields[listed]:
            form.add_error(None, message)
    else:
        attach_error(form, exc)


class DiscountCreateView(_CreateView):
    """新建限时折扣: one activity, many SKUs of many products, a discount in 折 or a price per SKU."""

    title = gettext_lazy("新建限时折扣")
    tab = "discounts"

    def make_form(self, data=None):
        return DiscountActivityForm(data, store=self.store)

    def render_form(self, form, status=200):
        return render(
            self.request,
            "shop/promotions/discount_form.html",
            {"form": form, "title": self.title, "tab": self.tab},
            status=status,
        )

    def post(self, request):
        form = self.make_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = discount_activity_create(
                    store=self.store,
                    name=data["name"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    per_buyer_limit=data.get("per_buyer_limit"),
                    items=form.items(),
                    partial=data.get("partial", False),
                    by=merchant_actor(request),
                )
            except DomainError as exc:
                _attach_listed(form, exc, "items")
            else:
                messages.success(request, _("限时折扣已创建，共 %(n)d 个 SKU。") % {"n": len(result.made)})
                for refusal in result.refused:
                    messages.warning(request, _("未参加：%(sku)s") % {"sku": refusal.label})
                return redirect(f"{reverse('shop:promotion_list')}?tab={self.tab}")
        return self.render_form(form, status=400)


class SpendAndSaveCreateView(_CreateView):
    """新建满减: tiers as rows (满 … 减 …), the whole store or chosen products."""

    title = gettext_lazy("新建满减活动")
    tab = "spend_and_save"

    def make_form(self, data=None):
        return SpendAndSaveForm(data, store=self.store)

    def render_form(self, form, status=200):
        return render(
            self.request,
            "shop/promotions/spend_and_save_form.html",
            {"form": form, "title": self.title, "tab": self.tab},
            status=status,
        )

    def post(self, request):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                spend_and_save_create(store=self.store, by=merchant_actor(request), **form.service_data())
            except DomainError as exc:
                _attach_listed(form, exc, "tiers")
            else:
                messages.success(request, _("活动已创建。"))
                return redirect(f"{reverse('shop:promotion_list')}?tab={self.tab}")
        return self.render_form(form, status=400)


class SecondItemCreateView(_CreateView):
    title = gettext_lazy("新建满2件折扣")
    tab = "second_item"

    def make_form(self, data=None):
        return SecondItemForm(data, store=self.store)

    def create(self, data):
        return second_item_create(
            store=self.store,
            product=data["product"],
            permille=int(data["zhe"] * 100),  # 8.5折 is 850‰
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            by=merchant_actor(self.request),
        )


class LeaderFreeCreateView(_CreateView):
    title = gettext_lazy("新建团长免单")
    tab = "leader_free"

    def make_form(self, data=None):
        return LeaderFreeForm(data, store=self.store)

    def create(self, data):
        return leader_free_create(store=self.store, by=merchant_actor(self.request), **data)


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
        "discounts": LimitedTimeDiscount.objects.all(),
        "spend_and_save": SpendAndSave.objects.all(),
        "second_item": SecondItemDiscount.objects.all(),
        "leader_free": LeaderFree.objects.all(),
        "coupons": CouponBatch.objects.filter(source=CouponSource.STORE),
    }

    def get_object(self, kind, pk):
        return get_object_or_404(self.kinds[kind], store=self.store, pk=pk)

    def get(self, request, kind, pk):
        """结束 asks first: what ends, and that buyers lose the offer at once."""
        if kind not in self.kinds:
            return redirect("shop:promotion_list")
        obj = self.get_object(kind, pk)
        siblings = []
        if kind == "discounts" and obj.activity:
            siblings = list(
                LimitedTimeDiscount.objects.filter(
                    store=self.store, activity=obj.activity, status=PromotionStatus.ACTIVE
                )
                .select_related("sku__product")
                .order_by("pk")
            )
        context = {"obj": obj, "kind": kind, "siblings": siblings, "label": dict(TABS)[kind]}
        return render(request, "shop/promotions/promotion_end_confirm.html", context)

    def post(self, request, kind, pk):
        if kind not in self.kinds:
            return redirect("shop:promotion_list")
        obj = self.get_object(kind, pk)
        if request.POST.get("confirm") != "1":
            return redirect("shop:promotion_end", kind=kind, pk=pk)
        try:
            if kind == "discounts" and obj.activity:
                ended = discount_activity_end(store=self.store, activity=obj.activity, by=merchant_actor(request))
                if not ended:
                    promotion_end(promotion=obj, by=merchant_actor(request))  # nothing live: the refusal says why
            else:
                promotion_end(promotion=obj, by=merchant_actor(request))
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
    path("promotions/second-item/new/", SecondItemCreateView.as_view(), name="second_item_create"),
    path("promotions/leader-free/new/", LeaderFreeCreateView.as_view(), name="leader_free_create"),
    path("promotions/coupons/new/", CouponCreateView.as_view(), name="coupon_create"),
    path("promotions/coupons/<int:pk>/add/", CouponAddQuantityView.as_view(), name="coupon_add_quantity"),
    path("promotions/<slug:kind>/<int:pk>/end/", PromotionEndView.as_view(), name="promotion_end"),
]
