"""API: the store's promotions for ERPs (merchant side, scope catalog): read, create and end 限时折扣 (limited-time
discounts on one SKU), 满减 (spend-and-save campaigns), 满2件折扣 (second-item discounts), 团长免单 (the group leader's
free order) and coupon batches, and add quantity to a batch. Thin over shop.services.promotions; amounts in fen, times
ISO 8601."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import merchant_actor
from portal.api.fields import AmountField, IdField, MomentField
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import request_store
from portal.api.routing import route
from portal.exceptions import ValidationFailed
from portal.models import ApiKey
from shop.models.promotions import (
    CouponBatch,
    CouponKind,
    DiscountKind,
    LeaderFree,
    LimitedTimeDiscount,
    SecondItemDiscount,
    SpendAndSave,
)
from shop.selectors.catalog import (
    coupons_for_store,
    discounts_for_store,
    leader_frees_for_store,
    products_for_store,
    second_items_for_store,
    skus_for_store,
    spend_and_saves_for_store,
)
from shop.services import promotions as services

SCOPE = ApiKey.Scope.CATALOG


class DiscountOut(serializers.ModelSerializer):
    class Meta:
        model = LimitedTimeDiscount
        fields = (
            "id", "sku", "kind", "price", "permille", "activity_stock", "per_buyer_limit", "status", "starts_at",
            "ends_at", "created_at",
        )  # fmt: skip


class DiscountIn(serializers.Serializer):
    sku_id = IdField()
    kind = serializers.ChoiceField(choices=DiscountKind.choices, help_text="price: a fixed price; permille: ‰ off")
    starts_at = MomentField()
    ends_at = MomentField()
    price = AmountField(min_value=1, required=False, allow_null=True, help_text="fen (kind price)")
    permille = serializers.IntegerField(min_value=1, max_value=999, required=False, allow_null=True)
    activity_stock = AmountField(min_value=1, required=False, allow_null=True)
    per_buyer_limit = AmountField(min_value=1, required=False, allow_null=True)


class ActivityItemIn(serializers.Serializer):
    sku_id = IdField()
    kind = serializers.ChoiceField(choices=DiscountKind.choices, help_text="price: a fixed price; permille: ‰ off")
    price = AmountField(min_value=1, required=False, allow_null=True, help_text="fen (kind price)")
    permille = serializers.IntegerField(min_value=1, max_value=999, required=False, allow_null=True)
    activity_stock = AmountField(min_value=1, required=False, allow_null=True)


class DiscountActivityIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    starts_at = MomentField()
    ends_at = MomentField()
    per_buyer_limit = AmountField(min_value=1, required=False, allow_null=True)
    items = ActivityItemIn(many=True, allow_empty=False, max_length=200)
    partial = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: create the SKUs that pass and list the refused ones; false: all or nothing",
    )


class SkuRefusalOut(serializers.Serializer):
    sku_id = serializers.IntegerField(source="sku.pk")
    product_id = serializers.IntegerField(source="sku.product_id")
    code = serializers.CharField()
    message = serializers.CharField()


class DiscountActivityOut(serializers.Serializer):
    activity = serializers.UUIDField(allow_null=True)
    created = DiscountOut(many=True, source="made")
    refused = SkuRefusalOut(many=True, help_text="per SKU: why it is not in the activity (partial only)")


class TierIn(serializers.Serializer):
    threshold = AmountField(min_value=1, help_text="fen")
    discount = AmountField(min_value=1, help_text="fen")


class TierOut(serializers.Serializer):
    threshold = serializers.IntegerField()
    discount = serializers.IntegerField()


class SpendAndSaveOut(serializers.ModelSerializer):
    tiers = TierOut(many=True)

    class Meta:
        model = SpendAndSave
        fields = ("id", "name", "tiers", "status", "starts_at", "ends_at", "created_at")


class SpendAndSaveIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    tiers = TierIn(many=True, allow_empty=False, max_length=10)
    starts_at = MomentField()
    ends_at = MomentField()


class SecondItemOut(serializers.ModelSerializer):
    class Meta:
        model = SecondItemDiscount
        fields = ("id", "product", "permille", "status", "starts_at", "ends_at", "created_at")


class SecondItemIn(serializers.Serializer):
    product_id = IdField()
    permille = serializers.IntegerField(
        min_value=1, max_value=999, help_text="the second unit's price in ‰ (850 = 8.5折)"
    )
    starts_at = MomentField()
    ends_at = MomentField()


class LeaderFreeOut(serializers.ModelSerializer):
    class Meta:
        model = LeaderFree
        fields = ("id", "product", "quantity", "used_count", "status", "starts_at", "ends_at", "created_at")


class LeaderFreeIn(serializers.Serializer):
    product_id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, help_text="groups whose leader orders free")
    starts_at = MomentField()
    ends_at = MomentField()


class CouponBatchOut(serializers.ModelSerializer):
    product_ids = serializers.SerializerMethodField()

    class Meta:
        model = CouponBatch
        fields = (
            "id", "name", "kind", "threshold", "amount", "percent_off", "cap", "quantity", "claimed_count",
            "per_user_limit", "valid_days", "status", "starts_at", "ends_at", "product_ids", "created_at",
        )  # fmt: skip

    def get_product_ids(self, obj) -> list[int]:
        return [p.pk for p in obj.products.all()]


class CouponBatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    quantity = AmountField(min_value=1)
    starts_at = MomentField()
    ends_at = MomentField()
    threshold = AmountField(required=False, default=0, help_text="fen")
    amount = AmountField(min_value=1, required=False, allow_null=True, help_text="fen (threshold coupons)")
    percent_off = serializers.IntegerField(min_value=1, max_value=99, required=False, allow_null=True)
    cap = AmountField(min_value=1, required=False, allow_null=True)
    per_user_limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=1)
    valid_days = serializers.IntegerField(min_value=1, max_value=365, required=False, allow_null=True)
    product_ids = serializers.ListField(child=IdField(), required=False, max_length=100)


class DiscountListView(ListAPIView):
    """The store's limited-time discounts (限时折扣), newest first."""

    required_scope = SCOPE
    serializer_class = DiscountOut

    def get_queryset(self):
        return discounts_for_store(request_store(self.request))


