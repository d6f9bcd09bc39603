"""Merchant pages: after-sales list and detail with actions, review list with inline replies."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.actors import merchant_actor
from portal.exceptions import DomainError
from portal.fsm import audit_for
from portal.keyset import PAGE_SIZES
from portal.tenancy import MerchantMixin

from . import selectors, services
from .actions import request_actions
from .forms import ApproveForm, NegotiateForm, ReceiveForm, RejectForm, ReplyForm, ReturnAddressForm, ShipForm
from .models import AftersalesRequest, AftersalesStatus, AftersalesType, Review

PAGE_SIZE = PAGE_SIZES[0]


def page_size(request) -> int:
    """The page size the merchant chose (`?size=`), one of PAGE_SIZES."""
    try:
        size = int(request.GET.get("size", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in PAGE_SIZES else PAGE_SIZE


class RequestListView(MerchantMixin, TemplateView):
    template_name = "aftersales/request_list.html"

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("tab", "to_answer")
        if tab not in selectors.TABS:
            tab = "all"
        q = self.request.GET.get("q", "").strip()[:40]
        page = Paginator(selectors.request_list(store=self.store, tab=tab, q=q), page_size(self.request)).get_page(
            self.request.GET.get("page")
        )
        counts = selectors.tab_counts(store=self.store)
        tabs = [(key, label, counts[key]) for key, (label, _s) in selectors.TABS.items()]
        return super().get_context_data(page=page, tab=tab, tabs=tabs, q=q, page_sizes=PAGE_SIZES, **kwargs)


def full_refund_on(req: AftersalesRequest, action: str) -> int:
    """The amount `action` would refund at once (refund only on approval, return and refund on receipt), else 0."""
    if action == "approve" and req.type == AftersalesType.REFUND_ONLY:
        return req.amount
    if action == "receive" and req.type == AftersalesType.RETURN_REFUND:
        return req.amount
    return 0


FORM_CLASSES = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "return_address": ReturnAddressForm,
    "receive": ReceiveForm,
    "ship": ShipForm,
    "negotiate": NegotiateForm,
}


def _form(req: AftersalesRequest, action: str, data=None, files=None):
    """The form of one action, bound to `data` when given; refunding forms ask for a confirmation."""
    form_class = FORM_CLASSES[action]
    kwargs: dict = {}
    if form_class in (ApproveForm, ReceiveForm):
        kwargs["refund_amount"] = full_refund_on(req, action)
    if form_class is NegotiateForm:
        kwargs["refundable"] = services.negotiation_refundable(req)
    if data is not None:
        return form_class(data, files, **kwargs)
    initial = {}
    if action in ("approve", "return_address"):
        address = services.default_return_address(req.store)
        initial = {"return_address": address if (action == "return_address" or req.is_return_type()) else ""}
    return form_class(initial=initial, **kwargs)


def _forms(req: AftersalesRequest, actions: frozenset[str]) -> dict:
    """The form of each action the state machine offers the merchant now (aftersales.actions)."""
    return {action: _form(req, action) for action in FORM_CLASSES if action in actions}


def success_message(action: str, req: AftersalesRequest, data: dict) -> str:
    """What the merchant just did, in words (each action answers its own message)."""
    if action == "approve":
        if req.status == AftersalesStatus.REFUNDED:
            return _("已同意退款，%(amount).2f 元将在 3–5 个工作日内原路退回买家。") % {
                "amount": req.refunded_amount / 100
            }
        if req.status == AftersalesStatus.AWAITING_RETURN:
            return _("已同意退货，等待买家寄回商品。")
        return _("已同意申请。")
    if action == "reject":
        days = settings.PORTAL_TIME_RULES["escalation_window"].days
        return _("已拒绝申请，买家可在 %(days)d 天内申请平台介入。") % {"days": days}
    if action == "return_address":
        return _("退货地址已提交，等待买家寄回商品。")
    if action == "receive":
        if req.status == AftersalesStatus.REJECTED:
            return _("验货不通过，已拒绝退款。")
        if req.status == AftersalesStatus.REFUNDED:
            return _("已确认收货，%(amount).2f 元将在 3–5 个工作日内原路退回买家。") % {
                "amount": req.refunded_amount / 100
            }
        return _("已确认收到退货。")
    if action == "negotiate":
        return _("协商方案已发给买家：退款 %(amount).2f 元，等待买家确认。") % {"amount": data["amount"] / 100}
    if req.status == AftersalesStatus.REPAIRED:
        return _("维修后的商品已寄回买家。")
    return _("换货/补寄包裹已发出。")


class RequestDetailView(MerchantMixin, View):
    template_name = "aftersales/request_detail.html"

    def get_object(self, pk: int) -> AftersalesRequest:
        try:
            return selectors.request_detail(store=self.store, pk=pk)
        except AftersalesRequest.DoesNotExist:
            raise Http404

    def render_page(self, req: AftersalesRequest, bound: dict | None = None, status: int = 200) -> HttpResponse:
        forms = {**_forms(req, request_actions(req, self.request.user)), **(bound or {})}
        context = {
            "req": req,
            "forms": forms,
            "timeline": audit_for(req),
            "evidence": list(req.evidence.all()),
            "tracking": list(selectors.return_tracking(req)),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        return self.render_page(self.get_object(pk))

    def post(self, request, pk: int):
        req = self.get_object(pk)
        action = request.POST.get("action", "")
        if action not in FORM_CLASSES or action not in request_actions(req, request.user):
            messages.error(request, _("当前状态不允许此操作。"))
            return redirect("aftersales:request_detail", pk=req.pk)
        form = _form(req, action, request.POST, request.FILES)
        if form.is_valid():
            try:
                self.perform(action, req, form.cleaned_data)
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                req.refresh_from_db()
                messages.success(request, success_message(action, req, form.cleaned_data))
                return redirect("aftersales:request_detail", pk=req.pk)
        return self.render_page(req, {action: form}, status=400)

    def perform(self, action: str, req: AftersalesRequest, data: dict) -> None:
        by = merchant_actor(self.request)
        if action == "approve":
            services.aftersales_approve(request=req, return_address=data["return_address"], note=data["note"], by=by)
        elif action == "reject":
            services.aftersales_reject(request=req, reason=data["reason"], photos=data["photos"], by=by)
        elif action == "return_address":
            services.aftersales_request_return(request=req, return_address=data["return_address"], by=by)
        elif action == "receive":
            services.aftersales_receive_return(
                request=req, note=data["note"], inspection_passed=not data["inspection_failed"], by=by
            )
        elif action == "negotiate":
            services.aftersales_negotiate(request=req, amount=data["amount"], note=data["note"], by=by)
        elif action == "ship":
            services.aftersales_ship_replacement(
                request=req, courier_code=data["courier_code"], waybill_no=data["waybill_no"], by=by
            )


class ReviewListView(MerchantMixin, TemplateView):
    template_name = "aftersales/review_list.html"

    def get_context_data(self, **kwargs):
        g = self.request.GET
        score = g.get("score", "") if g.get("score") in selectors.SCORE_FILTERS else ""
        photos, unanswered = g.get("photos") == "1", g.get("unanswered") == "1"
        qs = selectors.review_list(store=self.store, score=score, photos=photos, unanswered=unanswered)
        page = Paginator(qs, page_size(self.request)).get_page(g.get("page"))
        return super().get_context_data(
            page=page,
            page_sizes=PAGE_SIZES,
            score=score,
            photos=photos,
            unanswered=unanswered,
            dsr=selectors.dsr(self.store),
            unanswered_count=selectors.unanswered_reviews_count(self.store),
            **kwargs,
        )


class ReviewReplyView(MerchantMixin, View):
    """POST (htmx): reply once to a review or its follow-up; answers the review's row fragment."""

    def post(self, request, pk: int):
        review = get_object_or_404(Review.objects.select_related("item", "order"), pk=pk, store=self.store)
        form = ReplyForm(request.POST)
        status = 200
        if form.is_valid():
            try:
                review = services.review_reply(
                    review=review,
                    store=self.store,
                    text=form.cleaned_data["text"],
                    part=form.cleaned_data["part"] or None,
                    by=merchant_actor(request),
                )
                form = ReplyForm()
            except DomainError as exc:
                form.add_error("text", exc.fields.get("text", [exc.message])[0])
                status = 400
        else:
            status = 400
        if not request.headers.get("HX-Request"):
            if status == 200:
                messages.success(request, _("回复成功。"))
            else:
                messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
            return redirect("aftersales:review_list")
        # htmx swaps only 2xx answers: the fragment carries the field error itself
        context = {"r": review, "reply_form": form, "unanswered_count": selectors.unanswered_reviews_count(self.store)}
        return render(request, "aftersales/_review_swap.html", context)
