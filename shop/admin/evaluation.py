"""Admin: store evaluation rules (configuration), daily evaluations, suspension proposals."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.audit import AuditedEditsMixin
from portal.exceptions import DomainError
from shop.models import EvaluationRule, StoreEvaluation, SuspensionProposal
from shop.services.evaluation import suspension_confirm, suspension_dismiss


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

    @admin.action(description=_("确认暂停店铺（通知商家）"))
    def confirm(self, request, queryset):
        self._run(request, queryset, lambda p: suspension_confirm(proposal=p, by=request.user))

    @admin.action(description=_("驳回提议"))
    def dismiss(self, request, queryset):
        self._run(request, queryset, lambda p: suspension_dismiss(proposal=p, by=request.user))
