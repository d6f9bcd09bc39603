"""Merchant pages: order list (status tabs with live counts, filters, search, CSV export), order detail,
self-ship, re-ship and cancel."""

from __future__ import annotations

import csv
import hashlib

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.actions import check_action
from portal.actors import merchant_actor
from portal.bounds import parse_ids
from portal.exceptions import DomainError
from portal.fsm import audit_for
from portal.keyset import PAGE_SIZES
from portal.redirects import safe_next
from portal.tenancy import MerchantMixin
from shop.actions import order_actions
from shop.forms.orders import CancelForm, MemoForm, OrderFilterForm, ShipForm
from shop.models.orders import OrderStatus
from shop.selectors.orders import (
    TABS,
    open_aftersales_orders,
    order_get,
    order_list,
    order_page,
    order_tab_counts,
    platform_status_display,
)
from shop.selectors.story import order_clock, order_live_parcel, order_story
from shop.services.orders import (
    courier_choices,
    order_cancel,
    order_reship,
    order_ship,
    order_ship_no_logistics,
    orders_memo_set,
)


class OrderListView(MerchantMixin, TemplateView):
    template_name = "shop/orders/list.html"

    def get(self, request, *args, **kwargs):
        form = OrderFilterForm(request.GET or None, store=self.store)
        filters = form.filters() if form.is_bound and form.is_valid() else None
        if request.GET.get("export") == "csv" and (filters is not None or not form.is_bound):
            return export_csv(order_list(store=self.store, filters=filters))
        aftersales = open_aftersales_orders(self.store)
        counts = order_tab_counts(store=self.store, aftersales=aftersales)
        version = counts_version(counts)
        query = request.GET.copy()
        for key in ("tab", "part", "export", "after", "before", "v"):
            query.pop(key, None)
        context = {
            "tabs": [(key, label, counts[key]) for key, label in TABS],
            "total_all": sum(counts[s.value] for s in OrderStatus),
            "current_tab": request.GET.get("tab", ""),
            "query": query.urlencode(),
            "counts_version": version,
        }
        if request.htmx and request.GET.get("part") == "tabs":
            # The 30-second refresh: counts only, and nothing at all when none changed.
            if request.GET.get("v") == version:
                return HttpResponse(status=204)
            self.template_name = "shop/orders/_tabs.html"
            return self.render_to_response(self.get_context_data(**context))
        size = form.page_size() if filters is not None else PAGE_SIZES[0]
        listing = order_page(
            store=self.store,
            filters=filters,
            counts=counts,
            size=size,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            aftersales=aftersales,
        )
        context.update(
            form=form,
            page=listing.page,
            total=listing.total,
            total_capped=listing.total_capped,
            memo_form=MemoForm(auto_id="batch_%s"),
        )
        return self.render_to_response(self.get_context_data(**context))


def counts_version(counts: dict[str, int]) -> str:
    """A short fingerprint of the tab counts, so the refresh can answer "unchanged" with an empty 204."""
    return hashlib.blake2s(repr(sorted(counts.items())).encode(), digest_size=6).hexdigest()


def export_csv(orders) -> HttpResponse:
    """The filtered list as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="orders-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("订单号"),
            _("状态"),
            _("下单时间"),
            _("商品"),
            _("实付金额"),
            _("收件人"),
            _("手机"),
            _("地址"),
            _("承诺发货时间"),
            _("运单号"),
        ]
    )
    couriers = dict(courier_choices())
    for order in orders.iterator(chunk_size=500):
        writer.writerow(
            [
                order.order_sn,
                order.get_status_display(),
                timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
                "; ".join(f"{i.product_title} {i.sku_spec} ×{i.quantity}" for i in order.items.all()),
                f"{order.paid_amount / 100:.2f}",
                order.recipient_name,
                order.masked_phone(),
                f"{order.province}{order.city}{order.district}{order.street}",
                timezone.localtime(order.ship_by).strftime("%Y-%m-%d %H:%M") if order.ship_by else "",
                f"{couriers.get(order.courier_code, order.courier_code)} {order.waybill_no}".strip(),
            ]
        )
    return response


class OrderDetailView(MerchantMixin, TemplateView):
    template_name = "shop/orders/detail.html"

    def get_context_data(self, **kwargs):
        order = order_get(store=self.store, order_sn=self.kwargs["order_sn"])
        current = {"courier_code": order.courier_code, "waybill_no": order.waybill_no} if order.shipped_at else None
        return super().get_context_data(
            order=order,
            actions=order_actions(order, self.request.user),
            story=order_story(order),
            live_parcel=order_live_parcel(order),
            clock=order_clock(order),
            platform=platform_status_display(order),
            timeline=audit_for(order),
            ship_form=kwargs.pop("ship_form", None) or ShipForm(initial=current, order=order),
            cancel_form=kwargs.pop("cancel_form", None) or CancelForm(),
            memo_form=kwargs.pop("memo_form", None)
            or MemoForm(initial={"memo": order.merchant_memo, "flag": order.memo_flag}),
            **kwargs,
        )


class _OrderAction(MerchantMixin, View):
    """POST-only action on one of the store's orders: form → service → message → back to the detail page."""

    form_class: type = ShipForm
    form_context = "ship_form"
    action = ""

    def post(self, request, order_sn: str):
        order = order_get(store=self.store, order_sn=order_sn)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                if self.action:
                    check_action(order, request.user, self.action)
                self.act(order, form.cleaned_data)
                return redirect("shop:order_detail", order_sn=order_sn)
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                messages.error(request, exc.message)
        view = OrderDetailView(request=request, kwargs={"order_sn": order_sn}, store=self.store)
        context = view.get_context_data(**{self.form_context: form})
        return view.render_to_response(context, status=400)

    def act(self, order, data) -> None:
        raise NotImplementedError


