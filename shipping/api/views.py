"""Shipping API: couriers, quote, book a batch, cancel, read bookings / shipments / events, buyer tracking,
and the courier webhook. One view per operation; POSTs are idempotent (Idempotency-Key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import merchant_actor
from portal.api.filters import query
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import BOTH, request_store
from portal.exceptions import ValidationFailed
from portal.models import ApiKey
from shipping import selectors, services
from shipping.carriers.kuaidi100 import CALLBACK_OK
from shipping.models import Booking, Courier, SenderAddress, Shipment, ShipmentFee, TrackingEvent
from shop.selectors.orders import order_by_sn

from .serializers import (
    BookIn,
    BookingOut,
    CourierOut,
    OrderTrackingOut,
    QuoteIn,
    QuoteOut,
    ShipmentDetailOut,
    ShipmentFiltersIn,
    ShipmentOut,
)

if TYPE_CHECKING:
    from shop.models import Order

SCOPE = ApiKey.Scope.SHIPPING


def _bookings(store):
    return (
        Booking.objects.filter(store=store)
        .select_related("courier")
        .prefetch_related(
            Prefetch(
                "shipments", queryset=Shipment.objects.select_related("order", "booking", "courier").order_by("id")
            )
        )
    )


def _orders_by_sn(store, sns: list[str]) -> dict[str, Order]:
    orders = {o.order_sn: o for o in selectors.orders_for_booking(store, order_sns=sns)}
    missing = [sn for sn in sns if sn not in orders]
    if missing:
        raise ValidationFailed("Unknown order.", code="order_not_found", fields={"orders": missing})
    return orders


class CourierListView(ListAPIView):
    """Couriers with capabilities, coverage, price table and pickup slots."""

    required_scope = SCOPE
    serializer_class = CourierOut
    pagination_class = None

    def get_queryset(self):
        return Courier.objects.filter(is_active=True)


class QuoteView(IdempotentMixin, APIView):
    """Price per order and in total for every courier, or the reason a courier cannot carry the orders."""

    required_scope = SCOPE

    @extend_schema(request=QuoteIn, responses={200: QuoteOut(many=True)})
    def post(self, request):
        data = QuoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        store = request_store(request)
        orders = list(_orders_by_sn(store, data.validated_data["order_sns"]).values())
        sender = None
        if "sender_address_id" in data.validated_data:
            sender = get_object_or_404(SenderAddress, store=store, pk=data.validated_data["sender_address_id"])
        sender = sender or selectors.default_sender(store)
        options = services.courier_options_quote(
            store=store, options=selectors.courier_options(orders, sender), orders=orders, sender=sender
        )
        sn = {o.pk: o.order_sn for o in orders}
        body = [
            {
                "courier_code": o.courier.code,
                "courier_name": o.courier.name,
                "available": o.available,
                "reason": o.refusal,
                "prices": [{"order_sn": sn[pk], "price": price} for pk, price in o.prices.items()],
                "total": o.total,
            }
            for o in options
        ]
        return Response(QuoteOut(body, many=True).data)


class BookingListCreateView(IdempotentMixin, ListAPIView):
    """GET: the store's bookings. POST: book a batch of at most 30 paid orders with one courier."""

    required_scope = SCOPE
    serializer_class = BookingOut

    def get_queryset(self):
        return _bookings(request_store(self.request))

    @extend_schema(request=BookIn, responses={201: BookingOut})
    def post(self, request):
        data = BookIn(data=request.data)
        data.is_valid(raise_exception=True)
        store = request_store(request)
        v = data.validated_data
        courier = Courier.objects.filter(code=v["courier_code"], is_active=True).first()
        if courier is None:
            raise ValidationFailed("Unknown courier.", code="unknown_courier", fields={"courier_code": ["unknown"]})
        sender = SenderAddress.objects.filter(store=store, pk=v["sender_address_id"]).first()
        if sender is None:
            raise ValidationFailed(
                "Unknown sender address.", code="bad_sender", fields={"sender_address_id": ["unknown"]}
            )
        sns = [line["order_sn"] for line in v["orders"]]
        services.check_batch_limit(len(sns))
        orders = _orders_by_sn(store, sns)
        lines = [
            services.BookingLine(order_id=orders[line.pop("order_sn")].pk, **line) for line in map(dict, v["orders"])
        ]
        booking = services.booking_submit(
            store=store,
            courier=courier,
            sender=sender,
            pickup_date=v["pickup_date"],
            pickup_slot=v["pickup_slot"],
            lines=lines,
            by=merchant_actor(request),
            scenario=v.get("sandbox_scenario", ""),
        )
        return Response(BookingOut(_bookings(store).get(pk=booking.pk)).data, status=status.HTTP_201_CREATED)


