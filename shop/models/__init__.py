from .catalog import Category, Product, Sku
from .evaluation import EvaluationRule, StoreEvaluation, SuspensionProposal
from .orders import Order, OrderItem
from .stores import Store, StoreStatus, StoreType

__all__ = [
    "Category",
    "EvaluationRule",
    "StoreEvaluation",
    "SuspensionProposal",
    "Order",
    "OrderItem",
    "Product",
    "Sku",
    "Store",
    "StoreStatus",
    "StoreType",
]
