"""Admin: orders, group buys and compensations. Status is read-only; transitions are actions calling services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.admin_scale import LargeTableAdmin, ProvinceFilter, StoreFilter, choices_filter
from portal.audit import timeline_html
from shop.models import Compensation, GroupBuy, Order, OrderItem
from shop.services import orders as services


def _run(modeladmin, request, queryset, action, done_message, *, name: str) -> None:
    """Apply a service to each selected object offering the action `name`; report successes and refusals."""
    run_on_each(modeladmin, request, queryset, action, action=name, done_message=done_message)


class AuditTimelineMixin:
    @admin.display(description=_("操作记录"))
    def audit_timeline(self, obj) -> str:
        return timeline_html(obj)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ("sku", "product_title", "sku_spec", "quantity", "unit_price", "discount", "paid_amount")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(AuditTimelineMixin, LargeTableAdmin):
    list_display = ("order_sn", "store", "status", "buy_mode", "paid_amount", "risk_hold", "ship_by", "created_at")
    # Fixed choices only: a filter on a plain column would SELECT DISTINCT over millions of orders.
    list_filter = (
        StoreFilter,
        "status",
        "buy_mode",
        "risk_hold",
        choices_filter(
            "shipped_via",
            _("发货方式"),
            [("self", _("自己发货")), ("booking", _("在线下单")), ("none", _("无需物流发货"))],
        ),
        ProvinceFilter,
        "created_at",
    )
    # Case-sensitive prefix / exact lookups, each served by an index (no icontains over the table).
    search_fields = (
        "order_sn__startswith",
        "recipient_phone__exact",
        "waybill_no__exact",
        "buyer_ref__exact",
        "recipient_name__exact",
    )
    list_select_related = ("store",)
    inlines = [OrderItemInline]
    actions = ["hold_for_risk", "release_risk_hold", "cancel_and_refund", "mark_delivered", "confirm_receipt"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields] + ["audit_timeline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("风控审核：暂停发货"), permissions=["change"])
    def hold_for_risk(self, request, queryset):
        _run(
            self, request, queryset,
            lambda o: services.order_set_risk_hold(order=o, hold=True, reason=_("平台风控审核"), by=Actor.staff(request.user)),
            _("%(n)d 个订单已进入风控审核。"), name="hold_for_risk",
        )  # fmt: skip

    @admin.action(description=_("解除风控"), permissions=["change"])
    def release_risk_hold(self, request, queryset):
        _run(
            self, request, queryset,
            lambda o: services.order_set_risk_hold(order=o, hold=False, reason=_("风控审核通过"), by=Actor.staff(request.user)),
            _("%(n)d 个订单已解除风控。"), name="release_risk_hold",
        )  # fmt: skip

    @admin.action(description=_("取消订单并退款（平台介入）"), permissions=["change"])
    def cancel_and_refund(self, request, queryset):
        _run(
            self, request, queryset,
            lambda o: services.order_cancel(order=o, reason=_("平台取消"), by=Actor.staff(request.user)),
            _("%(n)d 个订单已取消。"), name="cancel_and_refund",
        )  # fmt: skip

    @admin.action(description=_("标记已签收"), permissions=["change"])
    def mark_delivered(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_deliver(order=o, by=Actor.staff(request.user)),
            _("%(n)d 个订单已签收。"),
            name="mark_delivered",
        )

    @admin.action(description=_("确认收货（完成）"), permissions=["change"])
    def confirm_receipt(self, request, queryset):
        _run(
            self, request, queryset,
            lambda o: services.order_confirm_receipt(order=o, by=Actor.staff(request.user), reason=_("平台确认收货")),
            _("%(n)d 个订单已完成。"), name="confirm_receipt",
        )  # fmt: skip


@admin.register(GroupBuy)
class GroupBuyAdmin(AuditTimelineMixin, admin.ModelAdmin):
    list_display = ("pk", "store", "product", "leader_ref", "size", "status", "expires_at")
    list_filter = ("status",)
    search_fields = ("leader_ref", "product__title", "store__name")
    list_select_related = ("store", "product")
    actions = ["fail_group"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in GroupBuy._meta.fields] + ["audit_timeline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("结束拼团（失败并退款）"), permissions=["change"])
    def fail_group(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda g: services.group_fail(group=g, by=Actor.staff(request.user)),
            _("%(n)d 个拼团已结束。"),
            name="fail_group",
        )


@admin.register(Compensation)
class CompensationAdmin(AuditTimelineMixin, LargeTableAdmin):
    list_display = ("order", "store", "kind", "amount", "status", "created_at")
    list_filter = (StoreFilter, "kind", "status")
    search_fields = ("order__order_sn__exact", "buyer_ref__exact")
    list_select_related = ("order", "store")
    actions = ["settle", "waive"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Compensation._meta.fields] + ["audit_timeline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("从保证金扣除"), permissions=["change"])
    def settle(self, request, queryset):
        _run(
            self, request, queryset,
            lambda c: services.compensation_settle(compensation=c, by=Actor.staff(request.user)),
            _("%(n)d 笔赔付已扣除。"), name="settle",
        )  # fmt: skip

    @admin.action(description=_("免除赔付"), permissions=["change"])
    def waive(self, request, queryset):
        _run(
            self, request, queryset,
            lambda c: services.compensation_waive(compensation=c, reason=_("平台免除"), by=Actor.staff(request.user)),
            _("%(n)d 笔赔付已免除。"), name="waive",
        )  # fmt: skip