class OrderShipView(_OrderAction):
    action = "ship"

    def act(self, order, data) -> None:
        order_ship(
            order=order,
            courier_code=data["courier_code"],
            waybill_no=data["waybill_no"],
            by=merchant_actor(self.request),
        )
        messages.success(self.request, _("已发货。"))


class OrderShipNoLogisticsView(_OrderAction):
    """无需物流发货: the order's goods travel without a courier, so it ships with no waybill."""

    form_class = forms.Form
    form_context = "no_logistics_form"
    action = "ship_no_logistics"

    def act(self, order, data) -> None:
        order_ship_no_logistics(order=order, by=merchant_actor(self.request))
        messages.success(self.request, _("已发货（无需物流）。"))


class OrderReshipView(_OrderAction):
    action = "reship"

    def act(self, order, data) -> None:
        order_reship(
            order=order,
            courier_code=data["courier_code"],
            waybill_no=data["waybill_no"],
            by=merchant_actor(self.request),
        )
        messages.success(self.request, _("运单信息已修改。"))


class OrderCancelView(_OrderAction):
    form_class = CancelForm
    form_context = "cancel_form"
    action = "cancel"

    def act(self, order, data) -> None:
        order_cancel(order=order, reason=data["reason"], by=merchant_actor(self.request))
        messages.success(self.request, _("订单已取消。"))


class OrderMemoView(_OrderAction):
    """商家备注 with its flag on one order (any state: it is the merchant's own note)."""

    form_class = MemoForm
    form_context = "memo_form"

    def act(self, order, data) -> None:
        orders_memo_set(
            store=self.store,
            order_ids=[order.pk],
            memo=data["memo"],
            flag=data["flag"],
            by=merchant_actor(self.request),
        )
        messages.success(self.request, _("商家备注已保存。"))


class OrderBatchView(MerchantMixin, View):
    """Batch actions on the orders ticked in the list: 备注 (memo and flag), CSV export, 在线下单 (booking)."""

    def post(self, request):
        ids = sorted(set(parse_ids(request.POST.getlist("order"))))
        back = safe_next(request, "shop:order_list")
        orders = order_list(store=self.store).filter(pk__in=ids)
        if not ids or not orders.exists():
            messages.error(request, _("请先勾选订单。"))
            return redirect(back)
        op = request.POST.get("op")
        if op == "export":
            return export_csv(orders)
        if op == "memo":
            form = MemoForm(request.POST)
            if not form.is_valid():
                messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
                return redirect(back)
            try:
                changed = orders_memo_set(
                    store=self.store, order_ids=ids, memo=form.cleaned_data["memo"], flag=form.cleaned_data["flag"],
                    by=merchant_actor(request),
                )  # fmt: skip
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect(back)
            messages.success(request, _("已更新 %(n)d 个订单的商家备注。") % {"n": len(changed)})
            return redirect(back)
        if op == "book":
            bookable = [o.pk for o in orders if "book" in order_actions(o, request.user)]
            skipped = len(ids) - len(bookable)
            if not bookable:
                messages.error(request, _("所选订单都不能在线下单（只有待发货且未下单的订单可以）。"))
                return redirect(back)
            if skipped:
                messages.warning(request, _("%(n)d 个订单不能在线下单，已跳过。") % {"n": skipped})
            query = urlencode([("order", pk) for pk in bookable])
            return redirect(f"{reverse('shipping:booking_courier')}?{query}")
        messages.error(request, _("请选择批量操作。"))
        return redirect(back)


urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order_list"),
    path("orders/batch/", OrderBatchView.as_view(), name="order_batch"),
    path("orders/<str:order_sn>/", OrderDetailView.as_view(), name="order_detail"),
    path("orders/<str:order_sn>/ship/", OrderShipView.as_view(), name="order_ship"),
    path("orders/<str:order_sn>/ship-no-logistics/", OrderShipNoLogisticsView.as_view(), name="order_ship_none"),
    path("orders/<str:order_sn>/reship/", OrderReshipView.as_view(), name="order_reship"),
    path("orders/<str:order_sn>/cancel/", OrderCancelView.as_view(), name="order_cancel"),
    path("orders/<str:order_sn>/memo/", OrderMemoView.as_view(), name="order_memo"),
]
