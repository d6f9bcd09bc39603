from .catalog import Category, Product, ProductImage, ProductStatus, Sku
from .orders import Order, OrderItem
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
    "CouponBatch",
    "CouponClaim",
    "CouponKind",
    "DiscountKind",
    "DiscountRedemption",
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
