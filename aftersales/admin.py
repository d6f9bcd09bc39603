"""Staff screens: interventions (decide with evidence and timeline), complaints, review moderation."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.admin_scale import LargeTableAdmin, StoreFilter, choices_filter
from portal.audit import timeline_html

from . import services
from .models import AftersalesRequest, Complaint, Decision, DsrSnapshot, Evidence, Review


def _fen(value: str) -> int:
    try:
        return int(Decimal(value or "0") * 100)
    except InvalidOperation:
        return -1


def _run(modeladmin, request, queryset, call, action: str | None = None) -> None:
    """`call` on each selected row offering `action` (portal.admin_actions); refusals reported by row."""
    run_on_each(
        modeladmin, request, queryset, call, action=action, done_message=_("已处理 %(n)d 条。"), with_fields=True
    )


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ("side", "preview", "note", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("图片"))
    def preview(self, obj):
        return format_html('<a href="{0}" target="_blank"><img src="{0}" class="thumb-80" alt=""></a>', obj.image.url)


class DecisionActionForm(ActionForm):
    note = forms.CharField(label=_("裁决说明"), required=False, max_length=500)
    amount_yuan = forms.CharField(label=_("部分退款（元）"), required=False, max_length=12)
    deposit_yuan = forms.CharField(label=_("扣保证金（元）"), required=False, max_length=12)


@admin.register(AftersalesRequest)
class AftersalesRequestAdmin(LargeTableAdmin):
    list_display = ("request_sn", "store", "order", "type", "amount", "status", "deadline_at", "decision", "created_at")
    list_filter = (StoreFilter, "status", "type", "reason", "decision")
    search_fields = ("request_sn__startswith", "order__order_sn__exact", "buyer_ref__exact")
    list_select_related = ("store", "order")
    inlines = [EvidenceInline]
    action_form = DecisionActionForm
    actions = ["decide_full_refund", "decide_partial_refund", "decide_reject"]
    readonly_fields = [f.name for f in AftersalesRequest._meta.fields] + ["platform_status", "timeline"]
    fieldsets = (
        (None, {"fields": ("request_sn", "store", "order", "item", "buyer_ref", "type", "reason", "amount")}),
        (_("买家"), {"fields": ("description", "escalation_reason")}),
        (_("商家"), {"fields": ("merchant_note", "return_address", "return_courier_code", "return_waybill_no",
                               "return_shipped_at", "return_delivered_at", "inspection_note",
                               "ship_courier_code", "ship_waybill_no")}),
        (_("状态"), {"fields": ("status", "platform_status", "deadline_at", "refund", "refunded_amount",
                               "decision", "decision_note", "deposit_deduction", "decided_by", "close_reason")}),
        (_("操作记录"), {"fields": ("timeline",)}),
    )  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("平台状态码"))
    def platform_status(self, obj):
        return f"{obj.platform_status} {obj.get_platform_status_display()}"

    @admin.display(description=_("操作记录"))
    def timeline(self, obj):
        return timeline_html(obj)

    def _decide(self, request, queryset, decision: str) -> None:
        post = request.POST
        amount, deposit = _fen(post.get("amount_yuan", "")), _fen(post.get("deposit_yuan", ""))
        _run(
            self,
            request,
            queryset,
            lambda req: services.aftersales_decide(
                request=req,
                decision=decision,
                amount=amount,
                note=post.get("note", ""),
                deposit_deduction=deposit,
                by=Actor.staff(request.user),
            ),
            action="decide",
        )

    @admin.action(description=_("平台裁决：全额退款"), permissions=["change"])
    def decide_full_refund(self, request, queryset):
        self._decide(request, queryset, Decision.FULL_REFUND)

    @admin.action(description=_("平台裁决：部分退款"), permissions=["change"])
    def decide_partial_refund(self, request, queryset):
        self._decide(request, queryset, Decision.PARTIAL_REFUND)

    @admin.action(description=_("平台裁决：驳回买家"), permissions=["change"])
    def decide_reject(self, request, queryset):
        self._decide(request, queryset, Decision.REJECT)


class NoteActionForm(ActionForm):
    note = forms.CharField(label=_("原因 / 处理结果"), required=False, max_length=500)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("created_at", "store", "category", "buyer_ref", "status", "handled_at")
    list_filter = ("status", "category")
    search_fields = ("store__name", "buyer_ref", "content", "order__order_sn")
    list_select_related = ("store",)
    action_form = NoteActionForm
    actions = ["uphold", "dismiss"]
    readonly_fields = ("status", "resolution", "handled_by", "handled_at", "timeline")
    raw_id_fields = ("store", "order")

    @admin.display(description=_("操作记录"))
    def timeline(self, obj):
        return timeline_html(obj)

    @admin.action(description=_("投诉成立"), permissions=["change"])
    def uphold(self, request, queryset):
        note = request.POST.get("note", "")
        _run(
            self,
            request,
            queryset,
            lambda c: services.complaint_resolve(
                complaint=c, upheld=True, resolution=note, by=Actor.staff(request.user)
            ),
            action="uphold",
        )

    @admin.action(description=_("投诉不成立"), permissions=["change"])
    def dismiss(self, request, queryset):
        note = request.POST.get("note", "")
        _run(
            self,
            request,
            queryset,
            lambda c: services.complaint_resolve(
                complaint=c, upheld=False, resolution=note, by=Actor.staff(request.user)
            ),
            action="dismiss",
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.complaint_file(
                store=obj.store,
                order=obj.order,
                buyer_ref=obj.buyer_ref,
                category=obj.category,
                content=obj.content,
                by=Actor.staff(request.user),
            )


@admin.register(Review)
class ReviewAdmin(LargeTableAdmin):
    """Moderation: staff hide or show a review with a reason; the buyer's words are read-only."""

    list_display = (
        "created_at",
        "store",
        "product",
        "score_description",
        "score_logistics",
        "score_service",
        "is_default",
        "visibility",
    )
    list_filter = (
        StoreFilter,
        "visibility",
        "is_default",
        "has_photos",
        choices_filter("score_description", _("描述相符"), [(str(n), str(n)) for n in range(1, 6)]),
    )
    search_fields = ("order__order_sn__exact", "buyer_ref__exact")
    list_select_related = ("store", "product")
    action_form = NoteActionForm
    actions = ["hide", "unhide"]
    readonly_fields = [f.name for f in Review._meta.fields] + ["timeline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("操作记录"))
    def timeline(self, obj):
        return timeline_html(obj)

    @admin.action(description=_("隐藏（需填写原因）"), permissions=["change"])
    def hide(self, request, queryset):
        note = request.POST.get("note", "")
        _run(
            self,
            request,
            queryset,
            lambda r: services.review_hide(review=r, reason=note, by=Actor.staff(request.user)),
            action="hide",
        )

    @admin.action(description=_("恢复显示"), permissions=["change"])
    def unhide(self, request, queryset):
        _run(
            self, request, queryset, lambda r: services.review_unhide(review=r, by=Actor.staff(request.user)), "unhide"
        )


@admin.register(DsrSnapshot)
class DsrSnapshotAdmin(admin.ModelAdmin):
    list_display = ("day", "store", "description", "logistics", "service", "review_count")
    list_filter = ("day",)
    search_fields = ("store__name",)
    list_select_related = ("store",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
