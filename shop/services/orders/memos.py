"""The merchant's memo (商家备注) and its coloured flag on orders: one order or a selection, each audited."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.events import emit
from portal.exceptions import ValidationFailed
from shop.models import Order, Store
from shop.models.orders import MemoFlag

from .common import _order_url

MEMO_MAX = 200


def _check(memo: str, flag: str) -> tuple[str, str]:
    memo = (memo or "").strip()
    if len(memo) > MEMO_MAX:
        raise ValidationFailed(fields={"memo": [_("备注最多 200 字。")]}, code="memo_too_long")
    if flag and flag not in MemoFlag.values:
        raise ValidationFailed(fields={"flag": [_("请选择有效的旗帜颜色。")]}, code="invalid_flag")
    return memo, flag or ""


@transaction.atomic
def orders_memo_set(*, store: Store, order_ids: Sequence[int], memo: str, flag: str, by) -> list[Order]:
    """Set the memo and flag of the store's orders in `order_ids` (others ignored); one audit row and one
    `order.memo_changed` event per order that changed."""
    memo, flag = _check(memo, flag)
    orders = list(Order.objects.select_for_update().filter(store=store, pk__in=list(order_ids)).order_by("pk"))
    changed = []
    for order in orders:
        if (order.merchant_memo, order.memo_flag) == (memo, flag):
            continue
        before = {"memo": order.merchant_memo, "flag": order.memo_flag}
        order.merchant_memo, order.memo_flag = memo, flag
        order.save(update_fields=["merchant_memo", "memo_flag", "updated_at"])
        audit_record(order, "memo", by=by, reason=memo, data={"flag": flag, "before": before})
        emit(
            type="order.memo_changed",
            store_id=store.pk,
            title=order.order_sn,
            url=_order_url(order),
            data={"order_sn": order.order_sn, "memo": memo, "flag": flag},
        )
        changed.append(order)
    return changed


def order_memo_set(*, order: Order, memo: str, flag: str, by) -> Order:
    """Set one order's memo and flag (see `orders_memo_set`)."""
    orders_memo_set(store=order.store, order_ids=[order.pk], memo=memo, flag=flag, by=by)
    order.refresh_from_db(fields=["merchant_memo", "memo_flag"])
    return order
