from .catalog import Category, Product, Sku
from .orders import Compensation, GroupBuy, Order, OrderItem
from .stores import Store, StoreStatus, StoreType

__all__ = [
    "Category",
    "Compensation",
    "GroupBuy",
    "Order",
    "OrderItem",
    "Product",
    "Sku",
    "Store",
    "StoreStatus",
    "StoreType",
]
