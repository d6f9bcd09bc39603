"""Input and output serializers of the after-sales and review API."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from portal.api.fields import AmountField, IdField
from portal.api.filters import Flag
from shipping.waybills import courier_choices

from ..models import (
    AftersalesReason,
    AftersalesRequest,
    AftersalesStatus,
    AftersalesType,
    Complaint,
    ComplaintCategory,
    Evidence,
    PlatformStatus,
    Review,
)
from ..selectors import SCORE_FILTERS


class RequestFiltersIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=AftersalesStatus.choices, required=False)
    order_sn = serializers.CharField(max_length=22, required=False)


class ReviewFiltersIn(serializers.Serializer):
    score = serializers.ChoiceField(choices=list(SCORE_FILTERS), required=False, help_text="good, medium or bad")
    photos = Flag(help_text="1: only reviews with photos")
    unanswered = Flag(help_text="1: only reviews waiting for the merchant's reply")


photos_field = serializers.ListField(child=serializers.FileField(), required=False, max_length=9, allow_empty=True)


class AftersalesBuyerIn(serializers.Serializer):
    buyer_ref = serializers.CharField(max_length=64)


class AftersalesOpenIn(AftersalesBuyerIn):
    order_sn = serializers.CharField(max_length=22)
    item_id = IdField()
    type = serializers.ChoiceField(choices=AftersalesType.choices)
    reason = serializers.ChoiceField(choices=AftersalesReason.choices)
    amount = AmountField(required=False, default=0, help_text="fen")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    photos = photos_field


class AftersalesUpdateIn(AftersalesBuyerIn):
    reason = serializers.ChoiceField(choices=AftersalesReason.choices, required=False)
    amount = AmountField(required=False, help_text="fen")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    photos = photos_field


class AftersalesEscalateIn(AftersalesBuyerIn):
    reason = serializers.CharField(max_length=500)
    photos = photos_field


class CourierChoiceMixin:
    """The courier code field's choices are the Courier table's active couriers (read per request)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courier_code"].choices = courier_choices()


class ReturnWaybillIn(CourierChoiceMixin, AftersalesBuyerIn):
    courier_code = serializers.ChoiceField(choices=[])
    waybill_no = serializers.CharField(max_length=30)


class AftersalesApproveIn(serializers.Serializer):
    return_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AftersalesRejectIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    photos = photos_field


class NegotiateIn(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, help_text="Offered refund in fen (at most the requested amount).")
    note = serializers.CharField(max_length=200)


class OfferDeclineIn(AftersalesBuyerIn):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReturnAddressIn(serializers.Serializer):
    return_address = serializers.CharField(max_length=200)


class ReturnReceiveIn(serializers.Serializer):
    inspection_passed = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReplacementShipIn(CourierChoiceMixin, serializers.Serializer):
    courier_code = serializers.ChoiceField(choices=[])
    waybill_no = serializers.CharField(max_length=30)


class AftersalesEvidenceOut(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ("side", "image", "note", "created_at")


class AftersalesRequestOut(serializers.ModelSerializer):
    order_sn = serializers.CharField(source="order.order_sn")
    platform_status = serializers.ChoiceField(choices=PlatformStatus.choices)
    refund_status = serializers.CharField(
        source="refund.status", default=None, allow_null=True, help_text="the refund's status; null without a refund"
    )
    evidence = AftersalesEvidenceOut(many=True, read_only=True)

    class Meta:
        model = AftersalesRequest
        fields = (
            "id", "request_sn", "order_sn", "item_id", "buyer_ref", "type", "reason", "amount", "description",
            "status", "platform_status", "deadline_at", "merchant_note", "return_address", "return_courier_code",
            "return_waybill_no", "return_shipped_at", "return_delivered_at", "ship_courier_code", "ship_waybill_no",
            "refunded_amount", "refund_status", "decision", "decision_note", "close_reason", "created_at",
            "finished_at", "evidence", "offer_amount", "offer_note", "offered_at", "offer_accepted_at",
        )  # fmt: skip


class ReviewIn(AftersalesBuyerIn):
    order_sn = serializers.CharField(max_length=22)
    item_id = IdField()
    score_description = serializers.IntegerField(min_value=1, max_value=5)
    score_logistics = serializers.IntegerField(min_value=1, max_value=5)
    score_service = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    photos = photos_field


class ReviewFollowupIn(AftersalesBuyerIn):
    text = serializers.CharField(max_length=500)
    photos = photos_field


class ReviewReplyIn(serializers.Serializer):
    text = serializers.CharField(max_length=500)


class ReviewOut(serializers.ModelSerializer):
    order_sn = serializers.CharField(source="order.order_sn")
    buyer = serializers.CharField(source="buyer_display")
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = (
            "id", "order_sn", "item_id", "product_id", "buyer", "score_description", "score_logistics",
            "score_service", "text", "anonymous", "is_default", "created_at", "reply", "replied_at",
            "followup_text", "followup_at", "followup_reply", "followup_replied_at", "visibility", "photos",
        )  # fmt: skip

    def get_photos(self, obj) -> list[str]:
        return [f"{settings.MEDIA_URL}{p.image.name}" for p in obj.photos.all()]


class ComplaintIn(AftersalesBuyerIn):
    order_sn = serializers.CharField(max_length=22, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    content = serializers.CharField(max_length=1000)


class ComplaintOut(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = ("id", "category", "content", "status", "resolution", "created_at", "handled_at")
