from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_scale import LargeTableAdmin, StoreFilter
from .models import ApiKey, AuditEntry, Event, Membership, Notification, Payment, Refund, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible to staff, never edited or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("store",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Contact", {"fields": ("phone", "sms_quiet_start", "sms_quiet_end")}))
    list_display = ("username", "email", "phone", "is_staff", "is_active")
    inlines = [MembershipInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "content_type", "object_repr", "transition", "from_state", "to_state")
    list_filter = ("content_type", "transition", "to_state")
    search_fields = ("object_repr", "actor_label", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "type", "store")
    list_filter = ("type",)
    search_fields = ("store__name",)
    list_select_related = ("store",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "store", "kind", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind",)
    search_fields = ("name", "prefix", "store__name")
    readonly_fields = ("prefix", "hashed_key", "created_at", "last_used_at")
    list_select_related = ("store",)


from .webhooks import admin as webhooks_admin  # noqa: E402, F401  registers the webhook screens


class _ReadOnlyLargeTable(LargeTableAdmin, ReadOnlyAdmin):
    pass


@admin.register(Payment)
class PaymentAdmin(_ReadOnlyLargeTable):
    """Payments are written by the payment services only (checkout, signed callback)."""

    list_display = ("created_at", "purpose", "reference", "store", "amount", "provider", "status", "paid_at")
    list_filter = (StoreFilter, "status")
    search_fields = ("reference__exact", "provider_txn__exact")
    list_select_related = ("store",)


@admin.register(Refund)
class RefundAdmin(_ReadOnlyLargeTable):
    list_display = ("created_at", "reference", "store", "amount", "status", "succeeded_at", "failure_reason")
    list_filter = (StoreFilter, "status")
    search_fields = ("reference__exact", "provider_ref__exact")
    list_select_related = ("store",)
