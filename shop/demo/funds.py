"""Demo funds: the demo stores' completed orders credited to their payouts (settled when due)."""

from shop.services.funds import payouts_sweep


def seed(*, password: str) -> list[tuple[str, str]]:
    payouts_sweep()  # idempotent: one credit and one settlement per order
    return []
