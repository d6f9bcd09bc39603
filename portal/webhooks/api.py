"""API for integrations (scope "webhooks"): manage the store's endpoints, read deliveries, replay."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import merchant_actor
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import request_store
from portal.api.routing import route
from portal.events import EVENT_TYPES
from portal.models import ApiKey

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import webhook_delivery_replay, webhook_endpoint_create

SCOPE = ApiKey.Scope.WEBHOOKS


class EndpointIn(serializers.Serializer):
    url = serializers.CharField(max_length=300)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENT_TYPES)), min_length=1)


class EndpointOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ("id", "url", "event_types", "active", "failure_streak", "disabled_at", "created_at")


class EndpointCreatedOut(EndpointOut):
    class Meta(EndpointOut.Meta):
        fields = (*EndpointOut.Meta.fields, "secret")


class AttemptOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("number", "attempted_at", "status_code", "duration_ms", "error")


class DeliveryOut(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type")
    attempt_log = AttemptOut(many=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "endpoint",
            "event",
            "event_type",
            "replay_of",
            "status",
            "attempts",
            "last_status_code",
            "next_retry_at",
            "created_at",
            "finished_at",
            "attempt_log",
        )


class EndpointListView(ListAPIView):
    """The store's webhook endpoints."""

    required_scope = SCOPE
    serializer_class = EndpointOut

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(store=request_store(self.request))


class EndpointCreateView(IdempotentMixin, APIView):
    """Subscribe a URL to event types; the answer carries the signing secret."""

    required_scope = SCOPE

    @extend_schema(request=EndpointIn, responses={201: EndpointCreatedOut})
    def post(self, request):
        data = EndpointIn(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(
            store=request_store(request), by=merchant_actor(request), **data.validated_data
        )
        return Response(EndpointCreatedOut(endpoint).data, status=status.HTTP_201_CREATED)


class DeliveryListView(ListAPIView):
    """Deliveries of the store's endpoints, newest first, each with its attempt log."""

    required_scope = SCOPE
    serializer_class = DeliveryOut

    def get_queryset(self):
        return (
            WebhookDelivery.objects.filter(endpoint__store=request_store(self.request))
            .select_related("event")
            .prefetch_related("attempt_log")
        )


class DeliveryReplayView(IdempotentMixin, APIView):
    """Send a delivery's event again, as a new delivery."""

    required_scope = SCOPE

    @extend_schema(request=None, responses={202: DeliveryOut})
    def post(self, request, pk: int):
        delivery = get_object_or_404(
            WebhookDelivery.objects.select_related("endpoint"), pk=pk, endpoint__store=request_store(request)
        )
        replay = webhook_delivery_replay(delivery=delivery, by=merchant_actor(request))
        replay = WebhookDelivery.objects.select_related("event").prefetch_related("attempt_log").get(pk=replay.pk)
        return Response(DeliveryOut(replay).data, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("webhooks/endpoints/", route(EndpointListView, EndpointCreateView).as_view(), name="api-webhook-endpoints"),
    path("webhooks/deliveries/", DeliveryListView.as_view(), name="api-webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/replay/", DeliveryReplayView.as_view(), name="api-webhook-delivery-replay"),
]
