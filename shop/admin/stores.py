"""Staff screens of the store area: the review queue, document previews, approve/reject with reasons
per document, suspend/reinstate, offline deposit transfers, closing with deposit refund.

Every decision calls a service (which checks the staff permission and writes the audit row).
Reviewers hold shop.review_store, support shop.suspend_store, finance shop.settle_deposit (portal/roles.py).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.actions import available_actions, check_action
from portal.actors import Actor
from portal.admin_scale import EstimatedCountPaginator, StoreFilter
from portal.audit import AuditedEditsMixin, timeline_html
from portal.exceptions import DomainError
from shop.actions import store_actions
from shop.forms.stores import ReasonForm, ReviewForm, TransferForm
from shop.models import (
    AgreementSignature,
    AgreementVersion,
    DepositEntry,
    DepositRule,
    Store,
    StoreApplication,
    StoreDocument,
    StoreStatus,
)
from shop.selectors import stores as selectors
from shop.services import deposit as deposit_services
from shop.services import stores as services
from shop.views.stores import _file_response


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def document_preview(document: StoreDocument) -> str:
    url = reverse("admin:shop_store_document_file", args=[document.store_id, document.pk])
    if document.is_image:
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="{}" class="doc-thumb"></a>',
            url,
            url,
            document.original_name,
        )
    return format_html('<a href="{}" target="_blank">📄 {}</a>', url, document.original_name)


class DocumentInline(ReadOnlyInline):
    model = StoreDocument
    fields = ("kind", "status", "review_reason", "preview", "size", "uploaded_at", "reviewed_by")
    readonly_fields = fields
    ordering = ("kind", "-uploaded_at")

    @admin.display(description=gettext_lazy("预览"))
    def preview(self, obj: StoreDocument) -> str:
        return document_preview(obj)


class DepositEntryInline(ReadOnlyInline):
    model = DepositEntry
    fields = ("created_at", "kind", "amount", "reason", "ref", "actor_label")
    readonly_fields = fields


class SignatureInline(ReadOnlyInline):
    model = AgreementSignature
    fields = ("version", "signer", "signed_at", "ip_address", "user_agent")
    readonly_fields = fields


STORE_FIELDS = (
    "name",
    "store_type",
    "enterprise_kind",
    "main_category",
    "brand_name",
    "company_name",
    "credit_code",
    "contact_name",
    "contact_phone",
    "status",
    "status_reason",
    "created_at",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "opened_at",
    "closed_at",
)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "store_type", "enterprise_kind", "main_category", "status", "submitted_at", "opened_at")
    list_filter = ("status", "store_type", "enterprise_kind", "main_category")
    search_fields = (
        "name",
        "company_name",
        "credit_code",
        "contact_name",
        "contact_phone",
        "memberships__user__username",
    )
    list_select_related = ("main_category",)
    date_hierarchy = "created_at"
    fields = (*STORE_FIELDS, "deposit", "timeline")
    readonly_fields = fields
    inlines = [DocumentInline, DepositEntryInline, SignatureInline]
    actions = ["approve_selected", "reinstate_selected"]
    change_form_template = "shop/stores/admin_change_form.html"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # stores are created by merchants through onboarding

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # stores close; they are never deleted

    @admin.display(description=gettext_lazy("保证金"))
    def deposit(self, obj: Store) -> str:
        summary = selectors.deposit_summary(obj)
        return format_html(
            "{} ¥{:.2f} · {} ¥{:.2f} · {} {}",
            _("余额"),
            summary.balance / 100,
            _("冻结"),
            summary.frozen / 100,
            _("应缴"),
            f"¥{summary.required / 100:.2f}" if summary.required is not None else "—",
        )

    @admin.display(description=gettext_lazy("操作记录"))
    def timeline(self, obj: Store) -> str:
        return timeline_html(obj)

    # Custom staff views ------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/review/", view(self.review_view), name="shop_store_review"),
            path("<path:object_id>/suspend/", view(self.suspend_view), name="shop_store_suspend"),
            path("<path:object_id>/close/", view(self.close_view), name="shop_store_close"),
            path("<path:object_id>/refund/approve/", view(self.refund_approve_view), name="shop_store_refund_approve"),
            path("<path:object_id>/refund/reject/", view(self.refund_reject_view), name="shop_store_refund_reject"),
            path("<path:object_id>/refund/reopen/", view(self.refund_reopen_view), name="shop_store_refund_reopen"),
            path("<path:object_id>/transfer/", view(self.transfer_view), name="shop_store_transfer"),
            path(
                "<path:object_id>/documents/<int:document_id>/file/",
                view(self.document_file_view),
                name="shop_store_document_file",
            ),
            *super().get_urls(),
        ]

    def _store(self, request: HttpRequest, object_id: str, perm: str) -> Store:
        if not request.user.has_perm(perm):
            raise PermissionDenied
        return get_object_or_404(Store, pk=object_id)

    def _page(self, request: HttpRequest, store: Store, template: str, **context) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": store,
            "store": store,
            "title": context.pop("title"),
            **context,
        }
        return render(request, template, context, status=context.pop("status", 200))

    def _done(self, request: HttpRequest, store: Store, message: str) -> HttpResponse:
        messages.success(request, message)
        return redirect("admin:shop_store_change", store.pk)

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        store = self._store(request, object_id, "shop.review_store")
        documents = list(selectors.current_documents(store))
        form = ReviewForm(request.POST or None, documents=documents)
        if request.method == "POST" and form.is_valid():
            try:
                check_action(store, request.user, "review")
                if form.cleaned_data["decision"] == "approve":
                    services.store_approve(store=store, by=Actor.staff(request.user), note=form.cleaned_data["note"])
                    return self._done(request, store, _("已通过“%(name)s”的开店申请。") % {"name": store.name})
                services.store_reject(
                    store=store, reasons=form.reasons(), by=Actor.staff(request.user), note=form.cleaned_data["note"]
                )
                return self._done(request, store, _("已驳回“%(name)s”的开店申请。") % {"name": store.name})
            except DomainError as exc:
                form.add_error(None, exc.message)
        rows = [(d, form[f"reason_{d.kind}"], document_preview(d)) for d in documents]
        return self._page(
            request,
            store,
            "shop/stores/admin_review.html",
            title=_("审核开店申请：%(name)s") % {"name": store.name},
            form=form,
            rows=rows,
            missing=services.missing_documents(store),
            expected_review=selectors.expected_review_date(store),
            can_review="review" in store_actions(store, request.user),
            status=400 if request.method == "POST" else 200,
        )

    def _reason_view(self, request, object_id, *, perm, action, service, title, done) -> HttpResponse:
        store = self._store(request, object_id, perm)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                check_action(store, request.user, action)
                service(store=store, reason=form.cleaned_data["reason"], by=Actor.staff(request.user))
                return self._done(request, store, done)
            except DomainError as exc:
                form.add_error(None, exc.message)
        status = 400 if request.method == "POST" else 200
        return self._page(request, store, "shop/stores/admin_form.html", title=title, form=form, status=status)

    def suspend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(
            request,
            object_id,
            perm="shop.suspend_store",
            action="suspend",
            service=services.store_suspend,
            title=_("暂停店铺"),
            done=_("店铺已暂停。"),
        )

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(
            request,
            object_id,
            perm="shop.settle_deposit",
            action="close",
            service=services.store_close,
            title=_("关闭店铺并申请退还保证金"),
            done=_("店铺关店中，保证金退还申请已提交财务审核。"),
        )

    def refund_approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(
            request,
            object_id,
            perm="shop.settle_deposit",
            action="approve_refund",
            service=deposit_services.deposit_refund_approve,
            title=_("同意退还保证金"),
            done=_("保证金已退还，店铺已关闭。"),
        )

    def refund_reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(
            request,
            object_id,
            perm="shop.settle_deposit",
            action="reject_refund",
            service=deposit_services.deposit_refund_reject,
            title=_("驳回保证金退还申请"),
            done=_("已驳回保证金退还申请。"),
        )

    def refund_reopen_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._reason_view(
            request,
            object_id,
            perm="shop.settle_deposit",
            action="reopen_refund",
            service=deposit_services.deposit_refund_reopen,
            title=_("重新申请退还保证金"),
            done=_("保证金退还申请已重新提交财务审核。"),
        )

    def transfer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        store = self._store(request, object_id, "shop.settle_deposit")
        form = TransferForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                check_action(store, request.user, "transfer")
                deposit_services.deposit_record_transfer(
                    store=store,
                    amount=form.amount_fen,
                    ref=form.cleaned_data["ref"],
                    reason=form.cleaned_data["reason"],
                    by=Actor.staff(request.user),
                )
                return self._done(request, store, _("已记录线下转账。"))
            except DomainError as exc:
                form.add_error(None, exc.message)
        status = 400 if request.method == "POST" else 200
        return self._page(
            request, store, "shop/stores/admin_form.html", title=_("记录保证金线下转账"), form=form, status=status
        )

    def document_file_view(self, request: HttpRequest, object_id: str, document_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _file_response(get_object_or_404(StoreDocument, pk=document_id, store_id=object_id))

    # Bulk actions -------------------------------------------------------------------------------

    def _bulk(self, request, queryset, service, done: str) -> None:
        ok = 0
        for store in queryset:
            try:
                service(store=store, by=Actor.staff(request.user))
                ok += 1
            except DomainError as exc:
                self.message_user(request, f"{store.name}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("通过所选开店申请"), permissions=["review"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, services.store_approve, _("已通过 %(n)d 个申请。"))

    @admin.action(description=gettext_lazy("恢复所选店铺营业"), permissions=["suspend"])
    def reinstate_selected(self, request, queryset):
        self._bulk(request, queryset, services.store_reinstate, _("已恢复 %(n)d 个店铺。"))

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("shop.review_store")

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm("shop.suspend_store")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        store = get_object_or_404(Store, pk=object_id)
        actions = store_actions(store, request.user)  # the state machine and the staff member's permissions
        refund = selectors.latest_deposit_refund(store)
        refund_actions = available_actions(refund, request.user) if refund is not None else frozenset()
        extra_context = {
            **(extra_context or {}),
            "can_review": "review" in actions,
            "can_suspend": "suspend" in actions,
            "can_close": "close" in actions,
            # the store's refund actions, narrowed by the latest request's own state machine: a pending request can
            # be approved or rejected; a decided one on a store still closing (so: rejected) can be reopened
            "can_decide_refund": "approve_refund" in actions and "approve" in refund_actions,
            "can_reopen_refund": "reopen_refund" in actions and refund is not None and not refund_actions,
            "deposit_refund": refund,
            "can_transfer": "transfer" in actions,
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(StoreApplication)
class StoreApplicationAdmin(StoreAdmin):
    """The review queue: submitted applications, oldest first, with the expected review date."""

    list_display = (
        "name",
        "store_type",
        "enterprise_kind",
        "main_category",
        "submitted_at",
        "expected_review",
        "review_link",
    )
    list_filter = ("store_type", "enterprise_kind", "main_category")
    ordering = ("submitted_at",)
    actions = ["approve_selected"]
    date_hierarchy = None

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=StoreStatus.SUBMITTED)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)

    @admin.display(description=gettext_lazy("预计审核完成"))
    def expected_review(self, obj: Store) -> str:
        expected = selectors.expected_review_date(obj)
        if expected is None:
            return "—"
        overdue = expected < timezone.localdate()
        return format_html('<span class="{}">{}</span>', "review-overdue" if overdue else "", expected)

    @admin.display(description=gettext_lazy("审核"))
    def review_link(self, obj: Store) -> str:
        return format_html(
            '<a class="button" href="{}">{}</a>', reverse("admin:shop_store_review", args=[obj.pk]), _("审核")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:shop_store_review", object_id)


@admin.register(StoreDocument)
class StoreDocumentAdmin(admin.ModelAdmin):
    list_display = ("store", "kind", "status", "review_reason", "content_type", "size", "uploaded_at")
    list_filter = ("status", "kind", "content_type")
    search_fields = ("store__name", "original_name", "review_reason")
    list_select_related = ("store",)
    fields = (
        "store",
        "kind",
        "status",
        "review_reason",
        "preview",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("预览"))
    def preview(self, obj: StoreDocument) -> str:
        return document_preview(obj)


@admin.register(DepositRule)
class DepositRuleAdmin(AuditedEditsMixin, admin.ModelAdmin):
    list_display = ("store_type", "enterprise_kind", "category", "amount_yuan", "is_active", "note")
    list_filter = ("store_type", "enterprise_kind", "is_active", "category")
    search_fields = ("note", "category__name")
    list_select_related = ("category",)

    @admin.display(description=gettext_lazy("保证金（元）"), ordering="amount")
    def amount_yuan(self, obj: DepositRule) -> str:
        return f"¥{obj.amount / 100:,.2f}"


@admin.register(DepositEntry)
class DepositEntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: entries come from services (payments, transfers, penalties, refunds)."""

    list_display = ("created_at", "store", "kind", "amount", "reason", "ref", "actor_label")
    list_filter = (StoreFilter, "kind")
    search_fields = ("ref__exact",)
    list_select_related = ("store",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "effective_at")
    search_fields = ("version", "title")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # signatures refer to the versions


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(admin.ModelAdmin):
    list_display = ("store", "version", "signer", "signed_at", "ip_address")
    list_filter = ("version",)
    search_fields = ("store__name", "signer__username", "ip_address")
    list_select_related = ("store", "version", "signer")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
