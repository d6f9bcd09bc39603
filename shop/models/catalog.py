"""Catalogue: categories, products and their SKUs (prices in fen)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class Category(models.Model):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True, default="")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    requires_licence = models.CharField(_("类目资质"), max_length=60, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("类目")
        verbose_name_plural = _("类目")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language: the English name in the English UI when there is one."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return str(self.name)


# Service promises (DOMAIN.md Shipping: the special goods flags of the API). A product's flags are copied onto
# each order at placement (the promise the buyer bought), and each is enforced where its rule lives:
# no_logistics ships without a waybill and is never booked online; privacy_shipping keeps goods names off the
# waybill and the courier's order; bad_fruit_claim / short_weight_claim (fresh produce) open after-sales claims
# after receipt; home_install needs a courier offering delivery and installation; free_sf ships by SF only.
SERVICE_FLAGS = (
    "no_logistics",
    "privacy_shipping",
    "bad_fruit_claim",
    "short_weight_claim",
    "home_install",
    "free_sf",
)


SERVICE_FLAG_LABELS = {
    "no_logistics": _("无需物流发货"),
    "privacy_shipping": _("隐私发货"),
    "bad_fruit_claim": _("坏果包赔"),
    "short_weight_claim": _("缺重包退"),
    "home_install": _("送货入户并安装"),
    "free_sf": _("顺丰包邮"),
}


class ServiceFlagsMixin:
    """Read the service flag columns of a product or an order as codes (API) and labels (pages)."""

    @property
    def service_flags(self) -> list[str]:
        return [flag for flag in SERVICE_FLAGS if getattr(self, flag)]

    @property
    def service_flag_labels(self) -> list[str]:
        return [str(SERVICE_FLAG_LABELS[flag]) for flag in self.service_flags]


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ON_SALE = "on_sale", _("在售")
    OFF_SHELF = "off_shelf", _("已下架")


class Product(ServiceFlagsMixin, FSMModelMixin, models.Model):
    store = models.ForeignKey("shop.Store", on_delete=models.CASCADE, related_name="products")
    title = models.CharField(_("商品标题"), max_length=60)
    category = models.ForeignKey(Category, verbose_name=_("类目"), on_delete=models.PROTECT, related_name="+")
    brand = models.CharField(_("品牌"), max_length=60, blank=True)
    description = models.TextField(_("商品描述"), blank=True)
    spec_attributes = models.JSONField(
        _("规格属性"), default=list, blank=True
    )  # e.g. [{"name": "颜色", "values": [...]}]
    status = FSMField(_("状态"), default=ProductStatus.DRAFT, choices=ProductStatus.choices, protected=True)
    # Special goods handling: couriers must accept every flag an order's goods carry.
    is_fresh = models.BooleanField(_("生鲜"), default=False)
    is_frozen = models.BooleanField(_("冷冻"), default=False)
    is_bulky = models.BooleanField(_("大件"), default=False)
    is_fragile = models.BooleanField(_("易碎"), default=False)
    is_cross_border = models.BooleanField(
        _("跨境直邮"), default=False, help_text=_("订单按跨境直邮的发货时限和自动确认收货时限处理")
    )
    no_logistics = models.BooleanField(
        SERVICE_FLAG_LABELS["no_logistics"],
        default=False,
        help_text=_("虚拟商品或商家自送：发货不需要快递和运单号，不能在线下单"),
    )
    privacy_shipping = models.BooleanField(
        SERVICE_FLAG_LABELS["privacy_shipping"], default=False, help_text=_("面单和快递下单信息不显示商品名称")
    )
    bad_fruit_claim = models.BooleanField(
        SERVICE_FLAG_LABELS["bad_fruit_claim"], default=False, help_text=_("生鲜：签收后买家可凭照片申请坏果赔付")
    )
    short_weight_claim = models.BooleanField(
        SERVICE_FLAG_LABELS["short_weight_claim"],
        default=False,
        help_text=_("生鲜：签收后买家可凭称重照片申请缺重退款"),
    )
    home_install = models.BooleanField(
        SERVICE_FLAG_LABELS["home_install"], default=False, help_text=_("大件：只能由提供入户安装服务的快递承运")
    )
    free_sf = models.BooleanField(
        SERVICE_FLAG_LABELS["free_sf"], default=False, help_text=_("只能用顺丰发货（自己发货和在线下单）")
    )
    ship_within_hours = models.PositiveSmallIntegerField(
        _("承诺发货时限（小时）"), default=48, choices=[(24, "24h"), (48, "48h")]
    )
    seven_day_return = models.BooleanField(_("七天无理由退货"), default=True)
    group_size = models.PositiveSmallIntegerField(_("成团人数"), default=2, validators=[MinValueValidator(2)])
    per_buyer_limit = models.PositiveIntegerField(_("每人限购"), null=True, blank=True)
    per_order_limit = models.PositiveIntegerField(_("每单限购"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "status"])]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")

    def __str__(self) -> str:
        return self.title

    def special_goods(self) -> set[str]:
        return {flag for flag in ("fresh", "frozen", "bulky", "fragile") if getattr(self, f"is_{flag}")}

    def clean(self) -> None:
        """Service flags that contradict the goods: claims are for fresh produce, installation for bulky items,
        and goods shipped without logistics neither travel by SF nor get installed by a courier."""
        errors = {}
        for flag in ("bad_fruit_claim", "short_weight_claim"):
            if getattr(self, flag) and not self.is_fresh:
                errors[flag] = _("只有生鲜商品可以提供%(flag)s。") % {"flag": SERVICE_FLAG_LABELS[flag]}
        if self.home_install and not self.is_bulky:
            errors["home_install"] = _("只有大件商品可以提供送货入户并安装。")
        if self.no_logistics and (self.free_sf or self.home_install):
            errors["no_logistics"] = _("无需物流发货的商品不能同时承诺顺丰包邮或送货入户并安装。")
        if errors:
            raise ValidationError(errors)

    # Guards
    def has_sellable_skus(self) -> bool:
        """At least one SKU, each with a price: a product cannot go on sale empty."""
        skus = list(self.skus.all())
        return bool(skus) and all(sku.price > 0 for sku in skus)

    @transition(
        field=status,
        source=[ProductStatus.DRAFT, ProductStatus.OFF_SHELF],
        target=ProductStatus.ON_SALE,
        conditions=[has_sellable_skus],
    )
    def put_on_sale(self) -> None:
        pass

    @transition(field=status, source=ProductStatus.ON_SALE, target=ProductStatus.OFF_SHELF)
    def take_off_shelf(self) -> None:
        pass


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU 编码"), max_length=40, blank=True)
    spec = models.JSONField(_("规格"), default=dict, blank=True)  # {"颜色": "红", "尺码": "M"}
    price = models.PositiveIntegerField(_("单买价（分）"))
    group_price = models.PositiveIntegerField(_("拼团价（分）"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    weight_g = models.PositiveIntegerField(_("重量（克）"), default=500)
    length_mm = models.PositiveIntegerField(_("长（毫米）"), default=0)
    width_mm = models.PositiveIntegerField(_("宽（毫米）"), default=0)
    height_mm = models.PositiveIntegerField(_("高（毫米）"), default=0)

    class Meta:
        ordering = ["product_id", "id"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKU")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group_price__lte=models.F("price")), name="sku_group_price_lte_price"
            ),
            models.UniqueConstraint(
                fields=["product", "code"], condition=~models.Q(code=""), name="sku_code_unique_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} {self.spec_label}".strip()

    @property
    def spec_label(self) -> str:
        return " / ".join(str(v) for v in self.spec.values())


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product.store_id}/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    """An uploaded product picture (type and size checked by the service) with its Pillow thumbnail."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("图片"), upload_to=product_image_path)
    thumbnail = models.ImageField(_("缩略图"), upload_to=product_image_path)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")

    def __str__(self) -> str:
        return self.image.name
