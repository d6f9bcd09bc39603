"""Input and output shapes of the shipping API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.fields import IdField
from portal.api.filters import Flag
from shipping.models import (
    SANDBOX_SCENARIOS,
    Booking,
    Courier,
    CourierMessage,
    MessageTopic,
    PlatformTicket,
    SenderAddress,
    Shipment,
    ShipmentFee,
    ShipmentStatus,
    TrackingEvent,
)
from shipping.selectors import pickup_days
from shipping.waybills import FALLBACK


class ShipmentFiltersIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, required=False)
    booking_no = serializers.CharField(max_length=32, required=False)
    waybill_no = serializers.CharField(max_length=30, required=False)
    order_sn = serializers.CharField(max_length=22, required=False)


class PickupDayOut(serializers.Serializer):
    date = serializers.DateField()
    slots = serializers.ListField(child=serializers.CharField())


class CourierOut(serializers.ModelSerializer):
    same_day_cutoff = serializers.CharField(
        allow_null=True, help_text="HH:MM:SS, Asia/Shanghai: later bookings are picked up the next day; null if none"
    )
    pickup_days = serializers.SerializerMethodField(help_text="bookable pickup dates and slots (pickup_date/slot)")
    waybill_pattern = serializers.SerializerMethodField(
        help_text="the regular expression a waybill number of this courier must match in full (self-ship, returns)"
    )

    class Meta:
        model = Courier
        fields = (
            "code", "platform_id", "name", "service_level", "cold_chain_levels", "accepts", "excluded_zones",
            "price_table", "pickup_slots", "same_day_cutoff", "waybill_prefix", "waybill_digits", "waybill_pattern",
            "service_phone", "needs_pickup_slot", "pickup_days",
        )  # fmt: skip

    @extend_schema_field(PickupDayOut(many=True))
    def get_pickup_days(self, courier: Courier) -> list[dict]:
        return [{"date": day, "slots": slots} for day, _label, slots in pickup_days(courier)]

    def get_waybill_pattern(self, courier: Courier) -> str:
        return courier.waybill_pattern or FALLBACK


class SenderAddressOut(serializers.ModelSerializer):
    class Meta:
        model = SenderAddress
        fields = ("id", "label", "contact_name", "phone", "province", "city", "district", "street", "is_default")


class SenderAddressIn(serializers.Serializer):
    label = serializers.CharField(max_length=30)
    contact_name = serializers.CharField(max_length=30)
    phone = serializers.RegexField(r"^1[3-9]\d{9}$", max_length=11, help_text="mainland mobile number")
    province = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=30)
    district = serializers.CharField(max_length=30)
    street = serializers.CharField(max_length=120)
    is_default = serializers.BooleanField(required=False, default=False)


class UnbookedFiltersIn(serializers.Serializer):
    province = serializers.CharField(max_length=20, required=False)
    failed = Flag(help_text="1: only orders whose last booking failed")
    overdue = Flag(help_text="1: only orders past their ship-by time")
    risk_hold = Flag(help_text="1: only orders under risk review (they cannot be booked); 0: only bookable ones")


class UnbookedItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    product_title = serializers.CharField()
    sku_spec = serializers.CharField()
    quantity = serializers.IntegerField()


class UnbookedOrderOut(serializers.Serializer):
    """A paid order with no live parcel (发货中心 → 在线下单 → 未下单)."""

    order_sn = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    ship_by = serializers.DateTimeField(allow_null=True)
    recipient_name = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    street = serializers.CharField()
    risk_hold = serializers.BooleanField(help_text="under risk review: must not be booked")
    last_failure = serializers.CharField(allow_null=True, help_text="why the last booking failed, null if none")
    items = UnbookedItemOut(many=True)


class RebookIn(serializers.Serializer):
    courier_code = serializers.CharField(max_length=10)
    shipment_ids = serializers.ListField(
        child=IdField(), required=False, max_length=30, help_text="only these waiting parcels (default: all)"
    )


class CourierMessageOut(serializers.ModelSerializer):
    class Meta:
        model = CourierMessage
        fields = ("id", "topic", "sender", "body", "created_at", "answered_at")


class CourierMessageIn(serializers.Serializer):
    topic = serializers.ChoiceField(choices=MessageTopic.choices)
    body = serializers.CharField(max_length=1000)


class TicketOut(serializers.ModelSerializer):
    class Meta:
        model = PlatformTicket
        fields = ("id", "kind", "status", "description", "resolution", "created_at", "resolved_at")


class TicketIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PlatformTicket.Kind.choices)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


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
