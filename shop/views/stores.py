"""Merchant pages of the store area: the onboarding wizard, the store page, deposit, agreement, team.

Every page works on the session's current store (request.store): another store's document is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.actors import merchant_actor
from portal.exceptions import DomainError
from portal.fsm import audit_for
from portal.models import Role
from portal.payments.services import checkout_url
from portal.tenancy import SESSION_KEY, MerchantMixin
from shop.actions import store_actions
from shop.forms.stores import (
    AgreementForm,
    DocumentUploadForm,
    InviteForm,
    StoreInfoForm,
    StoreTypeForm,
    attach_errors,
)
from shop.models import AgreementVersion, DocumentKind, Store, StoreDocument, StoreStatus, StoreType
from shop.selectors import stores as selectors
from shop.services import deposit as deposit_services
from shop.services import stores as services

NEW_APPLICATION = "onboarding_new_type"  # session: the type chosen for an application not saved yet

WIZARD = ["type", "info", "documents", "submit"]


def steps_for(store: Store | None, wizard_step: str | None = None) -> list[tuple[str, str]]:
    """The progress bar: (label, "done" | "current" | "") for the whole journey to an open store."""
    labels = [
        _("店铺类型"),
        _("店铺信息"),
        _("上传资质"),
        _("提交审核"),
        _("平台审核"),
        _("缴纳保证金"),
        _("签署协议"),
        _("开店营业"),
    ]
    if wizard_step is not None:
        current = WIZARD.index(wizard_step)
    elif store is None:
        current = 0
    else:
        current = {
            StoreStatus.DRAFT: 1 if services.application_errors(store) else 2,
            StoreStatus.REJECTED: 2,
            StoreStatus.SUBMITTED: 4,
            StoreStatus.APPROVED: 5,
            StoreStatus.DEPOSIT_PAID: 6,
            StoreStatus.AGREEMENT_SIGNED: 7,
        }.get(store.status, len(labels))
    return [(label, "done" if i < current else "current" if i == current else "") for i, label in enumerate(labels)]


def _editable_store(request: HttpRequest) -> Store | None:
    store = request.store
    return store if store and store.is_editable() else None


class OnboardingStartView(LoginRequiredMixin, View):
    """Step 1: the store type. Edits the current draft, or starts a new application (?new=1)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.store = None if request.GET.get("new") else _editable_store(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if self.store is None and request.store and not request.GET.get("new"):
            return redirect("shop:store_detail")  # the current store is past onboarding
        initial = {}
        if self.store is not None:
            request.session.pop(NEW_APPLICATION, None)  # an abandoned new application yields to this draft
            initial = {"store_type": self.store.store_type, "enterprise_kind": self.store.enterprise_kind}
        elif request.session.get(NEW_APPLICATION):
            initial = request.session[NEW_APPLICATION]
        return self.render(StoreTypeForm(initial=initial))

    def post(self, request):
        form = StoreTypeForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        if self.store is None:
            request.session[NEW_APPLICATION] = form.cleaned_data
            return redirect("shop:onboarding_info")
        try:
            services.store_update_application(store=self.store, data=form.cleaned_data, by=merchant_actor(request))
        except DomainError as exc:
            attach_errors(form, exc.fields or {"__all__": [exc.message]})
            return self.render(form, status=400)
        return redirect("shop:onboarding_info")

    def render(self, form, status: int = 200) -> HttpResponse:
        chosen = form.data.get("store_type") if form.is_bound else form.initial.get("store_type")
        context = {
            "form": form,
            "store": self.store,
            "steps": steps_for(self.store, "type"),
            "step": "type",
            "enterprise_chosen": chosen == StoreType.ENTERPRISE,
        }
        return render(self.request, "shop/stores/wizard_type.html", context, status=status)


class OnboardingInfoView(LoginRequiredMixin, View):
    """Step 2: name, main category, brand, licence, contact. Creates the draft for a new application."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.new_type = request.session.get(NEW_APPLICATION)
        self.store = None if self.new_type else _editable_store(request)
        if self.new_type is None and self.store is None:
            return redirect("shop:onboarding_start")
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None) -> StoreInfoForm:
        chosen = self.new_type or {"store_type": self.store.store_type, "enterprise_kind": self.store.enterprise_kind}
        # The form works on its own copy: an invalid name must not reach the title, heading or top bar.
        instance = Store.objects.get(pk=self.store.pk) if self.store else Store(**chosen)
        return StoreInfoForm(data, instance=instance, **chosen)

    def get(self, request):
        return self.render(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            if self.store is None:
                store = services.store_create(
                    user=request.user, data={**self.new_type, **form.cleaned_data}, by=merchant_actor(request)
                )
                del request.session[NEW_APPLICATION]
                request.session[SESSION_KEY] = store.pk
            else:
                services.store_update_application(store=self.store, data=form.cleaned_data, by=merchant_actor(request))
        except DomainError as exc:
            attach_errors(form, exc.fields or {"__all__": [exc.message]})
            return self.render(form, status=400)
        messages.success(request, _("店铺信息已保存为草稿。"))
        return redirect("shop:onboarding_documents")

    def render(self, form, status: int = 200) -> HttpResponse:
        context = {"form": form, "store": self.store, "steps": steps_for(self.store, "info"), "step": "info"}
        return render(self.request, "shop/stores/wizard_info.html", context, status=status)


class WizardMixin(MerchantMixin):
    """Steps 3 and 4 work on the current store while its application can be edited."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.store and not request.store.is_editable():
            return redirect("shop:store_detail")
        return super().dispatch(request, *args, **kwargs)


class OnboardingDocumentsView(WizardMixin, View):
    """Step 3: upload each required document (replacing rejected ones)."""

    def get(self, request):
        return self.render()

    def post(self, request):
        form = DocumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.document_upload(
                    store=self.store,
                    kind=form.cleaned_data["kind"],
                    file=form.cleaned_data["file"],
                    by=merchant_actor(request),
                    trademark_status=form.cleaned_data["trademark_status"],
                    filed_on=form.cleaned_data["filed_on"],
                    sealed=form.cleaned_data["sealed"],
                )
            except DomainError as exc:
                attach_errors(form, exc.fields or {"file": [exc.message]})
            else:
                messages.success(request, _("资料已上传。"))
                return redirect("shop:onboarding_documents")
        return self.render(failed=form, status=400)

    def render(self, failed: DocumentUploadForm | None = None, status: int = 200) -> HttpResponse:
        checklist = selectors.document_checklist(self.store)
        failed_kind = failed.data.get("kind") if failed is not None else None
        rows = [
            (item, failed if item.kind == failed_kind else DocumentUploadForm(initial={"kind": item.kind}))
            for item in checklist
        ]
        context = {
            "store": self.store,
            "rows": rows,
            "failed": failed if failed is not None and failed_kind not in {i.kind for i in checklist} else None,
            "missing": services.missing_documents(self.store),
            "sealed_kinds": self.store.sealed_document_kinds(),
            "steps": steps_for(self.store, "documents"),
            "step": "documents",
        }
        return render(self.request, "shop/stores/wizard_documents.html", context, status=status)


class OnboardingSubmitView(WizardMixin, View):
    """Step 4: check everything and submit for review."""

    def get(self, request):
        return self.render()

    def post(self, request):
        try:
            services.store_submit(store=self.store, by=merchant_actor(request))
        except DomainError as exc:
            return self.render(errors=exc.fields, message=exc.message, status=400)
        messages.success(request, _("申请已提交，平台将在约 2 个工作日内完成审核。"))
        return redirect("shop:store_detail")

    def render(self, errors: dict | None = None, message: str = "", status: int = 200) -> HttpResponse:
        if errors is None:
            errors = dict(services.application_errors(self.store))
            missing = services.missing_documents(self.store)
            if missing:
                errors["documents"] = [str(DocumentKind(k).label) for k in missing]
        context = {
            "store": self.store,
            "errors": errors,
            "message": message,
            "checklist": selectors.document_checklist(self.store),
            "steps": steps_for(self.store, "submit"),
            "step": "submit",
        }
        return render(self.request, "shop/stores/wizard_submit.html", context, status=status)


class StoreDetailView(MerchantMixin, View):
    """The store page: status, steps, what to do next, documents, deposit, agreement, timeline."""

    def get(self, request):
        store = self.store
        summary = selectors.deposit_summary(store)
        context = {
            "store": store,
            "steps": steps_for(store),
            "checklist": selectors.document_checklist(store),
            "expected_review": selectors.expected_review_date(store),
            "deposit": summary,
            "deposit_refund": selectors.latest_deposit_refund(store),
            "entries": selectors.deposit_entries(store)[:10],
            "signatures": selectors.store_signatures(store),
            "members": selectors.store_members(store),
            "is_owner": request.membership.role == Role.OWNER,
            "actions": store_actions(store, request.user),
            "timeline": audit_for(store),
        }
        return render(request, "shop/stores/detail.html", context)


class DocumentFileView(MerchantMixin, View):
    """A document's file, for members of its store only."""

    def get(self, request, pk: int):
        document = get_object_or_404(StoreDocument, pk=pk, store=self.store)
        return _file_response(document)


def _file_response(document: StoreDocument) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404
    return FileResponse(handle, content_type=document.content_type, filename=document.original_name)


class DepositPayView(MerchantMixin, View):
    """Start paying the outstanding deposit at the provider's cashier."""

    def post(self, request):
        try:
            payment = deposit_services.deposit_payment_start(store=self.store, by=merchant_actor(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("shop:store_detail")
        return redirect(f"{checkout_url(payment)}?next={reverse('shop:store_detail')}")


class DepositLedgerView(MerchantMixin, View):
    def get(self, request):
        page = Paginator(selectors.deposit_entries(self.store), 30).get_page(request.GET.get("page"))
        context = {"store": self.store, "page": page, "deposit": selectors.deposit_summary(self.store)}
        return render(request, "shop/stores/deposit_ledger.html", context)


class AgreementView(MerchantMixin, View):
    """Read the current agreement and sign it (owner); the store then opens."""

    def get(self, request):
        return self.render(None)

    def post(self, request):
        form = AgreementForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        version = AgreementVersion.objects.filter(pk=form.cleaned_data["version"]).first()
        if version is None:
            form.add_error(None, _("协议版本不存在。"))
            return self.render(form, status=400)
        try:
            services.store_sign_agreement(
                store=self.store,
                version=version,
                by=merchant_actor(request),
                ip_address=request.META.get("REMOTE_ADDR") or "0.0.0.0",
                user_agent=request.headers.get("user-agent", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.render(form, status=exc.status_code)
        messages.success(request, _("协议已签署，店铺已开业！"))
        return redirect("shop:store_detail")

    def render(self, form, status: int = 200) -> HttpResponse:
        agreement = selectors.current_agreement()
        if form is None:
            form = AgreementForm(initial={"version": agreement.pk if agreement else None})
        context = {
            "store": self.store,
            "agreement": agreement,
            "form": form,
            "signatures": selectors.store_signatures(self.store),
            "can_sign": self.store.status == StoreStatus.DEPOSIT_PAID,
            "steps": steps_for(self.store),
        }
        return render(self.request, "shop/stores/agreement.html", context, status=status)


class TeamView(MerchantMixin, View):
    """The store's members; the owner invites operators."""

    def get(self, request):
        return self.render(InviteForm())

    def post(self, request):
        if request.membership.role != Role.OWNER:
            raise PermissionDenied
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                membership = services.membership_invite(
                    store=self.store, user_ref=form.cleaned_data["user"], by=merchant_actor(request)
                )
            except DomainError as exc:
                attach_errors(form, exc.fields or {"user": [exc.message]})
            else:
                messages.success(request, _("已添加运营：%(user)s") % {"user": membership.user.get_username()})
                return redirect("shop:store_team")
        return self.render(form, status=400)

    def render(self, form, status: int = 200) -> HttpResponse:
        context = {
            "store": self.store,
            "form": form,
            "members": selectors.store_members(self.store),
            "is_owner": self.request.membership.role == Role.OWNER,
        }
        return render(self.request, "shop/stores/team.html", context, status=status)


urlpatterns = [
    path("onboarding/", OnboardingStartView.as_view(), name="onboarding_start"),
    path("onboarding/info/", OnboardingInfoView.as_view(), name="onboarding_info"),
    path("onboarding/documents/", OnboardingDocumentsView.as_view(), name="onboarding_documents"),
    path("onboarding/submit/", OnboardingSubmitView.as_view(), name="onboarding_submit"),
    path("store/", StoreDetailView.as_view(), name="store_detail"),
    path("store/documents/<int:pk>/", DocumentFileView.as_view(), name="store_document_file"),
    path("store/deposit/", DepositLedgerView.as_view(), name="deposit_ledger"),
    path("store/deposit/pay/", DepositPayView.as_view(), name="deposit_pay"),
    path("store/agreement/", AgreementView.as_view(), name="store_agreement"),
    path("store/team/", TeamView.as_view(), name="store_team"),
]
