"""Shipping API: couriers, quote, book a batch, cancel, read bookings / shipments / events, buyer tracking,
and the courier webhook. One view per operation; POSTs are idempotent (Idempotency-Key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
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
from shipping.models import (
    Booking,
    Courier,
    CourierMessage,
    PlatformTicket,
    SenderAddress,
    Shipment,
    ShipmentFee,
    TrackingEvent,
)
from shop.selectors.orders import order_by_sn

from .serializers import (
    BookIn,
    BookingOut,
    CourierMessageIn,
    CourierMessageOut,
    CourierOut,
    OrderTrackingOut,
    QuoteIn,
    QuoteOut,
    RebookIn,
    SenderAddressIn,
    SenderAddressOut,
    ShipmentDetailOut,
    ShipmentFiltersIn,
    ShipmentOut,
    TicketIn,
    TicketOut,
    UnbookedFiltersIn,
    UnbookedOrderOut,
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
        body = {**BookingOut(_bookings(store).get(pk=booking.pk)).data, "refused": booking.refused}
        return Response(body, status=status.HTTP_201_CREATED)


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


class SenderAddressListView(ListAPIView):
    """The store's sender addresses (default first): `sender_address_id` of quotes and bookings."""

    required_scope = SCOPE
    serializer_class = SenderAddressOut
    pagination_class = None

    def get_queryset(self):
        return selectors.sender_addresses(request_store(self.request)).order_by("-is_default", "id")


class SenderAddressCreateView(IdempotentMixin, APIView):
    """Add a sender address; the first one (or one sent with `is_default`) becomes the default."""

    required_scope = SCOPE

    @extend_schema(request=SenderAddressIn, responses={201: SenderAddressOut})
    def post(self, request):
        data = SenderAddressIn(data=request.data)
        data.is_valid(raise_exception=True)
        address = services.sender_address_save(
            store=request_store(request), data=dict(data.validated_data), by=merchant_actor(request)
        )
        return Response(SenderAddressOut(address).data, status=status.HTTP_201_CREATED)


class UnbookedOrderListView(ListAPIView):
    """Paid orders with no live parcel (未下单), with the reason the last booking failed; book them in batches
    of at most 30 with POST /shipping/bookings/. Filter by `province`, `failed`, `overdue`, `risk_hold`."""

    required_scope = SCOPE
    serializer_class = UnbookedOrderOut
    filters_in = UnbookedFiltersIn

    def get_queryset(self):
        f = query(self)
        qs = selectors.unbooked_orders(request_store(self.request))
        if f.get("province"):
            qs = qs.filter(province=f["province"])
        if f.get("failed"):
            qs = qs.filter(last_failure__isnull=False)
        if f.get("overdue"):
            qs = qs.filter(ship_by__lt=timezone.now())
        if "risk_hold" in f:
            qs = qs.filter(risk_hold=f["risk_hold"])
        return qs


def _booking(request, booking_no: str) -> Booking:
    return get_object_or_404(Booking.objects.filter(store=request_store(request)), booking_no=booking_no)


class BookingRebookView(IdempotentMixin, APIView):
    """Re-book the booking's waiting parcels (all, or `shipment_ids`) with another courier; the first is cancelled."""

    required_scope = SCOPE

    @extend_schema(request=RebookIn, responses={201: BookingOut})
    def post(self, request, booking_no: str):
        booking = _booking(request, booking_no)
        data = RebookIn(data=request.data)
        data.is_valid(raise_exception=True)
        courier = Courier.objects.filter(code=data.validated_data["courier_code"], is_active=True).first()
        if courier is None:
            raise ValidationFailed("Unknown courier.", code="unknown_courier", fields={"courier_code": ["unknown"]})
        new = services.booking_rebook(
            booking=booking, courier=courier, by=merchant_actor(request),
            shipment_ids=data.validated_data.get("shipment_ids"),
        )  # fmt: skip
        store = request_store(request)
        return Response(BookingOut(_bookings(store).get(pk=new.pk)).data, status=status.HTTP_201_CREATED)


class BookingCancelView(IdempotentMixin, APIView):
    """Cancel every parcel of the booking not yet weighed; the orders return to the unbooked list."""

    required_scope = SCOPE

    @extend_schema(request=None, responses={200: BookingOut})
    def post(self, request, booking_no: str):
        booking = _booking(request, booking_no)
        services.booking_cancel(booking=booking, by=merchant_actor(request))
        return Response(BookingOut(_bookings(request_store(request)).get(pk=booking.pk)).data)


def _shipment(request, pk: int) -> Shipment:
    return get_object_or_404(_shipments(request_store(request)), pk=pk)


class CourierMessageListView(ListAPIView):
    """The conversation with the courier's service desk about one parcel, newest first."""

    required_scope = SCOPE
    serializer_class = CourierMessageOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CourierMessage.objects.none()
        return CourierMessage.objects.filter(shipment=_shipment(self.request, self.kwargs["pk"]))


class CourierMessageSendView(IdempotentMixin, APIView):
    """Ask the courier's service desk about the parcel (it must have a waybill number); the reply arrives later."""

    required_scope = SCOPE

    @extend_schema(request=CourierMessageIn, responses={201: CourierMessageOut})
    def post(self, request, pk: int):
        shipment = _shipment(request, pk)
        data = CourierMessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.courier_message_send(shipment=shipment, by=merchant_actor(request), **data.validated_data)
        return Response(CourierMessageOut(message).data, status=status.HTTP_201_CREATED)


class TicketListView(ListAPIView):
    """Platform tickets about one parcel (a courier's broken promise), newest first."""

    required_scope = SCOPE
    serializer_class = TicketOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PlatformTicket.objects.none()
        return PlatformTicket.objects.filter(shipment=_shipment(self.request, self.kwargs["pk"]))


class TicketReportView(IdempotentMixin, APIView):
    """Report the parcel to the platform (one open ticket per parcel and kind: the open one is answered again)."""

    required_scope = SCOPE

    @extend_schema(request=TicketIn, responses={201: TicketOut})
    def post(self, request, pk: int):
        shipment = _shipment(request, pk)
        data = TicketIn(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_report(shipment=shipment, by=merchant_actor(request), **data.validated_data)
        return Response(TicketOut(ticket).data, status=status.HTTP_201_CREATED)


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
