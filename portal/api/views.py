"""API endpoints of the shared portal: the caller's notification inbox."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import Notification
from portal.notifications import mark_read

from .idempotency import IdempotentMixin
from .permissions import AuthenticatedOnly


class NotificationOut(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at")


class MarkReadIn(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)


class NotificationListView(ListAPIView):
    """The authenticated user's notifications, newest first."""

    serializer_class = NotificationOut
    permission_classes = [AuthenticatedOnly]

    def get_queryset(self):
        return Notification.objects.filter(user_id=getattr(self.request.user, "pk", None))


class NotificationMarkReadView(IdempotentMixin, APIView):
    """Mark some (ids) or all notifications read; answers how many changed."""

    permission_classes = [AuthenticatedOnly]
    serializer_class = MarkReadIn

    def post(self, request):
        data = MarkReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        changed = mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked_read": changed})
