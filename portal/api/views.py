"""API endpoints of the shared portal: the caller's notification inbox."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import ApiKey, Notification
from portal.notifications import inbox, mark_read

from .fields import IdField
from .idempotency import IdempotentMixin
from .permissions import AuthenticatedOnly, request_key, request_store


class NotificationOut(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at")


class MarkReadIn(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), required=False, max_length=500)


def _scope(request) -> dict:
    """The caller's store: an API key's only (its own store), a session's current store and store-less ones."""
    return {"store": request_store(request), "storeless": request_key(request) is None}


class NotificationListView(ListAPIView):
    """The caller's notifications for the store it acts for, newest first."""

    serializer_class = NotificationOut
    permission_classes = [AuthenticatedOnly]
    required_scope = ApiKey.Scope.NOTIFICATIONS

    def get_queryset(self):
        return inbox(user=self.request.user, **_scope(self.request))


class NotificationMarkReadView(IdempotentMixin, APIView):
    """Mark some (ids) or all notifications read; answers how many changed."""

    permission_classes = [AuthenticatedOnly]
    required_scope = ApiKey.Scope.NOTIFICATIONS
    serializer_class = MarkReadIn

    def post(self, request):
        data = MarkReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        changed = mark_read(user=request.user, ids=data.validated_data.get("ids"), **_scope(request))
        return Response({"marked_read": changed})
