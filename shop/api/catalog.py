"""API: catalog for integrations and ERPs (products, SKUs, stock) and store coupons for storefronts (buyer side)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import Actor, merchant_actor
from portal.api.fields import INT_MAX, AmountField, IdField
from portal.api.filters import query
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import BOTH, BUYER, request_store
from portal.api.routing import route
from portal.models import ApiKey
from shop.models import Category, CouponClaim, ProductStatus
from shop.models.catalog import SERVICE_FLAGS
from shop.selectors.catalog import (
    buyer_coupons,
    claimable_coupons,
    claims_for_buyer,
    products_for_store,
    skus_for_store,
)
from shop.services.catalog import (
    product_create,
    product_image_add,
    product_image_delete,
    product_put_on_sale,
    product_take_off_shelf,
    product_update,
    sku_set_price,
    sku_set_stock,
)
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
    id = serializers.IntegerField()
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
    special_goods = serializers.SerializerMethodField(
        help_text="fresh, frozen, bulky, fragile, install, free_sf: what the courier must offer"
    )
    is_fresh = serializers.BooleanField()
    is_frozen = serializers.BooleanField()
    is_bulky = serializers.BooleanField()
    is_fragile = serializers.BooleanField()
    is_cross_border = serializers.BooleanField()
    no_logistics = serializers.BooleanField()
    privacy_shipping = serializers.BooleanField()
    bad_fruit_claim = serializers.BooleanField()
    short_weight_claim = serializers.BooleanField()
    home_install = serializers.BooleanField()
    free_sf = serializers.BooleanField()
    service_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=SERVICE_FLAGS), help_text="the service promises that are on"
    )
    seven_day_return = serializers.BooleanField()
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
    updated_since = serializers.DateTimeField(required=False, help_text="ISO 8601 time")
    q = serializers.CharField(max_length=60, required=False, help_text="title or SKU code contains")


class ProductListView(ListAPIView):
    """The store's products with their SKUs and images; filter by `status`, `updated_since` (ISO time), `q`."""

    side = BOTH
    serializer_class = ProductOut
    required_scope = Scope.CATALOG
    filters_in = ProductFilterIn

    def get_queryset(self):
        f = query(self)
        qs = products_for_store(request_store(self.request), q=f.get("q", ""), status=f.get("status", ""))
        if since := f.get("updated_since"):
            qs = qs.filter(updated_at__gte=since)
        return qs


class SpecAttributeIn(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    values = serializers.ListField(child=serializers.CharField(max_length=30), max_length=20)


class SkuIn(serializers.Serializer):
    spec = serializers.DictField(child=serializers.CharField(max_length=30), required=False, default=dict)
    code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    price = AmountField(min_value=1, help_text="single-buy price, fen")
    group_price = AmountField(min_value=1, help_text="group-buy price, fen (at most the price)")
    stock = AmountField(required=False, default=0)
    weight_g = AmountField(required=False, default=500)
    length_mm = AmountField(required=False, default=0)
    width_mm = AmountField(required=False, default=0)
    height_mm = AmountField(required=False, default=0)


class ProductIn(serializers.Serializer):
    """A product and its SKU matrix: one SKU per combination of `spec_attributes` (one SKU without spec)."""

    title = serializers.CharField(max_length=60)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all(), help_text="code")
    brand = serializers.CharField(max_length=60, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    spec_attributes = SpecAttributeIn(many=True, required=False, max_length=5)
    is_fresh = serializers.BooleanField(required=False, help_text="special goods: fresh (生鲜)")
    is_frozen = serializers.BooleanField(required=False, help_text="special goods: frozen (冷冻)")
    is_bulky = serializers.BooleanField(required=False, help_text="special goods: bulky (大件)")
    is_fragile = serializers.BooleanField(required=False, help_text="special goods: fragile (易碎)")
    is_cross_border = serializers.BooleanField(
        required=False, help_text="cross-border direct mail (跨境直邮): ship-by 120 h, auto-confirm after 30 days"
    )
    no_logistics = serializers.BooleanField(
        required=False, help_text="无需物流发货: ships with no courier or waybill, never booked online"
    )
    privacy_shipping = serializers.BooleanField(
        required=False, help_text="隐私发货: no goods name on the waybill nor in the courier's order"
    )
    bad_fruit_claim = serializers.BooleanField(
        required=False, help_text="坏果包赔 (fresh goods only): the buyer claims for bad fruit after receipt"
    )
    short_weight_claim = serializers.BooleanField(
        required=False, help_text="缺重包退 (fresh goods only): the buyer claims for short weight after receipt"
    )
    home_install = serializers.BooleanField(
        required=False, help_text="送货入户并安装 (bulky goods only): a courier offering installation carries it"
    )
    free_sf = serializers.BooleanField(required=False, help_text="顺丰包邮: ships by SF only")
    ship_within_hours = serializers.IntegerField(min_value=1, max_value=720, required=False)
    seven_day_return = serializers.BooleanField(required=False)
    group_size = serializers.IntegerField(min_value=2, max_value=100, required=False)
    per_buyer_limit = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False, allow_null=True)
    per_order_limit = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False, allow_null=True)
    skus = SkuIn(many=True, allow_empty=False, max_length=200)


