"""Merchant pages of the outbound webhooks (settings area, store owner only)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import FormView, View

from portal.actors import merchant_actor
from portal.exceptions import DomainError
from portal.tenancy import MerchantMixin

from .forms import WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint
from .services import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
)


def attach_errors(form, exc: DomainError):
    """Put a service's field errors on the form (unknown fields become form errors)."""
    for field, errors in (exc.fields or {None: [exc.message]}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    return form


class OwnerPage(MerchantMixin):
    owner_only = True

    def endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(WebhookEndpoint, pk=self.kwargs["pk"], store=self.store)


class WebhookListView(OwnerPage, FormView):
    template_name = "portal/webhooks/list.html"
    form_class = WebhookEndpointForm

    def get_context_data(self, **kwargs):
        endpoints = WebhookEndpoint.objects.filter(store=self.store)
        return super().get_context_data(endpoints=endpoints, **kwargs)

    def form_valid(self, form):
        try:
            endpoint = webhook_endpoint_create(store=self.store, by=merchant_actor(self.request), **form.cleaned_data)
        except DomainError as exc:
            return self.form_invalid(attach_errors(form, exc))
        messages.success(self.request, _("已添加 Webhook 地址，请保存签名密钥。"))
        return redirect("webhook_detail", endpoint.pk)


class WebhookDetailView(OwnerPage, FormView):
    """The endpoint's settings, its secret and the log of its latest deliveries with every attempt."""

    template_name = "portal/webhooks/detail.html"
    form_class = WebhookEndpointForm

    def get_initial(self):
        endpoint = self.endpoint()
        return {"url": endpoint.url, "event_types": endpoint.event_types}

    def get_context_data(self, **kwargs):
        endpoint = self.endpoint()
        deliveries = (
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related("attempt_log")[:50]
        )
        return super().get_context_data(endpoint=endpoint, deliveries=deliveries, **kwargs)

    def form_valid(self, form):
        try:
            endpoint = webhook_endpoint_update(
                endpoint=self.endpoint(), by=merchant_actor(self.request), **form.cleaned_data
            )
        except DomainError as exc:
            return self.form_invalid(attach_errors(form, exc))
        messages.success(self.request, _("已保存。"))
        return redirect("webhook_detail", endpoint.pk)


class WebhookToggleView(OwnerPage, View):
    def post(self, request, pk):
        endpoint = self.endpoint()
        endpoint = webhook_endpoint_set_active(
            endpoint=endpoint, active=not endpoint.active, by=merchant_actor(request)
        )
        messages.success(request, _("已启用。") if endpoint.active else _("已停用。"))
        return redirect("webhook_detail", endpoint.pk)


class WebhookRotateSecretView(OwnerPage, View):
    def post(self, request, pk):
        endpoint = webhook_endpoint_rotate_secret(endpoint=self.endpoint(), by=merchant_actor(request))
        messages.success(request, _("已生成新的签名密钥，旧密钥立即失效。"))
        return redirect("webhook_detail", endpoint.pk)


class WebhookDeliveryReplayView(OwnerPage, View):
    def post(self, request, pk):
        delivery = get_object_or_404(
            WebhookDelivery.objects.select_related("endpoint"), pk=pk, endpoint__store=self.store
        )
        try:
            webhook_delivery_replay(delivery=delivery, by=merchant_actor(request))
            messages.success(request, _("已重新发送。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("webhook_detail", delivery.endpoint_id)


urlpatterns = [
    path("", WebhookListView.as_view(), name="webhook_list"),
    path("<int:pk>/", WebhookDetailView.as_view(), name="webhook_detail"),
    path("<int:pk>/toggle/", WebhookToggleView.as_view(), name="webhook_toggle"),
    path("<int:pk>/rotate-secret/", WebhookRotateSecretView.as_view(), name="webhook_rotate_secret"),
    path("deliveries/<int:pk>/replay/", WebhookDeliveryReplayView.as_view(), name="webhook_delivery_replay"),
]
