"""API: catalog for integrations and ERPs (products, SKUs, stock) and store coupons for storefronts (buyer side)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import Actor, merchant_actor
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import BOTH, BUYER, request_store
from portal.models import ApiKey
from shop.models import CouponClaim, ProductStatus
from shop.selectors.catalog import (
    claimable_coupons,
    claims_for_buyer,
    coupons_for_store,
    products_for_store,
    skus_for_store,
)
from shop.services.catalog import sku_set_stock
from shop.services.promotions import coupon_claim

Scope = ApiKey.Scope


class SkuOut(serializers.Serializer):
    id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    code = serializers.CharField()
    spec = serializers.DictField(child=serializers.CharField())
    price = serializers.IntegerField(help_text="Single-buy price in fen.")
    group_price = serializers.IntegerField(help_text="Group-buy price in fen.")
    stock = serializers.IntegerField()
    weight_g = serializers.IntegerField()
    length_mm = serializers.IntegerField()
    width_mm = serializers.IntegerField()
    height_mm = serializers.IntegerField()


class ImageOut(serializers.Serializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(obj.image.url)

    def get_thumbnail_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(obj.thumbnail.url)


class ProductOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code")
    brand = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    spec_attributes = serializers.JSONField()
    special_goods = serializers.SerializerMethodField()
    ship_within_hours = serializers.IntegerField()
    group_size = serializers.IntegerField()
    per_buyer_limit = serializers.IntegerField(allow_null=True)
    per_order_limit = serializers.IntegerField(allow_null=True)
    images = ImageOut(many=True)
    skus = SkuOut(many=True)
    updated_at = serializers.DateTimeField()

    def get_special_goods(self, obj) -> list[str]:
        return sorted(obj.special_goods())


class ProductFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProductStatus.values, required=False)
    updated_since = serializers.DateTimeField(required=False)


class ProductListView(ListAPIView):
    """The store's products with their SKUs and images; filter by `status`, `updated_since` (ISO time)."""

    side = BOTH
    serializer_class = ProductOut
    required_scope = Scope.CATALOG

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ProductStatus.values),
            OpenApiParameter("updated_since", str, description="ISO 8601 time"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = ProductFilterIn(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = products_for_store(request_store(self.request), status=params.validated_data.get("status", ""))
        if since := params.validated_data.get("updated_since"):
            qs = qs.filter(updated_at__gte=since)
        return qs


class ProductDetailView(RetrieveAPIView):
    """One product of the store (404 for another store's)."""

    side = BOTH
    serializer_class = ProductOut
    required_scope = Scope.CATALOG

    def get_queryset(self):
        return products_for_store(request_store(self.request))


class SkuListView(ListAPIView):
    """The store's SKUs (for stock sync); filter by `code`."""

    side = BOTH
    serializer_class = SkuOut
    required_scope = Scope.CATALOG

    @extend_schema(parameters=[OpenApiParameter("code", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = skus_for_store(request_store(self.request))
        if code := self.request.query_params.get("code"):
            qs = qs.filter(code=code)
        return qs


class SkuDetailView(RetrieveAPIView):
    side = BOTH
    serializer_class = SkuOut
    required_scope = Scope.CATALOG

    def get_queryset(self):
        return skus_for_store(request_store(self.request))


class StockIn(serializers.Serializer):
    stock = serializers.IntegerField(min_value=0, max_value=10_000_000)


class SkuStockView(IdempotentMixin, APIView):
    """Set a SKU's stock (ERP sync). Send an Idempotency-Key to retry safely."""

    required_scope = Scope.CATALOG

    @extend_schema(request=StockIn, responses={200: SkuOut})
    def post(self, request, pk: int):
        sku = get_object_or_404(skus_for_store(request_store(request)), pk=pk)
        data = StockIn(data=request.data)
        data.is_valid(raise_exception=True)
        sku = sku_set_stock(sku=sku, stock=data.validated_data["stock"], by=merchant_actor(request))
        return Response(SkuOut(sku).data)


class CouponOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField(source="describe")
    threshold = serializers.IntegerField()
    amount = serializers.IntegerField(allow_null=True)
    percent_off = serializers.IntegerField(allow_null=True)
    cap = serializers.IntegerField(allow_null=True)
    remaining = serializers.IntegerField()
    per_user_limit = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    valid_days = serializers.IntegerField(allow_null=True)
    product_ids = serializers.SerializerMethodField()

    def get_product_ids(self, obj) -> list[int]:
        return [p.pk for p in obj.products.all()]


class CouponListView(ListAPIView):
    """Coupons of the store a buyer can claim now."""

    side = BOTH
    serializer_class = CouponOut
    required_scope = [Scope.ORDERS_WRITE, Scope.CATALOG]

    def get_queryset(self):
        return claimable_coupons(request_store(self.request))


class ClaimIn(serializers.Serializer):
    buyer_ref = serializers.CharField(max_length=64)


class ClaimOut(serializers.Serializer):
    id = serializers.IntegerField()
    coupon_id = serializers.IntegerField()
    buyer_ref = serializers.CharField()
    code = serializers.CharField(help_text="Pass as coupon_code when placing the order.")
    status = serializers.CharField()
    claimed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class ClaimFilterIn(serializers.Serializer):
    buyer_ref = serializers.CharField(max_length=64)


class ClaimListView(ListAPIView):
    """One buyer's coupons in this store (code, status, expiry), newest first; `buyer_ref` is required."""

    side = BUYER
    serializer_class = ClaimOut
    required_scope = Scope.ORDERS_WRITE

    @extend_schema(parameters=[OpenApiParameter("buyer_ref", str, required=True)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CouponClaim.objects.none()
        params = ClaimFilterIn(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return claims_for_buyer(request_store(self.request), params.validated_data["buyer_ref"])


class CouponClaimView(IdempotentMixin, APIView):
    """A buyer claims one coupon. Send an Idempotency-Key: a retry returns the same claim."""

    side = BUYER
    required_scope = Scope.ORDERS_WRITE

    @extend_schema(request=ClaimIn, responses={201: ClaimOut})
    def post(self, request, pk: int):
        coupon = get_object_or_404(coupons_for_store(request_store(request)), pk=pk)
        data = ClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        ref = data.validated_data["buyer_ref"]
        claim = coupon_claim(coupon=coupon, buyer_ref=ref, by=Actor.storefront(ref, store_id=coupon.store_id))
        return Response(ClaimOut(claim).data, status=201)


urlpatterns: list = [
    path("products/", ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="api-product"),
    path("skus/", SkuListView.as_view(), name="api-skus"),
    path("skus/<int:pk>/", SkuDetailView.as_view(), name="api-sku"),
    path("skus/<int:pk>/stock/", SkuStockView.as_view(), name="api-sku-stock"),
    path("coupons/", CouponListView.as_view(), name="api-coupons"),
    path("coupons/<int:pk>/claim/", CouponClaimView.as_view(), name="api-coupon-claim"),
    path("coupon-claims/", ClaimListView.as_view(), name="api-coupon-claims"),
]
