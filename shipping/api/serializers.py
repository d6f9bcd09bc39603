"""Input and output shapes of the shipping API."""

from __future__ import annotations

from rest_framework import serializers

from portal.api.fields import IdField
from shipping.models import SANDBOX_SCENARIOS, Booking, Courier, Shipment, ShipmentFee, ShipmentStatus, TrackingEvent


class ShipmentFiltersIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, required=False)
    booking_no = serializers.CharField(max_length=32, required=False)
    waybill_no = serializers.CharField(max_length=30, required=False)
    order_sn = serializers.CharField(max_length=22, required=False)


class CourierOut(serializers.ModelSerializer):
    class Meta:
        model = Courier
        fields = (
            "code", "platform_id", "name", "service_level", "cold_chain_levels", "accepts", "excluded_zones",
            "price_table", "pickup_slots", "same_day_cutoff",
        )  # fmt: skip


class QuoteIn(serializers.Serializer):
    order_sns = serializers.ListField(child=serializers.CharField(max_length=22), min_length=1, max_length=500)
    sender_address_id = IdField(required=False)


class QuotePriceOut(serializers.Serializer):
    order_sn = serializers.CharField()
    price = serializers.IntegerField(help_text="fen")


class QuoteOut(serializers.Serializer):
    courier_code = serializers.CharField()
    courier_name = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    prices = QuotePriceOut(many=True)
    total = serializers.IntegerField(help_text="fen")


class BookLineIn(serializers.Serializer):
    order_sn = serializers.CharField(max_length=22)
    weight_g = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    recipient_name = serializers.CharField(required=False, max_length=30)
    recipient_phone = serializers.CharField(required=False, max_length=11)
    province = serializers.CharField(required=False, max_length=20)
    city = serializers.CharField(required=False, max_length=30)
    district = serializers.CharField(required=False, max_length=30)
    street = serializers.CharField(required=False, max_length=120)


class BookIn(serializers.Serializer):
    courier_code = serializers.CharField(max_length=10)
    sender_address_id = IdField()
    pickup_date = serializers.DateField()
    pickup_slot = serializers.CharField(max_length=20)
    orders = BookLineIn(many=True, help_text="At most 30 (SHIPPING_BATCH_LIMIT); more is refused, never cut.")
    sandbox_scenario = serializers.ChoiceField(
        choices=[c for c, _label in SANDBOX_SCENARIOS],
        required=False,
        help_text="Sandbox courier only: how it behaves.",
    )


class EventOut(serializers.ModelSerializer):
    """A tracking event; lists of events are newest first everywhere in the API."""

    class Meta:
        model = TrackingEvent
        fields = ("action", "occurred_at", "description", "node")


class ShipmentOut(serializers.ModelSerializer):
    order_sn = serializers.CharField(source="order.order_sn")
    booking_no = serializers.CharField(source="booking.booking_no")
    courier_code = serializers.CharField(source="courier.code")
    booking_status = serializers.IntegerField(help_text="0 待接单, 100 待揽收, 200 配送中, 300 已完成, 400 已取消")
    confirm_overdue = serializers.BooleanField(source="is_confirm_late")
    pickup_overdue = serializers.BooleanField(source="is_pickup_late")
    recipient_phone = serializers.CharField(
        source="masked_phone", help_text="in full while the order is to be shipped, masked once it shipped (DOMAIN.md)"
    )

    class Meta:
        model = Shipment
        fields = (
            "id", "order_sn", "booking_no", "courier_code", "status", "booking_status", "waybill_no", "parcel_code",
            "recipient_name", "recipient_phone", "province", "city", "district", "street",
            "predicted_weight_g", "real_weight_g", "predicted_price", "real_price", "outlet", "courier_staff_name",
            "courier_staff_phone", "failure_reason", "confirm_by", "pickup_by", "confirm_overdue", "pickup_overdue",
            "created_at", "confirmed_at", "picked_up_at", "delivered_at", "carrier_status",
        )  # fmt: skip
        extra_kwargs = {
            "carrier_status": {"help_text": "kuaidi100 商家寄件 status code (docs/shipping.md), null otherwise"}
        }


class FeeOut(serializers.ModelSerializer):
    class Meta:
        model = ShipmentFee
        fields = ("carrier_status", "fee_type", "description", "amount", "weight_g", "created_at")


class ShipmentDetailOut(ShipmentOut):
    events = EventOut(many=True)
    fees = FeeOut(many=True, help_text="Fees the courier settled (they add up to real_price), in fen")

    class Meta(ShipmentOut.Meta):
        fields = (*ShipmentOut.Meta.fields, "events", "fees")


class BookingOut(serializers.ModelSerializer):
    courier_code = serializers.CharField(source="courier.code")
    sender_address = serializers.CharField()
    shipments = ShipmentOut(many=True)

    class Meta:
        model = Booking
        fields = (
            "booking_no", "courier_code", "sender_name", "sender_phone", "sender_address", "pickup_date",
            "pickup_slot", "created_at", "dispatched_at", "shipments",
        )  # fmt: skip


class BuyerShipmentOut(serializers.Serializer):
    courier_code = serializers.CharField(source="courier.code")
    courier_name = serializers.CharField(source="courier.name")
    waybill_no = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    courier_staff_name = serializers.CharField()
    events = EventOut(many=True)


class OrderTrackingOut(serializers.Serializer):
    order_sn = serializers.CharField()
    order_status = serializers.CharField()
    shipments = BuyerShipmentOut(many=True)
