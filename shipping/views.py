"""Merchant pages: 在线下单 (choose orders → courier → confirm → live progress), tracking, labels, address book."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
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
from portal.regions import PROVINCES
from portal.tenancy import MerchantMixin

from . import selectors, services
from .actions import shipment_actions
from .barcodes import code128_svg
from .carriers import kuaidi100
from .forms import (
    ConfirmForm,
    CourierAccountForm,
    CourierChoiceForm,
    LineForm,
    LineFormSet,
    MessageForm,
    RebookForm,
    SenderAddressForm,
    TicketForm,
)
from .models import Courier, Shipment, ShipmentStatus
from .services.labels import LABEL_SIZES, labels_pdf


def _order_ids(request) -> list[int]:
    source = request.POST if request.method == "POST" else request.GET
    return parse_ids(source.getlist("order"))


def _selection_query(order_ids: list[int], **extra) -> str:
    return urlencode([("order", i) for i in order_ids] + list(extra.items()))


# --- the server-side selection of 未下单 (kept in the session, per store) -------------------------------
def _sel_key(store) -> str:
    return f"booking_selection:{store.pk}"


def _edits_key(store) -> str:
    return f"booking_edits:{store.pk}"


def session_selection(request, store) -> list[int]:
    return [int(i) for i in request.session.get(_sel_key(store), [])]


def _save_selection(request, store, ids: list[int]) -> None:
    seen: dict[int, None] = {}
    for i in ids:
        seen.setdefault(int(i), None)
    request.session[_sel_key(store)] = list(seen)[: services.selection_limit()]


def _clear_selection(request, store) -> None:
    request.session.pop(_sel_key(store), None)
    request.session.pop(_edits_key(store), None)


def session_edits(request, store) -> dict[int, dict]:
    return {int(k): v for k, v in request.session.get(_edits_key(store), {}).items()}


def selected_ids(request, store) -> tuple[list[int], str]:
    """The orders of this step: `order` parameters (a small selection), else the session's selection.

    Returns the ids and the query string that carries them to the next step.
    """
    ids = _order_ids(request) or parse_ids(request.GET.getlist("order"))
    source = request.POST if request.method == "POST" else request.GET
    if ids:
        return ids, _selection_query(ids)
    if source.get("sel") == "1" or request.GET.get("sel") == "1":
        return session_selection(request, store), "sel=1"
    return [], ""


def _too_many(request, order_ids: list[int]) -> bool:
    """None selected, or more than one confirmation books (consecutive bookings of 30): nothing booked."""
    if not order_ids:
        try:
            services.check_batch_limit(0)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        return True
    limit = services.selection_limit()
    if len(order_ids) > limit:
        messages.error(
            request,
            _("一次最多提交 %(limit)d 单（分批下单），您选择了 %(n)d 单。") % {"limit": limit, "n": len(order_ids)},
        )
        return True
    return False


def _bookings_of(n: int) -> int:
    return math.ceil(n / settings.SHIPPING_BATCH_LIMIT) if n else 0


class BookingCentreView(MerchantMixin, TemplateView):
    """发货中心 → 在线下单: the 未下单 tab (paid orders, filtered, keyset pages by ship-by) and the booked tabs."""

    template_name = "shipping/booking_centre.html"
    page_size = 50

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("tab", "unbooked")
        tabs = [("unbooked", _("未下单"))] + [(k, _(label)) for k, label, _c in selectors.BOOKED_TABS]
        if tab not in dict(tabs):
            tab = "unbooked"
        counts = selectors.booking_tab_counts(self.store)
        ctx = {
            "tab": tab,
            "tabs": tabs,
            "counts": counts,
            "limit": settings.SHIPPING_BATCH_LIMIT,
            "overdue": counts["overdue"],
        }
        if tab == "unbooked":
            filters = selectors.BacklogFilters.from_query(self.request.GET)
            selection = session_selection(self.request, self.store)
            page = selectors.backlog_page(
                selectors.unbooked_filtered(self.store, filters),
                size=self.page_size,
                after=self.request.GET.get("after"),
                before=self.request.GET.get("before"),
            )
            matching = selectors.bookable_count(self.store, filters) if filters.active else counts["unbooked_bookable"]
            mergeable = selectors.mergeable_counts(self.store, page.rows)
            for order in page.rows:  # looked up once here, not by a loop over the dict in every row
                order.mergeable_with = mergeable.get(order.pk)
            ctx.update(
                orders=page,
                filters=filters,
                filter_query=urlencode(filters.as_query()),
                here=self.request.get_full_path(),
                matching=matching,
                selected=set(selection) | set(_order_ids(self.request)),
                selection_count=len(selection),
                selection_bookings=_bookings_of(len(selection)),
                selection_limit=services.selection_limit(),
                provinces=PROVINCES,
                urgency_choices=[(k, _(v)) for k, v in selectors.URGENCY_CHOICES],
                special_choices=[(k, _(v)) for k, v in selectors.SPECIAL_CHOICES],
            )
        else:
            ctx["page"] = Paginator(selectors.shipments_for_tab(self.store, tab), 50).get_page(
                self.request.GET.get("page")
            )
        return super().get_context_data(**ctx, **kwargs)


class BookingSelectView(MerchantMixin, View):
    """POST from 未下单: add the ticked orders, select all N matching the filters, clear, or go book the selection."""

    def post(self, request):
        op = request.POST.get("op", "")
        ids = session_selection(request, self.store)
        ticked = _order_ids(request)
        filters = selectors.BacklogFilters.from_query(request.POST)
        if op == "all":
            ids = selectors.backlog_ids(self.store, filters, limit=services.selection_limit())
            _save_selection(request, self.store, ids)
            messages.success(request, _("已选择全部 %(n)d 单符合条件的订单。") % {"n": len(ids)})
        elif op == "clear":
            _clear_selection(request, self.store)
        elif op == "remove":
            _save_selection(request, self.store, [i for i in ids if i not in set(ticked)])
        elif op in ("add", "book"):
            page_ids = set(parse_ids(request.POST.getlist("page_order")))
            kept = [i for i in ids if i not in page_ids]  # unticked on this page: dropped from the selection
            _save_selection(request, self.store, kept + ticked)
        else:
            raise Http404
        if op == "book":
            return redirect(f"{reverse('shipping:booking_courier')}?sel=1")
        return redirect(safe_next(request, "shipping:booking_centre"))


def _with_on_time(store, options):
    rates = selectors.courier_on_time(store)
    for option in options:
        option.on_time = rates.get(option.courier.pk, selectors.OnTime())
    return options


class BookingCourierView(MerchantMixin, TemplateView):
    """Step 2: choose a courier that can carry every selected order (others shown with the reason)."""

    template_name = "shipping/booking_courier.html"

    def get(self, request, *args, **kwargs):
        self.order_ids, self.selection = selected_ids(request, self.store)
        if _too_many(request, self.order_ids):
            return redirect(f"{reverse('shipping:booking_centre')}?{self.selection}")
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
            rows=rows[:60],
            more_rows=max(len(rows) - 60, 0),
            options=_with_on_time(self.store, options),
            bookings=_bookings_of(len(orders)),
            sender=sender,
            selection=self.selection,
            **kwargs,
        )


@dataclass
class ReviewRow:
    order: object
    parcel: object
    line: dict
    price: int | None
    edited: bool
    errors: list[str]
    parcel_key: str = ""


class BookingConfirmView(MerchantMixin, View):
    """Step 3: a read-only review of every order (edit per row), totals per booking; sender and slot; submit.

    A selection of more than 30 is booked as consecutive bookings of at most 30 from this one confirmation.
    """

    template_name = "shipping/booking_confirm.html"
    FIELDS = ("weight_g", "recipient_name", "recipient_phone", "province", "city", "district", "street")

    def setup_booking(self, request):
        self.order_ids, self.selection = selected_ids(request, self.store)
        self.courier = get_object_or_404(Courier, code=request.GET.get("courier", ""), is_active=True)
        self.orders = selectors.orders_for_booking(self.store, self.order_ids)
        if len(self.orders) != len(set(self.order_ids)):
            raise Http404
        self.days = selectors.pickup_days(self.courier)
        self.edits = session_edits(request, self.store)

    def lines(self) -> list[dict]:
        lines = []
        for o in self.orders:
            line = {"order_id": o.pk, "weight_g": selectors.parcel_of(o).weight_g}
            line.update({k: getattr(o, k) for k in self.FIELDS if k != "weight_g"})
            line.update({k: v for k, v in self.edits.get(o.pk, {}).items() if k in self.FIELDS})
            lines.append(line)
        return lines

    def merges(self, lines: list[dict], data=None) -> tuple[list[dict], list[dict]]:
        """The 合并发货 offers of this selection, and the lines with their parcel key when merged.

        An offer is merged when the merchant ticks it (`merge` values); nothing is merged unasked."""
        by_id = {line["order_id"]: line for line in lines}
        offers = []
        chosen = set(data.getlist("merge")) if data is not None else None
        for group in selectors.merge_groups(self.orders, by_id):
            key = "-".join(str(o.pk) for o in group)
            offers.append({"key": key, "orders": group, "checked": chosen is not None and key in chosen})
        keyed = {o.pk: offer["key"] for offer in offers if offer["checked"] for o in offer["orders"]}
        return offers, [line | {"parcel": keyed.get(line["order_id"], "")} for line in lines]

    def render(self, request, confirm, lines, line_errors=None, status=200, offers=None):
        sender = confirm["sender"].value()
        sender_obj = selectors.sender_addresses(self.store).filter(pk=sender).first() if sender else None
        if sender_obj is None:
            sender_obj = selectors.default_sender(self.store)
        by_id = {o.pk: o for o in self.orders}
        volume = selectors.month_volumes(self.store.pk).get(self.courier.pk, 0)
        line_errors = line_errors or {}
        rows = []
        for line in lines:
            order = by_id.get(line["order_id"])
            if order is None:
                continue
            price = None
            refusal = ""
            if sender_obj is not None:
                refusal = selectors.courier_refusal(
                    self.courier,
                    goods=selectors.parcel_of(order).goods,
                    provinces=[line["province"], sender_obj.province],
                )
                if not refusal:
                    price = self.courier.price_for(
                        weight_g=int(line["weight_g"] or 1),
                        from_province=sender_obj.province,
                        to_province=line["province"],
                        volume=volume,
                    )
            errors = list(line_errors.get(order.order_sn, [])) + ([refusal] if refusal else [])
            rows.append(
                ReviewRow(
                    order,
                    selectors.parcel_of(order),
                    line,
                    price,
                    order.pk in self.edits,
                    errors,
                    parcel_key=line.get("parcel", ""),
                )
            )
        # a merged parcel pays one price for its combined weight, on its first order
        parcels: dict[str, list[ReviewRow]] = {}
        for row in rows:
            if row.parcel_key:
                parcels.setdefault(row.parcel_key, []).append(row)
        for group in parcels.values():
            if sender_obj is not None and all(r.price is not None for r in group):
                weight = sum(int(r.line["weight_g"] or 0) for r in group)
                group[0].price = self.courier.price_for(
                    weight_g=weight,
                    from_province=sender_obj.province,
                    to_province=group[0].line["province"],
                    volume=volume,
                )
                for r in group[1:]:
                    r.price = 0
        chunks = []
        for n, chunk in enumerate(services.booking_chunks(rows), start=1):
            chunks.append(
                {
                    "n": n,
                    "rows": chunk,
                    "count": len(chunk),
                    "weight": sum(int(r.line["weight_g"] or 0) for r in chunk),
                    "price": sum(r.price or 0 for r in chunk),
                }
            )
        pickup = confirm["pickup"].value() or (confirm.fields["pickup"].choices or [("", "")])[0][0]
        conflicts = [
            value
            for value, _label in confirm.fields["pickup"].choices
            if selectors.pickup_promise_conflict(
                pickup_date=date.fromisoformat(value.split("|")[0]), pickup_slot=value.split("|")[1]
            )
        ]
        ctx = {
            "courier": self.courier,
            "confirm": confirm,
            "chunks": chunks,
            "rows": rows,
            "total_count": len(rows),
            "total_weight": sum(c["weight"] for c in chunks),
            "total_price": sum(c["price"] for c in chunks),
            "refused": any(r.errors for r in rows),
            "sender": sender_obj,
            "pickup_conflict": pickup in conflicts,
            "pickup_conflicts": ",".join(conflicts),
            "selection": self.selection,
            "has_addresses": selectors.sender_addresses(self.store).exists(),
            "bookings": len(chunks),
            "offers": offers or [],
            "parcel_numbers": {key: n for n, key in enumerate(parcels, start=1)},
        }
        return render(request, self.template_name, ctx, status=status)

    def confirm_form(self, data=None):
        sender = selectors.default_sender(self.store)
        return ConfirmForm(data, store=self.store, pickup_days=self.days, initial={"sender": sender})

    def get(self, request):
        ids, selection = selected_ids(request, self.store)
        if _too_many(request, ids):
            return redirect(f"{reverse('shipping:booking_centre')}?{selection}")
        self.setup_booking(request)
        offers, lines = self.merges(self.lines())
        return self.render(request, self.confirm_form(), lines, offers=offers)

    def post(self, request):
        self.setup_booking(request)
        confirm = self.confirm_form(request.POST)
        if "line-TOTAL_FORMS" in request.POST:  # every line posted with the confirmation (API-like clients, tests)
            formset = LineFormSet(request.POST, prefix="line")
            if not formset.is_valid():
                by_id = {o.pk: o.order_sn for o in self.orders}
                errors = {
                    by_id.get(f.cleaned_data.get("order_id") or int(f["order_id"].value() or 0), ""): [
                        f"{f.fields[k].label}：{e}" if k != "__all__" else e for k, es in f.errors.items() for e in es
                    ]
                    for f in formset.forms
                    if f.errors
                }
                lines = [
                    {k: f[k].value() for k in ("order_id", *self.FIELDS)}
                    | {"order_id": int(f["order_id"].value() or 0)}
                    for f in formset.forms
                ]
                confirm.is_valid()
                return self.render(request, confirm, lines, errors, status=400)
            lines = [f.cleaned_data for f in formset.forms]
        else:
            lines = self.lines()
        offers, lines = self.merges(lines, request.POST if "merge_offered" in request.POST else None)
        if "preview" in request.POST:  # 应用合并: show the review with the ticked parcels, book nothing
            confirm.is_valid()
            return self.render(request, confirm, lines, offers=offers)
        if not confirm.is_valid():
            return self.render(request, confirm, lines, status=400, offers=offers)
        pickup_date, slot = confirm.pickup_value()
        try:
            bookings = services.booking_submit_many(
                store=self.store,
                courier=self.courier,
                sender=confirm.cleaned_data["sender"],
                pickup_date=pickup_date,
                pickup_slot=slot,
                lines=[services.BookingLine(**line) for line in lines],
                by=merchant_actor(request),
            )
        except DomainError as exc:
            for key in ("sender", "pickup"):
                for e in exc.fields.get(key if key == "sender" else "pickup_slot", []):
                    confirm.add_error(key, e)
            confirm.add_error(None, exc.message)
            return self.render(request, confirm, lines, exc.fields, status=400, offers=offers)
        _clear_selection(request, self.store)
        n = len(lines) - len(bookings.refused)
        if bookings.refused:
            messages.warning(
                request,
                _("%(n)d 单未下单：%(reasons)s")
                % {
                    "n": len(bookings.refused),
                    "reasons": "；".join(f"{sn}：{'、'.join(r)}" for sn, r in bookings.refused.items()),
                },
            )
        if len(bookings) == 1:
            messages.success(
                request,
                _("已提交 %(n)d 单给%(c)s，快递将在 2 小时内确认揽件网点和快递员。") % {"n": n, "c": self.courier.name},
            )
            return redirect("shipping:booking_detail", bookings[0].booking_no)
        messages.success(
            request,
            _("已分 %(b)d 批提交 %(n)d 单给%(c)s，快递将在 2 小时内确认揽件网点和快递员。")
            % {"b": len(bookings), "n": n, "c": self.courier.name},
        )
        return redirect("shipping:booking_group", bookings[0].group_no)


class BookingLineEditView(MerchantMixin, View):
    """The edit action of one review row: weight and recipient of one order, kept for this confirmation."""

    template_name = "shipping/booking_line_edit.html"

    def order(self, pk: int):
        orders = selectors.orders_for_booking(self.store, [pk])
        if not orders:
            raise Http404
        return orders[0]

    def back(self, request) -> str:
        return safe_next(request, "shipping:booking_centre")

    def form(self, order, data=None):
        edits = session_edits(self.request, self.store).get(order.pk, {})
        initial = {"order_id": order.pk, "weight_g": selectors.parcel_of(order).weight_g}
        initial.update({k: getattr(order, k) for k in BookingConfirmView.FIELDS if k != "weight_g"})
        initial.update(edits)
        return LineForm(data, initial=initial)

    def get(self, request, pk: int):
        order = self.order(pk)
        return render(
            request, self.template_name, {"order": order, "form": self.form(order), "back": self.back(request)}
        )

    def post(self, request, pk: int):
        order = self.order(pk)
        form = self.form(order, request.POST)
        if not form.is_valid():
            return render(
                request, self.template_name, {"order": order, "form": form, "back": self.back(request)}, status=400
            )
        edits = request.session.get(_edits_key(self.store), {})
        edits[str(order.pk)] = {k: form.cleaned_data[k] for k in BookingConfirmView.FIELDS}
        request.session[_edits_key(self.store)] = edits
        messages.success(request, _("已修改订单 %(sn)s 的下单信息。") % {"sn": order.order_sn})
        return redirect(self.back(request))


class BookingGroupView(MerchantMixin, TemplateView):
    """The consecutive bookings of one confirmation: each with its number, progress and per-order results."""

    template_name = "shipping/booking_group.html"

    def get_context_data(self, **kwargs):
        bookings = selectors.bookings_of_group(self.store, self.kwargs["group_no"])
        if not bookings:
            raise Http404
        rows = []
        for b in bookings:
            shipments = list(b.shipments.all())
            summary: dict[str, int] = {}
            for s in shipments:
                summary[s.get_status_display()] = summary.get(s.get_status_display(), 0) + 1
            rows.append({"booking": b, "shipments": shipments, "summary": summary})
        return super().get_context_data(
            groups=rows,
            total=sum(len(r["shipments"]) for r in rows),
            polling=any(not s.is_settled for r in rows for s in r["shipments"]),
            **kwargs,
        )


def sandbox_control_allowed(request) -> bool:
    """沙箱推进 is a development and support tool: staff, or a DEBUG (development) site, never merchants in production."""
    return bool(settings.DEBUG or getattr(request.user, "is_staff", False))


def breach_kind(shipment) -> str:
    """The complaint a late parcel's form defaults to: the promise actually broken."""
    late = shipment.late_badge
    if late == "confirm" or (not late and shipment.is_confirm_late):
        return "confirm_late"
    if late == "pickup" or shipment.is_pickup_late:
        return "pickup_missed"
    return "other"


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
        couriers = _with_on_time(
            self.store,
            selectors.rebook_options(
                overdue, sender_province=booking.sender_province, exclude_courier_id=booking.courier_id
            ),
        )
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
            is_sandbox=booking.courier.adapter == "sandbox" and sandbox_control_allowed(self.request),
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
                if request.POST.get("from") == "shipment" and ids:
                    moved = Shipment.objects.filter(pk=ids[0], store=self.store).values_list(
                        "replaced_by_id", flat=True
                    )
                    if moved and moved[0]:
                        return redirect("shipping:shipment_detail", moved[0])
                return redirect("shipping:booking_detail", new.booking_no)
            elif action == "report":
                form = TicketForm(request.POST)
                if form.is_valid():
                    overdue = [s for s in booking.shipments.all() if s.is_overdue] or list(booking.shipments.all())[:1]
                    for s in overdue:
                        services.ticket_report(shipment=s, by=merchant_actor(request), **form.cleaned_data)
                    messages.success(request, _("已向平台投诉，平台客服将跟进处理。"))
            elif action == "advance" and booking.courier.adapter == "sandbox" and sandbox_control_allowed(request):
                from .carriers import sandbox

                sandbox.tick()
                services.shipments_poll(repoll_after=timedelta(0))  # the sandbox's step: ask again at once
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("shipping:booking_detail", booking_no)