class DiscountCreateView(IdempotentMixin, APIView):
    """Create a limited-time discount on one SKU (windows of one SKU may not overlap)."""

    required_scope = SCOPE

    @extend_schema(request=DiscountIn, responses={201: DiscountOut})
    def post(self, request):
        data = DiscountIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        store = request_store(request)
        sku = get_object_or_404(skus_for_store(store), pk=d.pop("sku_id"))
        discount = services.discount_create(store=store, sku=sku, by=merchant_actor(request), **d)
        return Response(DiscountOut(discount).data, status=status.HTTP_201_CREATED)


class DiscountActivityCreateView(IdempotentMixin, APIView):
    """Create one 限时折扣 activity over many SKUs of many products, with a result per SKU: all or nothing, or
    with `partial` the SKUs that pass (the refused ones are listed with their code and reason)."""

    required_scope = SCOPE

    @extend_schema(request=DiscountActivityIn, responses={201: DiscountActivityOut})
    def post(self, request):
        data = DiscountActivityIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        store = request_store(request)
        skus = skus_for_store(store).select_related("product").in_bulk([i["sku_id"] for i in d["items"]])
        unknown = [i["sku_id"] for i in d["items"] if i["sku_id"] not in skus]
        if unknown:
            raise ValidationFailed(
                fields={"items": [_("店铺没有该商品规格：%(id)s") % {"id": pk} for pk in unknown]}, code="unknown_sku"
            )
        items = [{**{k: v for k, v in i.items() if k != "sku_id"}, "sku": skus[i["sku_id"]]} for i in d["items"]]
        result = services.discount_activity_create(
            store=store, name=d["name"], starts_at=d["starts_at"], ends_at=d["ends_at"],
            per_buyer_limit=d.get("per_buyer_limit"), items=items, partial=d["partial"], by=merchant_actor(request),
        )  # fmt: skip
        activity = result.made[0].activity if result.made else None
        body = DiscountActivityOut({"activity": activity, "made": result.made, "refused": result.refused}).data
        return Response(body, status=status.HTTP_201_CREATED)


