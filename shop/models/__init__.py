from .catalog import Category, Product, Sku
from .orders import Order, OrderItem
from .stores import (
    AgreementSignature,
    AgreementVersion,
    DepositEntry,
    DepositRule,
    DocumentKind,
    DocumentStatus,
    EnterpriseKind,
    Store,
    StoreApplication,
    StoreDocument,
    StoreStatus,
    StoreType,
)

__all__ = [
    "AgreementSignature",
    "AgreementVersion",
    "Category",
    "DepositEntry",
    "DepositRule",
    "DocumentKind",
    "DocumentStatus",
    "EnterpriseKind",
    "Order",
    "OrderItem",
    "Product",
    "Sku",
    "Store",
    "StoreApplication",
    "StoreDocument",
    "StoreStatus",
    "StoreType",
]