class LabelsView(StoreBookingMixin, View):
    """电子面单: choose the labels to print (已打印 ones unticked, reprint on request), the printer's size
    (100×150 or 76×130 mm); print the selected ones (marked printed) or download them as one PDF."""

    template_name = "shipping/labels.html"

    def printable(self, booking):
        return [
            s
            for s in booking.shipments.all()
            if s.waybill_no and s.status not in (ShipmentStatus.CANCELLED, ShipmentStatus.FAILED)
        ]

    def get(self, request, booking_no: str):
        booking = self.get_booking()
        size = request.GET.get("size", "100x150")
        return render(
            request,
            self.template_name,
            {
                "booking": booking,
                "labels": [(s, code128_svg(s.waybill_no)) for s in self.printable(booking)],
                "size": size if size in LABEL_SIZES else "100x150",
                "sizes": list(LABEL_SIZES),
                "choosing": True,
            },
        )

    def post(self, request, booking_no: str):
        booking = self.get_booking()
        size = request.POST.get("size", "100x150")
        size = size if size in LABEL_SIZES else "100x150"
        wanted = set(parse_ids(request.POST.getlist("shipment")))
        chosen = [s for s in self.printable(booking) if s.pk in wanted]
        if not chosen:
            messages.error(request, _("请选择要打印的面单。"))
            return redirect(f"{reverse('shipping:booking_labels', args=[booking_no])}?size={size}")
        reprints = [s for s in chosen if s.label_printed_at]
        firsts = [s for s in chosen if not s.label_printed_at]
        by = merchant_actor(request)
        services.labels_mark_printed(shipments=firsts, by=by)
        services.labels_mark_printed(shipments=reprints, by=by, reprint=True)
        if request.POST.get("format") == "pdf":
            pdf = labels_pdf(labels=[_label_data(booking, s) for s in chosen], size=size)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="labels-{booking.booking_no}-{size}.pdf"'
            return response
        return render(
            request,
            self.template_name,
            {
                "booking": booking,
                "labels": [(s, code128_svg(s.waybill_no)) for s in chosen],
                "size": size,
                "hide_sidebar": True,
                "choosing": False,
            },
        )


def _label_data(booking, s: Shipment) -> dict:
    return {
        "courier": booking.courier.name,
        "parcel_code": s.parcel_code,
        "sort_code": (s.label_data or {}).get("sort_code") or s.province,
        "waybill_no": s.waybill_no,
        "recipient": s.recipient_name,
        "recipient_phone": s.masked_phone,
        "recipient_address": s.recipient_address,
        "sender": booking.sender_name,  # the PDF prints no sender phone (the HTML label shows it masked)
        "sender_address": booking.sender_address,
        "goods": s.goods_summary[:60],
        "weight_g": s.predicted_weight_g,
        "buyer_note": s.order.buyer_note,
        "order_sn": s.order.order_sn,
    }


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
        actions = shipment_actions(shipment, self.request.user)
        rebook = []
        if "cancel" in actions and shipment.is_unweighed():
            rebook = _with_on_time(
                self.store,
                selectors.rebook_options(
                    [shipment], sender_province=shipment.booking.sender_province, exclude_courier_id=shipment.courier_id
                ),
            )
        return super().get_context_data(
            shipment=shipment,
            actions=actions,
            rebook_options=rebook,
            breach=breach_kind(shipment),
            shared_parcel=selectors.parcel_orders(shipment),
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
