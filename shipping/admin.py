"""Staff screens: couriers (data), addresses, bookings, shipments with their tracking, tickets, receipts."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.admin_actions import run_on_each
from portal.admin_scale import LargeTableAdmin, StoreFilter
from portal.audit import AuditedEditsMixin

from . import services
from .models import (
    Booking,
    Courier,
    CourierAccount,
    CourierMessage,
    PlatformTicket,
    SandboxParcel,
    SenderAddress,
    Shipment,
    ShipmentFee,
    TrackingEvent,
    WebhookReceipt,
)


def _run(modeladmin, request, queryset, func, done: str, action: str | None = None) -> None:
    """`func` on each selected row offering `action` (portal.admin_actions); refusals reported by row."""
    run_on_each(modeladmin, request, queryset, func, action=action, done_message=f"{done}: %(n)d")


@admin.register(Courier)
class CourierAdmin(AuditedEditsMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "platform_id",
        "service_level",
        "adapter",
        "kuaidi100_code",
        "pushes_webhooks",
        "sandbox_scenario",
        "is_active",
    )
    list_filter = ("is_active", "adapter", "pushes_webhooks", "sandbox_scenario")
    search_fields = ("name", "code")
    list_editable = ("sandbox_scenario", "is_active")


@admin.register(SenderAddress)
class SenderAddressAdmin(admin.ModelAdmin):
    list_display = ("label", "store", "contact_name", "province", "city", "is_default")
    list_filter = ("province", "is_default")
    search_fields = ("label", "store__name", "contact_name", "phone")
    raw_id_fields = ("store",)


class ShipmentInline(admin.TabularInline):
    model = Shipment
    fk_name = "booking"
    fields = (
        "order",
        "status",
        "waybill_no",
        "parcel_code",
        "recipient_name",
        "province",
        "predicted_price",
        "real_price",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("booking_no", "store", "courier", "pickup_date", "pickup_slot", "created_at", "dispatched_at")
    list_filter = ("courier", "scenario")
    search_fields = ("booking_no", "store__name")
    readonly_fields = ("store", "booking_no", "courier", "sender", "rebooked_from", "created_by", "dispatched_at")
    date_hierarchy = "created_at"
    inlines = [ShipmentInline]
    actions = ["cancel_waiting"]

    @admin.action(description=_("取消未揽收的包裹"), permissions=["change"])
    def cancel_waiting(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda b: services.booking_cancel(booking=b, by=Actor.staff(request.user)),
            "cancelled",
        )


class ShipmentFeeInline(admin.TabularInline):
    model = ShipmentFee
    extra = 0
    can_delete = False
    fields = ("carrier_status", "fee_type", "description", "amount", "weight_g", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    fields = ("occurred_at", "action", "description", "node")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Shipment)
class ShipmentAdmin(LargeTableAdmin):
    list_display = (
        "waybill_no",
        "store",
        "courier",
        "order",
        "status",
        "confirm_overdue",
        "pickup_overdue",
        "lost",
        "created_at",
    )
    list_filter = (StoreFilter, "status", "courier", "confirm_overdue", "pickup_overdue", "lost")
    search_fields = ("waybill_no__exact", "order__order_sn__exact", "booking__booking_no__exact")
    list_select_related = ("store", "courier", "order")
    readonly_fields = (
        "status",
        "store",
        "booking",
        "order",
        "courier",
        "replaced_by",
        "confirm_overdue",
        "pickup_overdue",
        "lost",
    )
    raw_id_fields = ()
    inlines = [TrackingEventInline, ShipmentFeeInline]
    actions = ["cancel"]

    @admin.action(description=_("取消下单（未称重）"), permissions=["change"])
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda s: services.shipment_cancel(shipment=s, by=Actor.staff(request.user), reason="staff"),
            "cancelled",
            action="staff_cancel",
        )


@admin.register(PlatformTicket)
class PlatformTicketAdmin(admin.ModelAdmin):
    list_display = ("__str__", "store", "kind", "status", "created_at", "resolved_at")
    list_filter = ("status", "kind")
    search_fields = ("shipment__waybill_no", "store__name", "description")
    readonly_fields = ("status", "store", "shipment", "kind", "description", "created_by", "resolved_at")
    fields = ("store", "shipment", "kind", "description", "status", "resolution", "created_by", "resolved_at")
    actions = ["resolve"]

    @admin.action(description=_("标记为已处理（使用填写的处理结果）"), permissions=["change"])
    def resolve(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda t: services.ticket_resolve(
                ticket=t, resolution=t.resolution or str(_("平台已处理")), by=Actor.staff(request.user)
            ),
            "resolved",
            action="resolve",
        )


@admin.register(CourierMessage)
class CourierMessageAdmin(admin.ModelAdmin):
    list_display = ("shipment", "store", "topic", "sender", "created_at", "answered_at")
    list_filter = ("topic", "sender")
    search_fields = ("shipment__waybill_no", "body")
    readonly_fields = ("shipment", "store", "author")


@admin.register(TrackingEvent)
class TrackingEventAdmin(LargeTableAdmin):
    list_display = ("waybill_no", "courier_code", "action", "occurred_at", "node")
    list_filter = ("action",)
    search_fields = ("waybill_no__exact",)
    readonly_fields = ("shipment",)


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(admin.ModelAdmin):
    list_display = ("courier_code", "message_id", "received_at")
    list_filter = ("courier_code",)
    search_fields = ("message_id",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SandboxParcel)
class SandboxParcelAdmin(admin.ModelAdmin):
    list_display = ("waybill_no", "courier_code", "scenario", "stage", "next_at")
    list_filter = ("courier_code", "scenario", "stage")
    search_fields = ("waybill_no", "booking_no", "order_ref")


@admin.register(CourierAccount)
class CourierAccountAdmin(admin.ModelAdmin):
    """Which stores book through which courier account (never the secrets: they are not fields here)."""

    list_display = ("store", "provider", "environment", "masked_key", "courier_list", "is_active", "verified_at")
    list_filter = ("provider", "environment", "is_active")
    search_fields = ("store__name", "key_hint", "public_id")
    fields = (
        "store",
        "provider",
        "environment",
        "masked_key",
        "couriers",
        "is_active",
        "verified_at",
        "last_error",
        "public_id",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store").prefetch_related("couriers")

    @admin.display(description=_("授权 key"))
    def masked_key(self, obj) -> str:
        return obj.masked_key

    @admin.display(description=_("快递"))
    def courier_list(self, obj) -> str:
        return "、".join(c.name for c in obj.couriers.all())

    def has_add_permission(self, request) -> bool:
        return False  # merchants connect their own accounts on 发货中心 → 快递账号

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
