"""Merchant pages: 在线下单 (choose orders → courier → confirm → live progress), tracking, labels, address book."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.actions import check_action
from portal.actors import merchant_actor
from portal.bounds import parse_ids
from portal.exceptions import DomainError, ValidationFailed
from portal.fsm import audit_for
from portal.redirects import safe_next
from portal.tenancy import MerchantMixin

from . import selectors, services
from .actions import shipment_actions
from .barcodes import code128_svg
from .carriers import kuaidi100
from .forms import (
    ConfirmForm,
    CourierAccountForm,
    CourierChoiceForm,
    LineFormSet,
    MessageForm,
    RebookForm,
    SenderAddressForm,
    TicketForm,
)
from .models import Courier, Shipment, ShipmentStatus


def _order_ids(request) -> list[int]:
    source = request.POST if request.method == "POST" else request.GET
    return parse_ids(source.getlist("order"))


def _selection_query(order_ids: list[int], **extra) -> str:
    return urlencode([("order", i) for i in order_ids] + list(extra.items()))


def _too_many(request, order_ids: list[int]) -> bool:
    """None or more than the batch limit selected: the service's own message, nothing booked."""
    try:
        services.check_batch_limit(len(order_ids))
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return True
    return False


class BookingCentreView(MerchantMixin, TemplateView):
    """发货中心 → 在线下单: the 未下单 tab (paid orders) and the booked tabs by booking status."""

    template_name = "shipping/booking_centre.html"

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("tab", "unbooked")
        tabs = [("unbooked", _("未下单"))] + [(k, _(label)) for k, label, _c in selectors.BOOKED_TABS]
        if tab not in dict(tabs):
            tab = "unbooked"
        ctx = {
            "tab": tab,
            "tabs": tabs,
            "counts": selectors.booking_tab_counts(self.store),
            "limit": settings.SHIPPING_BATCH_LIMIT,
            "limit_message": services.batch_limit_message(n="%(n)s", extra="%(extra)s"),
            "selected": set(_order_ids(self.request)),
            "overdue": selectors.overdue_shipment_count(self.store),
        }
        if tab == "unbooked":
            ctx["orders"] = list(selectors.unbooked_orders(self.store))
        else:
            ctx["page"] = Paginator(selectors.shipments_for_tab(self.store, tab), 50).get_page(
                self.request.GET.get("page")
            )
        return super().get_context_data(**ctx, **kwargs)


