"""The one pricing function: an order's price from SKUs, quantities, buy mode and active promotions.

Every discount is itemised (kind, label, amount) so the order shows how its price came about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from shop.models import Sku, Store
from shop.models.orders import BuyMode


@dataclass
class PricedLine:
    sku: Sku
    quantity: int
    unit_price: int  # fen, before discounts
    discount: int = 0  # fen, this line's share of every discount

    @property
    def goods_amount(self) -> int:
        return self.unit_price * self.quantity

    @property
    def paid_amount(self) -> int:
        return self.goods_amount - self.discount


@dataclass
class PriceQuote:
    lines: list[PricedLine]
    postage: int = 0
    discounts: list[dict] = field(default_factory=list)  # [{"kind", "label", "amount", ...}]

    @property
    def goods_amount(self) -> int:
        return sum(line.goods_amount for line in self.lines)

    @property
    def discount_amount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def paid_amount(self) -> int:
        return self.goods_amount - self.discount_amount + self.postage


def price_order(
    *,
    store: Store,
    lines: list[tuple[Sku, int]],
    buy_mode: str = BuyMode.SINGLE,
    buyer_ref: str = "",
    coupon_code: str | None = None,
    at: datetime | None = None,
) -> PriceQuote:
    """Price an order. `lines` are (sku, quantity) of one store; `at` defaults to now."""
    at = at or timezone.now()
    priced = [
        PricedLine(sku=sku, quantity=qty, unit_price=sku.group_price if buy_mode == BuyMode.GROUP else sku.price)
        for sku, qty in lines
    ]
    return PriceQuote(lines=priced)
