"""API: orders. Buyer side (a storefront acting for a buyer): place, pay, cancel, confirm receipt, extend
receipt, complain about a late shipment. Merchant side (ERPs): list, retrieve, self-ship."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import Actor, merchant_actor
from portal.api.fields import IdField
from portal.api.filters import query
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import BOTH, BUYER, caller_side, request_store
from portal.api.routing import route
from portal.api.serializers import FieldsBuiltOnce
from portal.models import ApiKey
from shop.actions import order_actions
from shop.models import Order, OrderItem
from shop.models.catalog import SERVICE_FLAGS
from shop.models.orders import BuyMode, OrderStatus
from shop.selectors.orders import OrderFilters, order_get, order_list, platform_status
from shop.selectors.story import order_story
from shop.services import orders as services

READ, WRITE = ApiKey.Scope.ORDERS_READ.value, ApiKey.Scope.ORDERS_WRITE.value


# --- serializers -----------------------------------------------------------------------------------


class LineIn(serializers.Serializer):
    sku_id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=999)


class AddressIn(serializers.Serializer):
    recipient_name = serializers.CharField(max_length=30)
    recipient_phone = serializers.CharField(max_length=11)
    province = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=30)
    district = serializers.CharField(max_length=30)
    street = serializers.CharField(max_length=120)


class OrderPlaceIn(AddressIn):
    buyer_ref = serializers.CharField(max_length=64)
    items = LineIn(many=True, allow_empty=False, max_length=50)
    buy_mode = serializers.ChoiceField(choices=BuyMode.choices, default=BuyMode.SINGLE)
    group_id = IdField(required=False, allow_null=True)
    buyer_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    coupon_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class OrderItemOut(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ("id", "sku_id", "product_title", "sku_spec", "quantity", "unit_price", "discount", "paid_amount")


class OrderOut(FieldsBuiltOnce, serializers.ModelSerializer):
    """An order with our status and the platform's separate status fields derived from it."""

    items = OrderItemOut(many=True, read_only=True)
    recipient_phone = serializers.SerializerMethodField()
    shipping_status = serializers.SerializerMethodField(help_text="1 to ship, 2 shipped, 3 signed for")
    deal_status = serializers.SerializerMethodField(help_text="0 not concluded, 1 concluded, 2 cancelled")
    group_status = serializers.SerializerMethodField(help_text="0 grouping, 1 formed, 2 failed")
    refund_status = serializers.SerializerMethodField(help_text="1 none, 2 after-sales, 3 refunding, 4 refunded")
    risk_status = serializers.SerializerMethodField(help_text="0 normal, 1 under risk review (must not ship)")
    leader_free = serializers.BooleanField(
        source="is_free_leader",
        read_only=True,
        help_text="the buyer leads a group with a 团长免单 place: refunded in full when the group forms "
        "(then leader_free_discount)",
    )
    service_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=SERVICE_FLAGS),
        read_only=True,
        help_text="the service promises bought (each also a boolean field): " + ", ".join(SERVICE_FLAGS),
    )

    class Meta:
        model = Order
        fields = (
            "order_sn", "status", "buy_mode", "group_id", "buyer_ref", "recipient_name", "recipient_phone",
            "province", "city", "district", "street", "buyer_note", "goods_amount", "discount_amount",
            "seller_discount", "platform_discount", "leader_free_discount", "postage",
            "paid_amount", "discounts", "items", "created_at", "updated_at", "paid_at", "grouped_at", "ship_by",
            "shipped_at", "delivered_at", "completed_at", "cancelled_at", "cancel_reason", "receipt_deadline",
            "receipt_extended", "cross_border", *SERVICE_FLAGS, "service_flags", "courier_code", "waybill_no", "risk_hold", "shipping_status", "deal_status",
            "group_status", "refund_status", "risk_status", "leader_free",
        )  # fmt: skip

    def get_recipient_phone(self, order: Order) -> str:
        return order.masked_phone()

    @extend_schema_field(int)
    def get_shipping_status(self, order: Order) -> int:
        return platform_status(order)["shipping_status"]

    @extend_schema_field(int)
    def get_deal_status(self, order: Order) -> int:
        return platform_status(order)["deal_status"]

    @extend_schema_field(int)
    def get_group_status(self, order: Order) -> int:
        return platform_status(order)["group_status"]

    @extend_schema_field(int)
    def get_refund_status(self, order: Order) -> int:
        return platform_status(order)["refund_status"]

    @extend_schema_field(int)
    def get_risk_status(self, order: Order) -> int:
        return platform_status(order)["risk_status"]


