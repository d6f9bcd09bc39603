from .catalog import Category, Product, Sku
from .orders import Order, OrderItem
from .stores import Store, StoreStatus, StoreType

__all__ = ["Category", "Order", "OrderItem", "Product", "Sku", "Store", "StoreStatus", "StoreType"]
