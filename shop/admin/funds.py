"""Admin: funds. Finance staff see the settlement ledger and correct it with adjustment entries."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.admin_scale import LargeTableAdmin, StoreFilter
from portal.bounds import BIGINT_MAX
from shop.models import PayoutEntry, Withdrawal
from shop.models.funds import PayoutBucket
from shop.services.funds import payout_adjust, withdrawal_pay, withdrawal_reject


class AdjustmentForm(forms.ModelForm):
    """The only way to add a line in the admin: an adjustment, written by the service."""

    bucket = forms.ChoiceField(label=_("账户"), choices=PayoutBucket.choices)
    amount = forms.IntegerField(
        label=_("金额（分）"), help_text=_("正数入账，负数扣减"), min_value=-BIGINT_MAX, max_value=BIGINT_MAX
    )

    class Meta:
        model = PayoutEntry
        fields = ("store", "bucket", "amount", "reason", "corrects")

    def clean(self):
        data = super().clean()
        if data.get("amount") == 0:
            self.add_error("amount", _("金额不能为 0。"))
        if not (data.get("reason") or "").strip():
            self.add_error("reason", _("请填写调账原因。"))
        corrects, store = data.get("corrects"), data.get("store")
        if corrects is not None and store is not None and corrects.store_id != store.pk:
            self.add_error("corrects", _("只能更正本店铺的流水。"))
        return data


@admin.register(PayoutEntry)
class PayoutEntryAdmin(LargeTableAdmin):
    list_display = ("created_at", "store", "kind", "bucket", "amount", "ref_type", "ref_label", "actor_label")
    list_filter = (StoreFilter, "kind", "bucket", "ref_type")
    search_fields = ("ref_label__exact", "ref_id__exact")
    list_select_related = ("store",)
    raw_id_fields = ("store", "corrects")
    form = AdjustmentForm

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PayoutEntry._meta.fields] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        entry = payout_adjust(
            store=data["store"],
            bucket=data["bucket"],
            amount=data["amount"],
            reason=data["reason"],
            corrects=data.get("corrects"),
            by=Actor.staff(request.user),
        )
        obj.pk = entry.pk


class WithdrawalActionForm(ActionForm):
    reason = forms.CharField(label=_("退回原因"), max_length=200, required=False)


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    """Finance's queue of merchants' withdrawals: pay them, or send them back with a reason."""

    list_display = ("created_at", "store", "amount_yuan", "account", "status", "decided_by", "decided_at", "reason")
    list_filter = ("status",)
    search_fields = ("store__name", "=account")
    list_select_related = ("store", "decided_by")
    readonly_fields = [f.name for f in Withdrawal._meta.fields]
    show_full_result_count = False
    action_form = WithdrawalActionForm
    actions = ["pay", "reject"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("金额（元）"), ordering="amount")
    def amount_yuan(self, obj) -> str:
        return f"{obj.amount / 100:.2f}"

    @admin.action(description=_("已打款"), permissions=["change"])
    def pay(self, request, queryset):
        run_on_each(
            self, request, queryset,
            lambda w: withdrawal_pay(withdrawal=w, by=Actor.staff(request.user)),
            action="pay", done_message=_("%(n)d 笔提现已标记打款。"),
        )  # fmt: skip

    @admin.action(description=_("退回（填写退回原因）"), permissions=["change"])
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "")
        run_on_each(
            self, request, queryset,
            lambda w: withdrawal_reject(withdrawal=w, reason=reason, by=Actor.staff(request.user)),
            action="reject", done_message=_("%(n)d 笔提现已退回，金额已回到可提现货款。"), with_fields=True,
        )  # fmt: skip
