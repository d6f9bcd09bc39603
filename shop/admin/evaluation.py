"""Admin: store evaluation rules (configuration), daily evaluations, suspension proposals."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.audit import AuditedEditsMixin
from portal.exceptions import DomainError
from shop.models import EvaluationRule, StoreEvaluation, StoreSanction, SuspensionProposal
from shop.services.evaluation import sanction_lift, suspension_confirm, suspension_dismiss


@admin.register(EvaluationRule)
class EvaluationRuleAdmin(AuditedEditsMixin, admin.ModelAdmin):
    list_display = ("metric", "direction", "threshold", "enabled", "advice")
    list_editable = ("threshold", "enabled")
    list_filter = ("enabled", "direction")
    search_fields = ("metric", "advice")


@admin.register(StoreEvaluation)
class StoreEvaluationAdmin(admin.ModelAdmin):
    list_display = ("day", "store", "passed", "failing")
    list_filter = ("day",)
    search_fields = ("store__name",)
    list_select_related = ("store",)
    readonly_fields = ("store", "day", "metrics", "failing", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(boolean=True, description=_("达标"))
    def passed(self, obj) -> bool:
        return obj.passed


@admin.register(SuspensionProposal)
class SuspensionProposalAdmin(admin.ModelAdmin):
    list_display = ("created_at", "store", "status", "reasons", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("store__name",)
    list_select_related = ("store", "decided_by")
    readonly_fields = ("store", "reasons", "status", "created_at", "decided_at", "decided_by")
    actions = ["confirm", "dismiss"]

    def has_add_permission(self, request) -> bool:
        return False

    def _run(self, request, queryset, call) -> None:
        for proposal in queryset:
            try:
                call(proposal)
            except DomainError as exc:
                self.message_user(request, f"{proposal}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(p)s：已处理。") % {"p": proposal}, messages.SUCCESS)

    @admin.action(description=_("确认暂停店铺（通知商家）"), permissions=["change"])
    def confirm(self, request, queryset):
        self._run(request, queryset, lambda p: suspension_confirm(proposal=p, by=Actor.staff(request.user)))

    @admin.action(description=_("驳回提议"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._run(request, queryset, lambda p: suspension_dismiss(proposal=p, by=Actor.staff(request.user)))


@admin.register(StoreSanction)
class StoreSanctionAdmin(admin.ModelAdmin):
    """Sanctions the evaluation applied for repeated violations; support may lift one early."""

    list_display = ("starts_at", "store", "kind", "ends_at", "in_force", "reasons", "lifted_by", "lifted_at")
    list_filter = ("kind",)
    search_fields = ("store__name",)
    list_select_related = ("store", "lifted_by")
    readonly_fields = [f.name for f in StoreSanction._meta.fields]
    actions = ["lift"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(boolean=True, description=_("生效中"))
    def in_force(self, obj) -> bool:
        return obj.is_active

    @admin.action(description=_("解除处罚（通知商家）"), permissions=["change"])
    def lift(self, request, queryset):
        run_on_each(
            self, request, queryset,
            lambda s: sanction_lift(sanction=s, reason=str(_("平台人工解除")), by=Actor.staff(request.user)),
            done_message=_("已解除 %(n)d 项处罚。"),
        )  # fmt: skip