class StoryEntryOut(serializers.Serializer):
    ref = serializers.CharField(help_text="the parcel's shipment id or the request's number")
    status = serializers.CharField()
    status_label = serializers.CharField()
    live = serializers.BooleanField(help_text="a live parcel / an open request")
    url = serializers.CharField(help_text="its page in the merchant portal")
    details = serializers.DictField(
        help_text="parcels: shipment_id, booking_no, courier_code, courier_name, waybill_no, booking_status, "
        "latest_scan; after-sales: request_id, type, type_label, amount, refunded_amount, item, deadline_at"
    )


class OrderCompensationOut(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class OrderDetailOut(OrderOut):
    """One order's whole story: the order, its parcels, its after-sales requests and its compensations."""

    parcels = serializers.SerializerMethodField()
    aftersales = serializers.SerializerMethodField()
    compensations = OrderCompensationOut(many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do to the order now (from the state machine): ship, book, reship, cancel, ..."
    )

    class Meta(OrderOut.Meta):
        fields = (*OrderOut.Meta.fields, "parcels", "aftersales", "compensations", "actions")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, order: Order) -> list[str]:
        """Asked as the caller's side: a storefront key as the order's buyer, never as the merchant who made it."""
        request = self.context.get("request")
        if request is None:
            return []
        if caller_side(request) == BUYER:
            actor = Actor.storefront(order.buyer_ref, store_id=order.store_id)
        else:
            actor = request.user
        return sorted(order_actions(order, actor))

    def _story(self, order: Order) -> dict:
        if not hasattr(order, "_story"):
            order._story = order_story(order)
        return order._story

    @extend_schema_field(StoryEntryOut(many=True))
    def get_parcels(self, order: Order) -> list[dict]:
        return StoryEntryOut(self._story(order).get("parcels", []), many=True).data

    @extend_schema_field(StoryEntryOut(many=True))
    def get_aftersales(self, order: Order) -> list[dict]:
        return StoryEntryOut(self._story(order).get("aftersales", []), many=True).data


class PayOut(serializers.Serializer):
    payment_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    checkout_url = serializers.CharField()


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ShipIn(serializers.Serializer):
    courier_code = serializers.CharField(max_length=10)
    waybill_no = serializers.CharField(max_length=30)