def _product_fields(data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k != "skus"}
    if "spec_attributes" in fields:
        fields["spec_attributes"] = [dict(a) for a in fields["spec_attributes"]]
    return fields


def _product_out(request, product) -> Response:
    product = products_for_store(product.store).get(pk=product.pk)
    return Response(ProductOut(product, context={"request": request}).data)


class ProductCreateView(IdempotentMixin, APIView):
    """Create a draft product with its SKUs (prices in fen); put it on sale with `put-on-sale`."""

    required_scope = Scope.CATALOG

    @extend_schema(request=ProductIn, responses={201: ProductOut})
    def post(self, request):
        data = ProductIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        product = product_create(
            store=request_store(request),
            fields=_product_fields(d),
            skus=[dict(sku) for sku in d["skus"]],
            by=merchant_actor(request),
        )
        response = _product_out(request, product)
        response.status_code = 201
        return response


def _product(request, pk: int):
    return get_object_or_404(products_for_store(request_store(request)), pk=pk)


class ProductDetailView(RetrieveAPIView):
    """One product of the store (404 for another store's)."""

    side = BOTH
    serializer_class = ProductOut
    required_scope = Scope.CATALOG

    def get_queryset(self):
        return products_for_store(request_store(self.request))


class ProductUpdateView(APIView):
    """Change a product (partial); `skus`, when given, replaces the SKU matrix (SKUs matched by spec keep stock)."""

    required_scope = Scope.CATALOG

    @extend_schema(request=ProductIn(partial=True), responses={200: ProductOut})
    def patch(self, request, pk: int):
        product = _product(request, pk)
        data = ProductIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        skus = [dict(sku) for sku in d["skus"]] if "skus" in d else None
        product = product_update(product=product, fields=_product_fields(d), skus=skus, by=merchant_actor(request))
        return _product_out(request, product)


class ShelfReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ProductPutOnSaleView(IdempotentMixin, APIView):
    """上架: a draft or off-shelf product goes on sale (open store, every SKU priced)."""

    required_scope = Scope.CATALOG

    @extend_schema(request=ShelfReasonIn, responses={200: ProductOut})
    def post(self, request, pk: int):
        data = ShelfReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        product = _product(request, pk)
        product_put_on_sale(product=product, by=merchant_actor(request), reason=data.validated_data["reason"])
        return _product_out(request, product)


class ProductTakeOffShelfView(IdempotentMixin, APIView):
    """下架: an on-sale product is taken off shelf (buyers can no longer order it)."""

    required_scope = Scope.CATALOG

    @extend_schema(request=ShelfReasonIn, responses={200: ProductOut})
    def post(self, request, pk: int):
        data = ShelfReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        product = _product(request, pk)
        product_take_off_shelf(product=product, by=merchant_actor(request), reason=data.validated_data["reason"])
        return _product_out(request, product)


class ImageIn(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WEBP, at most 5 MB; 10 images per product")


class ProductImageUploadView(IdempotentMixin, APIView):
    """Add a picture to a product: multipart/form-data with `image` (415 for any other content type)."""

    required_scope = Scope.CATALOG
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImageIn}, responses={201: ProductOut})
    def post(self, request, pk: int):
        product = _product(request, pk)
        data = ImageIn(data=request.data)
        data.is_valid(raise_exception=True)
        product_image_add(product=product, upload=data.validated_data["image"], by=merchant_actor(request))
        response = _product_out(request, product)
        response.status_code = 201
        return response


class ProductImageDeleteView(APIView):
    """Remove a picture of a product (400 `bad_image` for the last picture of an on-sale product while pictures are required)."""

    required_scope = Scope.CATALOG

    @extend_schema(request=None, responses={200: ProductOut})
    def delete(self, request, pk: int, image_id: int):
        product = _product(request, pk)
        image = get_object_or_404(product.images.all(), pk=image_id)
        product_image_delete(image=image, by=merchant_actor(request))
        return _product_out(request, product)


