from .catalog import Category, Product, ProductImage, ProductStatus, Sku
from .orders import Compensation, GroupBuy, Order, OrderItem
from .promotions import (
    ClaimStatus,
    CouponBatch,
    CouponClaim,
    CouponKind,
    DiscountKind,
    DiscountRedemption,
    LimitedTimeDiscount,
    PromotionStatus,
    SpendAndSave,
)
from .stores import Store, StoreStatus, StoreType

__all__ = [
    "Category",
    "ClaimStatus",
    "Compensation",
    "CouponBatch",
    "CouponClaim",
    "CouponKind",
    "DiscountKind",
    "DiscountRedemption",
    "GroupBuy",
    "LimitedTimeDiscount",
    "Order",
    "OrderItem",
    "Product",
    "ProductImage",
    "ProductStatus",
    "PromotionStatus",
    "Sku",
    "SpendAndSave",
    "Store",
    "StoreStatus",
    "StoreType",
]