class CompensationOut(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    status = serializers.CharField()


# --- views -----------------------------------------------------------------------------------------


def _order(request, order_sn: str) -> Order:
    return order_get(store=request_store(request), order_sn=order_sn)


def _out(order: Order, code: int = status.HTTP_200_OK) -> Response:
    order = order_list(store=order.store).get(pk=order.pk)  # fresh, with items and group
    return Response(OrderOut(order).data, status=code)


class OrderPlaceView(IdempotentMixin, APIView):
    """Place an order for a buyer; stock is reserved at once. Pay it within the unpaid window."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=OrderPlaceIn, responses={201: OrderOut})
    def post(self, request):
        data = OrderPlaceIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        order = services.order_place(
            store=request_store(request),
            buyer_ref=d["buyer_ref"],
            lines=[services.LineIn(sku_id=i["sku_id"], quantity=i["quantity"]) for i in d["items"]],
            buy_mode=d["buy_mode"],
            group_id=d.get("group_id"),
            recipient_name=d["recipient_name"],
            recipient_phone=d["recipient_phone"],
            province=d["province"],
            city=d["city"],
            district=d["district"],
            street=d["street"],
            buyer_note=d["buyer_note"],
            coupon_code=d["coupon_code"],
            by=Actor.storefront(d["buyer_ref"]),
        )
        return Response(OrderOut(order).data, status=status.HTTP_201_CREATED)  # from the objects in hand


class OrderPayView(IdempotentMixin, APIView):
    """Open the order's payment; send the buyer to `checkout_url` (the provider calls back when paid)."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=None, responses={200: PayOut})
    def post(self, request, order_sn: str):
        order = _order(request, order_sn)
        payment, url = services.order_pay(order=order, by=Actor.storefront(order.buyer_ref))
        return Response(PayOut({"payment_id": payment.pk, "amount": payment.amount, "checkout_url": url}).data)


class OrderCancelView(IdempotentMixin, APIView):
    """The buyer cancels an unpaid order, or a paid one before shipment (refunded)."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=ReasonIn, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order(request, order_sn)
        services.order_cancel(order=order, reason=data.validated_data["reason"], by=Actor.storefront(order.buyer_ref))
        return _out(order)


class OrderConfirmReceiptView(IdempotentMixin, APIView):
    """The buyer confirms receipt: the order completes."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=None, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        order = _order(request, order_sn)
        services.order_confirm_receipt(order=order, by=Actor.storefront(order.buyer_ref))
        return _out(order)


class OrderExtendReceiptView(IdempotentMixin, APIView):
    """The buyer extends the auto-confirm window once (by the configured extension, 3 days)."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=None, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        order = _order(request, order_sn)
        services.order_extend_receipt(order=order, by=Actor.storefront(order.buyer_ref))
        return _out(order)


class OrderChangeAddressView(IdempotentMixin, APIView):
    """The buyer changes the recipient before the order ships (and before a courier is booked for it)."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=AddressIn, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        data = AddressIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order(request, order_sn)
        services.order_change_address(order=order, by=Actor.storefront(order.buyer_ref), **data.validated_data)
        return _out(order)


class BuyerNoteIn(serializers.Serializer):
    buyer_note = serializers.CharField(max_length=200, allow_blank=True)


class OrderBuyerNoteView(IdempotentMixin, APIView):
    """The buyer changes the memo to the seller (买家留言) before the order ships."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=BuyerNoteIn, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        data = BuyerNoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order(request, order_sn)
        services.order_buyer_note_set(
            order=order, buyer_note=data.validated_data["buyer_note"], by=Actor.storefront(order.buyer_ref)
        )
        return _out(order)


class OrderComplainView(IdempotentMixin, APIView):
    """The buyer complains that a paid order is still unshipped past the complaint window: compensated."""

    side = BUYER
    required_scope = WRITE

    @extend_schema(request=None, responses={201: CompensationOut})
    def post(self, request, order_sn: str):
        order = _order(request, order_sn)
        compensation = services.order_complain_not_shipped(order=order, by=Actor.storefront(order.buyer_ref))
        return Response(CompensationOut(compensation).data, status=status.HTTP_201_CREATED)


class FiltersIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    updated_since = serializers.DateTimeField(required=False, help_text="ISO 8601 date-time")


class OrderListView(ListAPIView):
    """The store's orders, newest first, cursor-paginated; filter by `status` and `updated_since`."""

    required_scope = READ
    serializer_class = OrderOut
    filters_in = FiltersIn

    def get_queryset(self):
        d = query(self)
        filters = OrderFilters(tab=d.get("status", ""), updated_since=d.get("updated_since"))
        return order_list(store=request_store(self.request), filters=filters)


class OrderRetrieveView(APIView):
    """One order of the store."""

    side = BOTH
    required_scope = READ

    @extend_schema(responses={200: OrderDetailOut})
    def get(self, request, order_sn: str):
        return Response(OrderDetailOut(_order(request, order_sn), context={"request": request}).data)


class OrderShipView(IdempotentMixin, APIView):
    """Self-ship: the merchant's courier and waybill number (validated per courier); the order ships."""

    required_scope = WRITE

    @extend_schema(request=ShipIn, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        data = ShipIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order(request, order_sn)
        services.order_ship(order=order, by=merchant_actor(request), **data.validated_data)
        return _out(order)


class OrderShipNoLogisticsView(IdempotentMixin, APIView):
    """无需物流发货: an order whose goods promise `no_logistics` ships with no courier and no waybill."""

    required_scope = WRITE

    @extend_schema(request=None, responses={200: OrderOut})
    def post(self, request, order_sn: str):
        order = _order(request, order_sn)
        services.order_ship_no_logistics(order=order, by=merchant_actor(request))
        return _out(order)


urlpatterns = [
    path("orders/", route(OrderListView, OrderPlaceView).as_view(), name="api-orders"),
    path("orders/<str:order_sn>/", OrderRetrieveView.as_view(), name="api-order-detail"),
    path("orders/<str:order_sn>/pay/", OrderPayView.as_view(), name="api-order-pay"),
    path("orders/<str:order_sn>/cancel/", OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<str:order_sn>/confirm-receipt/", OrderConfirmReceiptView.as_view(), name="api-order-confirm"),
    path("orders/<str:order_sn>/extend-receipt/", OrderExtendReceiptView.as_view(), name="api-order-extend"),
    path("orders/<str:order_sn>/address/", OrderChangeAddressView.as_view(), name="api-order-address"),
    path("orders/<str:order_sn>/buyer-note/", OrderBuyerNoteView.as_view(), name="api-order-buyer-note"),
    path("orders/<str:order_sn>/complain-not-shipped/", OrderComplainView.as_view(), name="api-order-complain"),
    path("orders/<str:order_sn>/ship/", OrderShipView.as_view(), name="api-order-ship"),
    path("orders/<str:order_sn>/ship-no-logistics/", OrderShipNoLogisticsView.as_view(), name="api-order-ship-none"),
]