class SkuFilterIn(serializers.Serializer):
    code = serializers.CharField(max_length=40, required=False)
    product_id = IdField(required=False)


class SkuListView(ListAPIView):
    """The store's SKUs (for stock sync); filter by `code`, `product_id`."""

    side = BOTH
    serializer_class = SkuOut
    required_scope = Scope.CATALOG
    filters_in = SkuFilterIn

    def get_queryset(self):
        f = query(self)
        qs = skus_for_store(request_store(self.request))
        if f.get("code"):
            qs = qs.filter(code=f["code"])
        if f.get("product_id"):
            qs = qs.filter(product_id=f["product_id"])
        return qs


class SkuDetailView(RetrieveAPIView):
    """One SKU of the store."""

    side = BOTH
    serializer_class = SkuOut
    required_scope = Scope.CATALOG

    def get_queryset(self):
        return skus_for_store(request_store(self.request))


class SkuPatchIn(serializers.Serializer):
    stock = AmountField(required=False, max_value=10_000_000)
    price = AmountField(min_value=1, required=False, help_text="fen; send with group_price")
    group_price = AmountField(min_value=1, required=False, help_text="fen; at most the price")

    def validate(self, attrs):
        if ("price" in attrs) != ("group_price" in attrs):
            raise serializers.ValidationError({"group_price": [_("单买价和拼团价须一起修改。")]})
        if not attrs:
            raise serializers.ValidationError(_("请提供 stock 或 price 与 group_price。"))
        return attrs


class SkuUpdateView(APIView):
    """Set a SKU's stock (ERP sync) and/or its prices (fen; both together, live discounts stay below)."""

    required_scope = Scope.CATALOG

    @extend_schema(request=SkuPatchIn, responses={200: SkuOut})
    def patch(self, request, pk: int):
        sku = get_object_or_404(skus_for_store(request_store(request)), pk=pk)
        data = SkuPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        by = merchant_actor(request)
        if "price" in d:
            sku = sku_set_price(sku=sku, price=d["price"], group_price=d["group_price"], by=by)
        if "stock" in d:
            sku = sku_set_stock(sku=sku, stock=d["stock"], by=by)
        return Response(SkuOut(sku).data)


class CouponOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    source = serializers.CharField(help_text="store (店铺券) or platform (平台补贴券, funded by the platform)")
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
    filters_in = ClaimFilterIn

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CouponClaim.objects.none()
        return claims_for_buyer(request_store(self.request), query(self)["buyer_ref"])


class CouponClaimView(IdempotentMixin, APIView):
    """A buyer claims one coupon. Send an Idempotency-Key: a retry returns the same claim."""

    side = BUYER
    required_scope = Scope.ORDERS_WRITE

    @extend_schema(request=ClaimIn, responses={201: ClaimOut})
    def post(self, request, pk: int):
        coupon = get_object_or_404(buyer_coupons(request_store(request)), pk=pk)
        data = ClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        ref = data.validated_data["buyer_ref"]
        claim = coupon_claim(coupon=coupon, buyer_ref=ref, by=Actor.storefront(ref, store_id=coupon.store_id))
        return Response(ClaimOut(claim).data, status=201)


urlpatterns: list = [
    path("products/", route(ProductListView, ProductCreateView).as_view(), name="api-products"),
    path("products/<int:pk>/", route(ProductDetailView, ProductUpdateView).as_view(), name="api-product"),
    path("products/<int:pk>/put-on-sale/", ProductPutOnSaleView.as_view(), name="api-product-put-on-sale"),
    path("products/<int:pk>/take-off-shelf/", ProductTakeOffShelfView.as_view(), name="api-product-take-off-shelf"),
    path("products/<int:pk>/images/", ProductImageUploadView.as_view(), name="api-product-images"),
    path("products/<int:pk>/images/<int:image_id>/", ProductImageDeleteView.as_view(), name="api-product-image"),
    path("skus/", SkuListView.as_view(), name="api-skus"),
    path("skus/<int:pk>/", route(SkuDetailView, SkuUpdateView).as_view(), name="api-sku"),
    path("coupons/", CouponListView.as_view(), name="api-coupons"),
    path("coupons/<int:pk>/claim/", CouponClaimView.as_view(), name="api-coupon-claim"),
    path("coupon-claims/", ClaimListView.as_view(), name="api-coupon-claims"),
]