class BookingDetailView(RetrieveAPIView):
    required_scope = SCOPE
    serializer_class = BookingOut
    lookup_field = "booking_no"

    def get_queryset(self):
        return _bookings(request_store(self.request))


def _shipments(store):
    return Shipment.objects.filter(store=store).select_related("order", "booking", "courier")


class ShipmentListView(ListAPIView):
    """The store's shipments; filter with ?status=, ?booking_no=, ?waybill_no=, ?order_sn=."""

    required_scope = SCOPE
    serializer_class = ShipmentOut
    filters_in = ShipmentFiltersIn

    def get_queryset(self):
        qs = _shipments(request_store(self.request))
        f = query(self)
        if f.get("status"):
            qs = qs.filter(status=f["status"])
        if f.get("booking_no"):
            qs = qs.filter(booking__booking_no=f["booking_no"])
        if f.get("waybill_no"):
            qs = qs.filter(waybill_no=f["waybill_no"])
        if f.get("order_sn"):
            qs = qs.filter(order__order_sn=f["order_sn"])
        return qs


class ShipmentDetailView(RetrieveAPIView):
    """One shipment with its tracking events, newest first (as everywhere in the API)."""

    required_scope = SCOPE
    serializer_class = ShipmentDetailOut

    def get_queryset(self):
        return _shipments(request_store(self.request)).prefetch_related(
            Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
            Prefetch("fees", queryset=ShipmentFee.objects.order_by("created_at", "id")),
        )


class ShipmentCancelView(IdempotentMixin, APIView):
    """Cancel a booked parcel until it is weighed (409 afterwards)."""

    required_scope = SCOPE

    @extend_schema(request=None, responses={200: ShipmentOut})
    def post(self, request, pk: int):
        shipment = get_object_or_404(_shipments(request_store(request)), pk=pk)
        services.shipment_cancel(shipment=shipment, by=merchant_actor(request), reason="api")
        return Response(ShipmentOut(_shipments(request_store(request)).get(pk=pk)).data)


class OrderTrackingView(APIView):
    """For buyers' apps: an order's shipments and their tracking events (newest first)."""

    side = BOTH
    required_scope = [SCOPE, ApiKey.Scope.ORDERS_READ]

    @extend_schema(responses={200: OrderTrackingOut})
    def get(self, request, order_sn: str):
        order = order_by_sn(store=request_store(request), order_sn=order_sn)
        body = {"order_sn": order.order_sn, "order_status": order.status, "shipments": [
            s for s in selectors.shipments_for_order(order) if s.waybill_no
        ]}  # fmt: skip
        return Response(OrderTrackingOut(body).data)


class CourierWebhookView(APIView):
    """Called by couriers: HMAC-signed, timestamped; duplicates and replays are ignored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, courier_code: str):
        stats = services.webhook_receive(courier_code=courier_code.upper(), body=request.body, headers=request.META)
        return Response(stats)


class Kuaidi100CallbackView(APIView):
    """Called by kuaidi100 for one store account: `status` (order status and fees) or `trace` (tracking).

    Form fields `param` and `sign` = upper MD5(param + salt). Answers kuaidi100's success shape, or
    400 (it retries) when the signature or the body is wrong; a repeated message is acknowledged.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # kuaidi100 pushes every status of every parcel from a few addresses
    parser_classes = [FormParser]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, public_id: str, kind: str):
        services.kuaidi100_callback_receive(public_id=public_id, kind=kind, form=request.data)
        return Response(CALLBACK_OK)
