from .catalog import Category, Product, Sku
from .funds import PayoutEntry
from .orders import Order, OrderItem
from .stores import Store, StoreStatus, StoreType

__all__ = ["Category", "Order", "OrderItem", "PayoutEntry", "Product", "Sku", "Store", "StoreStatus", "StoreType"]