class BookingCourierView(MerchantMixin, TemplateView):
    """Step 2: choose a courier that can carry every selected order (others shown with the reason)."""

    template_name = "shipping/booking_courier.html"

    def get(self, request, *args, **kwargs):
        self.order_ids = _order_ids(request)
        if _too_many(request, self.order_ids):
            return redirect(f"{reverse('shipping:booking_centre')}?{_selection_query(self.order_ids)}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        orders = selectors.orders_for_booking(self.store, self.order_ids)
        if len(orders) != len(set(self.order_ids)):
            raise Http404
        sender = selectors.default_sender(self.store)
        options = services.courier_options_quote(
            store=self.store, options=selectors.courier_options(orders, sender), orders=orders, sender=sender
        )
        parcels = {o.pk: selectors.parcel_of(o) for o in orders}
        rows = [(o, parcels[o.pk]) for o in orders]
        return super().get_context_data(
            orders=orders,
            rows=rows,
            options=options,
            sender=sender,
            selection=_selection_query(self.order_ids),
            **kwargs,
        )


class BookingConfirmView(MerchantMixin, View):
    """Step 3: courier, sender address, pickup slot, each order's weight and recipient (editable); submit."""

    template_name = "shipping/booking_confirm.html"

    def setup_booking(self, request):
        self.order_ids = _order_ids(request)
        self.courier = get_object_or_404(Courier, code=request.GET.get("courier", ""), is_active=True)
        self.orders = selectors.orders_for_booking(self.store, self.order_ids)
        if len(self.orders) != len(set(self.order_ids)):
            raise Http404
        self.days = selectors.pickup_days(self.courier)

    def forms(self, data=None):
        sender = selectors.default_sender(self.store)
        confirm = ConfirmForm(data, store=self.store, pickup_days=self.days, initial={"sender": sender})
        initial = [
            {
                "order_id": o.pk,
                "weight_g": selectors.parcel_of(o).weight_g,
                "recipient_name": o.recipient_name,
                "recipient_phone": o.recipient_phone,
                "province": o.province,
                "city": o.city,
                "district": o.district,
                "street": o.street,
            }
            for o in self.orders
        ]
        return confirm, LineFormSet(data, initial=initial, prefix="line")

    def render(self, request, confirm, lines, status=200):
        sender = confirm["sender"].value()
        sender_obj = selectors.sender_addresses(self.store).filter(pk=sender).first() if sender else None
        option = next(
            (o for o in selectors.courier_options(self.orders, sender_obj) if o.courier.pk == self.courier.pk), None
        )
        by_id = {o.pk: o for o in self.orders}
        rows = [
            (
                by_id.get(int(f["order_id"].value() or 0)),
                f,
                option.prices.get(int(f["order_id"].value() or 0)) if option else None,
            )
            for f in lines
        ]
        ctx = {
            "courier": self.courier,
            "option": option,
            "confirm": confirm,
            "lines": lines,
            "rows": rows,
            "selection": _selection_query(self.order_ids),
            "has_addresses": selectors.sender_addresses(self.store).exists(),
        }
        return render(request, self.template_name, ctx, status=status)

    def get(self, request):
        if _too_many(request, _order_ids(request)):
            return redirect(f"{reverse('shipping:booking_centre')}?{_selection_query(_order_ids(request))}")
        self.setup_booking(request)
        confirm, lines = self.forms()
        return self.render(request, confirm, lines)

    def post(self, request):
        self.order_ids = parse_ids(request.POST.getlist("order"))
        self.courier = get_object_or_404(Courier, code=request.GET.get("courier", ""), is_active=True)
        self.orders = selectors.orders_for_booking(self.store, self.order_ids)
        self.days = selectors.pickup_days(self.courier)
        confirm, lines = self.forms(request.POST)
        if confirm.is_valid() and lines.is_valid():
            pickup_date, slot = confirm.pickup_value()
            try:
                booking = services.booking_submit(
                    store=self.store,
                    courier=self.courier,
                    sender=confirm.cleaned_data["sender"],
                    pickup_date=pickup_date,
                    pickup_slot=slot,
                    lines=[services.BookingLine(**f.cleaned_data) for f in lines],
                    by=merchant_actor(request),
                )
            except DomainError as exc:
                self._attach(exc, confirm, lines)
            else:
                messages.success(
                    request,
                    _("已提交 %(n)d 单给%(c)s，快递将在 2 小时内确认揽件网点和快递员。")
                    % {"n": len(lines.forms), "c": self.courier.name},
                )
                return redirect("shipping:booking_detail", booking.booking_no)
        return self.render(request, confirm, lines, status=400)

    def _attach(self, exc: DomainError, confirm, lines) -> None:
        sn_to_form = {}
        by_id = {o.pk: o.order_sn for o in self.orders}
        for form in lines.forms:
            sn_to_form[by_id.get(form.cleaned_data.get("order_id"))] = form
        for key, errors in exc.fields.items():
            if key in sn_to_form:
                for e in errors:
                    sn_to_form[key].add_error(None, e)
            elif key in confirm.fields:
                for e in errors:
                    confirm.add_error(key, e)
        confirm.add_error(None, exc.message)


class StoreBookingMixin(MerchantMixin):
    def get_booking(self):
        return selectors.booking_for_store(self.store, self.kwargs["booking_no"])


class BookingDetailView(StoreBookingMixin, TemplateView):
    """The booking's live progress (htmx polls the fragment), SLA alerts, re-booking, labels."""

    template_name = "shipping/booking_detail.html"

    def get_template_names(self):
        if self.request.htmx and self.request.GET.get("fragment"):
            return ["shipping/_booking_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        booking = self.get_booking()
        shipments = list(booking.shipments.all())
        overdue = [s for s in shipments if s.is_overdue]
        couriers = [o for o in selectors.active_couriers() if o.pk != booking.courier_id]
        summary = {}
        for s in shipments:
            summary[s.get_status_display()] = summary.get(s.get_status_display(), 0) + 1
        return super().get_context_data(
            booking=booking,
            shipments=shipments,
            overdue=overdue,
            summary=summary,
            polling=any(not s.is_settled for s in shipments),
            rebook_couriers=couriers,
            cancellable={s.pk for s in shipments if "cancel" in shipment_actions(s, self.request.user)},
            is_sandbox=booking.courier.adapter == "sandbox",
            ticket_form=TicketForm(),
            **kwargs,
        )


class BookingActionView(StoreBookingMixin, View):
    """POST actions on a booking: cancel, re-book with another courier, report to the platform, advance sandbox."""

    def post(self, request, booking_no: str, action: str):
        booking = self.get_booking()
        try:
            if action == "cancel":
                n = services.booking_cancel(booking=booking, by=merchant_actor(request))
                messages.success(request, _("已取消 %(n)d 个包裹，订单已回到未下单。") % {"n": n})
            elif action == "rebook":
                form = RebookForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("请选择改派的快递公司。"))
                    return redirect("shipping:booking_detail", booking_no)
                ids = parse_ids(request.POST.getlist("shipment")) or None
                new = services.booking_rebook(
                    booking=booking, courier=form.cleaned_data["courier"], by=merchant_actor(request), shipment_ids=ids
                )
                messages.success(request, _("已改派%(c)s，原快递订单已取消。") % {"c": new.courier.name})
                return redirect("shipping:booking_detail", new.booking_no)
            elif action == "report":
                form = TicketForm(request.POST)
                if form.is_valid():
                    overdue = [s for s in booking.shipments.all() if s.is_overdue] or list(booking.shipments.all())[:1]
                    for s in overdue:
                        services.ticket_report(shipment=s, by=merchant_actor(request), **form.cleaned_data)
                    messages.success(request, _("已向平台投诉，平台客服将跟进处理。"))
            elif action == "advance" and booking.courier.adapter == "sandbox":
                from .carriers import sandbox

                sandbox.tick()
                services.shipments_poll()
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("shipping:booking_detail", booking_no)


class LabelsView(StoreBookingMixin, TemplateView):
    """电子面单: one printable label per parcel with a Code 128 barcode of the waybill number."""

    template_name = "shipping/labels.html"

    def get_context_data(self, **kwargs):
        booking = self.get_booking()
        labels = [
            (s, code128_svg(s.waybill_no))
            for s in booking.shipments.all()
            if s.waybill_no and s.status not in (ShipmentStatus.CANCELLED, ShipmentStatus.FAILED)
        ]
        return super().get_context_data(booking=booking, labels=labels, hide_sidebar=True, **kwargs)


class ShipmentListView(MerchantMixin, TemplateView):
    """包裹跟踪: every parcel of the store, searchable by waybill, order or booking number."""

    template_name = "shipping/shipment_list.html"

    def get_context_data(self, **kwargs):
        q, status = self.request.GET.get("q", ""), self.request.GET.get("status", "")
        overdue = self.request.GET.get("overdue") == "1"
        page = Paginator(selectors.shipment_search(self.store, q=q, status=status, overdue=overdue), 50).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(page=page, q=q, status=status, statuses=ShipmentStatus.choices, **kwargs)


class ShipmentDetailView(MerchantMixin, TemplateView):
    template_name = "shipping/shipment_detail.html"

    def get_context_data(self, **kwargs):
        shipment = selectors.shipment_for_store(self.store, self.kwargs["pk"])
        return super().get_context_data(
            shipment=shipment,
            actions=shipment_actions(shipment, self.request.user),
            events=sorted(shipment.events.all(), key=lambda e: (e.occurred_at, e.pk), reverse=True),
            conversation=list(shipment.messages.all()),
            message_form=kwargs.pop("message_form", None) or MessageForm(),
            timeline=audit_for(shipment),
            fees=selectors.shipment_fees(shipment),
            carrier_status_label=kuaidi100.status_label(shipment.carrier_status),
            **kwargs,
        )


class ShipmentActionView(MerchantMixin, View):
    def post(self, request, pk: int, action: str):
        shipment = get_object_or_404(Shipment.objects.select_related("courier"), pk=pk, store=self.store)
        try:
            if action == "cancel":
                check_action(shipment, request.user, "cancel")
                services.shipment_cancel(shipment=shipment, by=merchant_actor(request))
                messages.success(request, _("已取消，订单已回到未下单。"))
            elif action == "message":
                form = MessageForm(request.POST)
                if not form.is_valid():
                    view = ShipmentDetailView()
                    view.setup(request, pk=pk)
                    view.store = self.store
                    return render(
                        request, view.template_name, view.get_context_data(pk=pk, message_form=form), status=400
                    )
                services.courier_message_send(shipment=shipment, by=merchant_actor(request), **form.cleaned_data)
                messages.success(request, _("已发送给快递客服。"))
            elif action == "report":
                form = TicketForm(request.POST)
                if form.is_valid():
                    services.ticket_report(shipment=shipment, by=merchant_actor(request), **form.cleaned_data)
                    messages.success(request, _("已向平台投诉，平台客服将跟进处理。"))
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(safe_next(request, reverse("shipping:shipment_detail", args=[pk])))


# --- sender address book ------------------------------------------------------------------------------
class AddressListView(MerchantMixin, TemplateView):
    template_name = "shipping/address_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(addresses=selectors.sender_addresses(self.store), **kwargs)


class AddressEditView(MerchantMixin, View):
    template_name = "shipping/address_form.html"

    def get_address(self):
        pk = self.kwargs.get("pk")
        return get_object_or_404(selectors.sender_addresses(self.store), pk=pk) if pk else None

    def get(self, request, pk=None):
        address = self.get_address()
        return render(request, self.template_name, {"form": SenderAddressForm(instance=address), "address": address})

    def post(self, request, pk=None):
        address = self.get_address()
        form = SenderAddressForm(request.POST, instance=address)
        if form.is_valid():
            services.sender_address_save(
                store=self.store, data=form.cleaned_data, address=address, by=merchant_actor(request)
            )
            messages.success(request, _("发货地址已保存。"))
            return redirect(safe_next(request, "shipping:address_list"))
        return render(request, self.template_name, {"form": form, "address": address}, status=400)


class AddressDeleteView(MerchantMixin, View):
    def post(self, request, pk: int):
        address = get_object_or_404(selectors.sender_addresses(self.store), pk=pk)
        services.sender_address_delete(address=address, by=merchant_actor(request))
        messages.success(request, _("发货地址已删除。"))
        return redirect("shipping:address_list")


class CourierAccountView(MerchantMixin, View):
    """快递账号: connect a kuaidi100 商家寄件 account, test it, choose its couriers, disconnect. Owner only."""

    owner_only = True
    template_name = "shipping/courier_account.html"

    def render(self, request, *, connect_form=None, choice_form=None, status=200):
        account = selectors.courier_account(self.store)
        initial = {"couriers": list(account.couriers.all())} if account else {}
        return render(
            request,
            self.template_name,
            {
                "account": account,
                "connect_form": connect_form or CourierAccountForm(),
                "choice_form": choice_form or CourierChoiceForm(initial=initial),
                "callback_urls": ([account.callback_url("status"), account.callback_url("trace")] if account else []),
            },
            status=status,
        )

    def get(self, request):
        return self.render(request)

    def post(self, request):
        action = request.POST.get("action", "")
        account = selectors.courier_account(self.store)
        try:
            if action == "connect":
                form = CourierAccountForm(request.POST)
                if not form.is_valid():
                    return self.render(request, connect_form=form, status=400)
                account = services.courier_account_connect(
                    store=self.store,
                    environment=form.cleaned_data["environment"],
                    key=form.cleaned_data["key"],
                    secret=form.cleaned_data["secret"],
                    salt=form.cleaned_data["salt"],
                    courier_ids=[c.pk for c in form.cleaned_data["couriers"]],
                    by=request.user,
                )
                messages.success(request, _("快递账号已保存。"))
                ok, message = services.courier_account_test(account=account, by=request.user)
                (messages.success if ok else messages.error)(request, message)
            elif account is None:
                raise Http404
            elif action == "test":
                ok, message = services.courier_account_test(account=account, by=request.user)
                (messages.success if ok else messages.error)(request, message)
            elif action == "couriers":
                form = CourierChoiceForm(request.POST)
                if not form.is_valid():
                    return self.render(request, choice_form=form, status=400)
                services.courier_account_set_couriers(
                    account=account, courier_ids=[c.pk for c in form.cleaned_data["couriers"]], by=request.user
                )
                messages.success(request, _("已更新通过快递100 下单的快递。"))
            elif action == "disconnect":
                services.courier_account_disconnect(account=account, by=request.user)
                messages.success(request, _("已停用快递账号，之后的下单由平台沙箱快递承运。"))
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
            return self.render(request, status=400)
        return redirect("shipping:courier_account")
