"""Staff screens of the outbound webhooks: endpoints, deliveries with their attempt log, replay."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.actors import Actor
from portal.exceptions import DomainError

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import webhook_delivery_replay, webhook_endpoint_set_active


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "store", "active", "failure_streak", "disabled_at", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "store__name")
    list_select_related = ("store",)
    readonly_fields = ("store", "secret", "failure_streak", "disabled_at", "created_by", "created_at", "active")
    actions = ["enable", "disable"]

    @admin.action(description=_("启用所选地址"), permissions=["change"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_set_active(endpoint=endpoint, active=True, by=Actor.staff(request.user))

    @admin.action(description=_("停用所选地址"), permissions=["change"])
    def disable(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_set_active(endpoint=endpoint, active=False, by=Actor.staff(request.user))


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "attempted_at", "status_code", "duration_ms", "error")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "endpoint", "status", "attempts", "last_status_code", "next_retry_at", "created_at")
    list_filter = ("status", "event__type")
    search_fields = ("endpoint__url", "endpoint__store__name", "event__id")
    list_select_related = ("event", "endpoint")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("重新发送所选投递"), permissions=["change"])
    def replay(self, request, queryset):
        for delivery in queryset.select_related("endpoint"):
            try:
                webhook_delivery_replay(delivery=delivery, by=Actor.staff(request.user))
            except DomainError as exc:
                self.message_user(request, f"#{delivery.pk}: {exc.message}", messages.ERROR)