class SpendAndSaveListView(ListAPIView):
    """The store's spend-and-save campaigns (满减), newest first."""

    required_scope = SCOPE
    serializer_class = SpendAndSaveOut

    def get_queryset(self):
        return spend_and_saves_for_store(request_store(self.request))


class SpendAndSaveCreateView(IdempotentMixin, APIView):
    """Create a spend-and-save campaign (one live campaign at a time per store)."""

    required_scope = SCOPE

    @extend_schema(request=SpendAndSaveIn, responses={201: SpendAndSaveOut})
    def post(self, request):
        data = SpendAndSaveIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        campaign = services.spend_and_save_create(
            store=request_store(request), name=d["name"], tiers=[dict(t) for t in d["tiers"]],
            starts_at=d["starts_at"], ends_at=d["ends_at"], by=merchant_actor(request),
        )  # fmt: skip
        return Response(SpendAndSaveOut(campaign).data, status=status.HTTP_201_CREATED)


class SecondItemListView(ListAPIView):
    """The store's second-item discounts (满2件折扣), newest first."""

    required_scope = SCOPE
    serializer_class = SecondItemOut

    def get_queryset(self):
        return second_items_for_store(request_store(self.request))


class _ProductPromotionCreateView(IdempotentMixin, APIView):
    """`POST`: create a promotion of one of the store's products (`product_id` plus the kind's own fields)."""

    required_scope = SCOPE
    serializer_in: type[serializers.Serializer]
    serializer_out: type[serializers.Serializer]
    create: Callable[..., Any]  # the kind's service (a staticmethod)

    def post(self, request):
        data = self.serializer_in(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        store = request_store(request)
        product = get_object_or_404(products_for_store(store), pk=d.pop("product_id"))
        promotion = self.create(store=store, product=product, by=merchant_actor(request), **d)
        return Response(self.serializer_out(promotion).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(request=SecondItemIn, responses={201: SecondItemOut}))
class SecondItemCreateView(_ProductPromotionCreateView):
    """Create a second-item discount on one product (windows of one product may not overlap)."""

    serializer_in, serializer_out = SecondItemIn, SecondItemOut
    create = staticmethod(services.second_item_create)


class LeaderFreeListView(ListAPIView):
    """The store's 团长免单 promotions, newest first."""

    required_scope = SCOPE
    serializer_class = LeaderFreeOut

    def get_queryset(self):
        return leader_frees_for_store(request_store(self.request))


@extend_schema_view(post=extend_schema(request=LeaderFreeIn, responses={201: LeaderFreeOut}))
class LeaderFreeCreateView(_ProductPromotionCreateView):
    """Create a 团长免单 on one product: the leaders of the first `quantity` groups opened in the window get their
    payment back when the group forms (seller-funded; windows of one product may not overlap)."""

    serializer_in, serializer_out = LeaderFreeIn, LeaderFreeOut
    create = staticmethod(services.leader_free_create)


class CouponBatchListView(ListAPIView):
    """The store's coupon batches (store-funded), newest first."""

    required_scope = SCOPE
    serializer_class = CouponBatchOut

    def get_queryset(self):
        return coupons_for_store(request_store(self.request))


class CouponBatchCreateView(IdempotentMixin, APIView):
    """Create a coupon batch: threshold (满减券, `amount` off above `threshold`) or percent (折扣券)."""

    required_scope = SCOPE

    @extend_schema(request=CouponBatchIn, responses={201: CouponBatchOut})
    def post(self, request):
        data = CouponBatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        store = request_store(request)
        ids = d.pop("product_ids", None)
        products = list(products_for_store(store).filter(pk__in=ids)) if ids else None
        if ids and len(products or []) != len(set(ids)):
            raise serializers.ValidationError({"product_ids": ["unknown product"]})
        coupon = services.coupon_create(store=store, products=products, by=merchant_actor(request), **d)
        return Response(CouponBatchOut(coupon).data, status=status.HTTP_201_CREATED)


def _end_view(name: str, out, live_for):
    """`POST …/{id}/end/`: end one of the store's promotions now (409 when it is no longer live)."""

    class EndView(APIView):
        required_scope = SCOPE

        @extend_schema(request=None, responses={200: out}, summary=f"End a {name} now")
        def post(self, request, pk: int):
            promotion = get_object_or_404(live_for(request_store(request)), pk=pk)
            return Response(out(services.promotion_end(promotion=promotion, by=merchant_actor(request))).data)

    EndView.__name__ = EndView.__qualname__ = f"{name.title().replace(' ', '').replace('-', '')}EndView"
    return EndView


DiscountEndView = _end_view("limited-time discount", DiscountOut, discounts_for_store)
SpendAndSaveEndView = _end_view("spend-and-save campaign", SpendAndSaveOut, spend_and_saves_for_store)
SecondItemEndView = _end_view("second-item discount", SecondItemOut, second_items_for_store)
LeaderFreeEndView = _end_view("leader-free promotion", LeaderFreeOut, leader_frees_for_store)
CouponBatchEndView = _end_view("coupon batch", CouponBatchOut, coupons_for_store)


class AddQuantityIn(serializers.Serializer):
    extra = AmountField(min_value=1, help_text="how many more coupons the batch issues")


class CouponBatchAddQuantityView(IdempotentMixin, APIView):
    """Issue more coupons in a live batch (追加)."""

    required_scope = SCOPE

    @extend_schema(request=AddQuantityIn, responses={200: CouponBatchOut})
    def post(self, request, pk: int):
        data = AddQuantityIn(data=request.data)
        data.is_valid(raise_exception=True)
        coupon = get_object_or_404(coupons_for_store(request_store(request)), pk=pk)
        coupon = services.coupon_add_quantity(
            coupon=coupon, extra=data.validated_data["extra"], by=merchant_actor(request)
        )
        return Response(CouponBatchOut(coupon).data)


urlpatterns = [
    path("promotions/discounts/<int:pk>/end/", DiscountEndView.as_view(), name="api-promotion-discount-end"),
    path(
        "promotions/spend-and-save/<int:pk>/end/",
        SpendAndSaveEndView.as_view(),
        name="api-promotion-spend-and-save-end",
    ),
    path("promotions/coupons/<int:pk>/end/", CouponBatchEndView.as_view(), name="api-promotion-coupon-end"),
    path("promotions/second-item/<int:pk>/end/", SecondItemEndView.as_view(), name="api-promotion-second-item-end"),
    path("promotions/leader-free/<int:pk>/end/", LeaderFreeEndView.as_view(), name="api-promotion-leader-free-end"),
    path(
        "promotions/coupons/<int:pk>/add-quantity/",
        CouponBatchAddQuantityView.as_view(),
        name="api-promotion-coupon-add-quantity",
    ),
    path(
        "promotions/discounts/", route(DiscountListView, DiscountCreateView).as_view(), name="api-promotion-discounts"
    ),
    path(
        "promotions/discount-activities/",
        DiscountActivityCreateView.as_view(),
        name="api-promotion-discount-activities",
    ),
    path(
        "promotions/spend-and-save/",
        route(SpendAndSaveListView, SpendAndSaveCreateView).as_view(),
        name="api-promotion-spend-and-save",
    ),
    path(
        "promotions/coupons/",
        route(CouponBatchListView, CouponBatchCreateView).as_view(),
        name="api-promotion-coupons",
    ),
    path(
        "promotions/leader-free/",
        route(LeaderFreeListView, LeaderFreeCreateView).as_view(),
        name="api-promotion-leader-free",
    ),
    path(
        "promotions/second-item/",
        route(SecondItemListView, SecondItemCreateView).as_view(),
        name="api-promotion-second-item",
    ),
]
