"""The orders' deadline rules, run by shop.sweeps: each one idempotent, one refused order never stops the rest."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import hooks
from portal.events import emit
from portal.exceptions import DomainError
from portal.fsm import BATCH_SIZE, edit, transition_many
from shop.models import GroupBuy, Order
from shop.models.orders import CompensationKind, GroupStatus, OrderStatus
from shop.services.promotions import coupon_release_many, discount_release_many

from .common import _release_stock_many, _rules
from .compensations import _compensate
from .groups import group_fail
from .lifecycle import _cancel_locked

logger = logging.getLogger(__name__)


def _each_locked(ids: Iterable[int], still: dict, action: Callable[[Order], object]) -> int:
    """Run `action` on each order (locked) that still matches `still`; returns how many changed.

    An order the action refuses (a DomainError, e.g. its parcel was picked up) is rolled back, logged
    and skipped: one order never stops the sweep.
    """
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                order = Order.objects.select_for_update().filter(pk=pk, **still).first()
                if order is not None:
                    action(order)
                    done += 1
        except DomainError as exc:
            logger.warning("sweep skipped order %s: %s", pk, exc.message)
    return done


def cancel_unpaid(*, now: datetime | None = None) -> int:
    """Unpaid orders past the window, cancelled in batches: per batch one audited set-based transition, the
    stock back per SKU in one UPDATE, discounted units and coupons released in bulk. Nothing was paid, so
    there is no refund and no notice; no parcel can exist (only paid orders are booked), so the
    order-cancelled hooks have nothing to do."""
    now = now or timezone.now()
    reason = _("超时未支付，自动取消")
    due = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, created_at__lte=now - _rules()["unpaid_auto_cancel"])

    def release(orders: list[Order]) -> None:
        ids = [o.pk for o in orders]
        _release_stock_many(ids)
        discount_release_many(order_ids=ids, by="system")
        coupon_release_many(order_ids=ids, by="system", reason=reason)

    return transition_many(
        due,
        "cancel",
        by="system",
        reason=reason,
        updates={"cancelled_at": now, "cancel_reason": reason[:200]},
        on_batch=release,
    )


def fail_expired_groups(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    groups = GroupBuy.objects.filter(status=GroupStatus.OPEN, expires_at__lte=now)
    done = 0
    for group in groups:
        with transaction.atomic():
            if GroupBuy.objects.select_for_update().filter(pk=group.pk, status=GroupStatus.OPEN).exists():
                group_fail(group=group, by="system")
                done += 1
    return done


@transaction.atomic
def warn_ship_by_near(*, now: datetime | None = None) -> int:
    """Remind each store once per order when to-ship orders near their ship-by time (one message per store)."""
    now = now or timezone.now()
    due = list(
        Order.objects.select_for_update()
        .filter(
            status=OrderStatus.PAID,
            ship_by_warned_at__isnull=True,
            ship_by__gt=now,
            ship_by__lte=now + _rules()["ship_by_near"],
        )
        .values_list("pk", "store_id", "order_sn")
    )
    Order.objects.filter(pk__in=[pk for pk, _store, _sn in due]).update(ship_by_warned_at=now)
    by_store: dict[int, list[str]] = defaultdict(list)
    for _pk, store_id, sn in due:
        by_store[store_id].append(sn)
    for store_id, numbers in by_store.items():
        emit(
            type="order.ship_by_near",
            store_id=store_id,
            title=_("%(n)d 个订单即将超过发货时限") % {"n": len(numbers)},
            body=", ".join(numbers[:10]),
            url=reverse("shop:order_list") + "?tab=paid",
            data={"order_sns": numbers},
        )
    return len(due)


def compensate_late_shipping(*, now: datetime | None = None) -> int:
    """Paid orders past ship-by, and orders shipped after it, each compensated once."""
    now = now or timezone.now()
    # Shipped late: only orders shipped within the lookback (the `order_shipped_late` partial index); the
    # tick after their shipment compensates them, so the whole history need not be scanned every minute.
    shipped_late = Q(shipped_at__gt=F("ship_by"), shipped_at__gte=now - _rules()["sweep_lookback"])
    late = Order.objects.filter(Q(status=OrderStatus.PAID, ship_by__lt=now) | shipped_late).exclude(
        compensations__kind=CompensationKind.LATE_SHIPPING
    )
    count = 0
    for order in late:
        with transaction.atomic():
            count += _compensate(order, CompensationKind.LATE_SHIPPING, by="system") is not None
    return count


def cancel_unshipped_past_hard_limit(*, now: datetime | None = None) -> int:
    """Paid orders still unshipped past the hard limit (from payment or group formation): cancel and refund."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.PAID)
        .annotate(clock=Coalesce("grouped_at", "paid_at"))
        .filter(clock__lte=now - _rules()["late_shipping_hard_limit"])
        .values_list("pk", flat=True)
    )
    reason = _("超过发货最终时限未发货，自动取消并退款")
    return _each_locked(ids, {"status": OrderStatus.PAID}, lambda o: _cancel_locked(o, reason=reason, by="system"))


def auto_confirm_receipt(*, now: datetime | None = None) -> int:
    """Shipped or delivered orders past their receipt deadline complete, in audited set-based batches."""
    now = now or timezone.now()
    due = Order.objects.filter(status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED], receipt_deadline__lte=now)
    return transition_many(due, "complete", by="system", reason=_("超时自动确认收货"), updates={"completed_at": now})


def fake_shipping_check(*, now: datetime | None = None, lookup: Callable[[list[Order]], set[int]] | None = None) -> int:
    """Self-shipped waybills with no pickup scan within the window are fake shipping: flag and compensate.

    Which waybills have a pickup scan is shipping's knowledge (`portal.hooks.pickup_scanned_orders`);
    without an answer the rule cannot judge and flags nothing.
    """
    lookup = lookup or hooks.pickup_scanned_orders.call
    now = now or timezone.now()
    deadline = now - _rules()["fake_shipping_no_scan"]
    still = {
        "status__in": [OrderStatus.SHIPPED, OrderStatus.DELIVERED],
        "shipped_via": "self",
        "fake_shipping_at__isnull": True,
        "waybill_at__lte": deadline,
    }
    # Only waybills whose window just ended (within the lookback; partial index `order_self_waybill_open`):
    # one judged once with a scan is never judged again, so parcels long in transit are not reloaded.
    candidates = (
        Order.objects.filter(**still, waybill_at__gt=deadline - _rules()["sweep_lookback"])
        .exclude(compensations__kind=CompensationKind.FAKE_SHIPPING)
        .order_by("pk")
    )

    def flag(order: Order) -> None:
        edit(order, "flag_fake_shipping", by="system", reason=_("运单号 24 小时内无揽收记录"))
        _compensate(order, CompensationKind.FAKE_SHIPPING, by="system")

    done, last_pk = 0, 0
    while batch := list(candidates.filter(pk__gt=last_pk)[:BATCH_SIZE]):
        last_pk = batch[-1].pk
        scanned = lookup(batch)
        if scanned is None:
            return done  # no tracking to judge by
        done += _each_locked([o.pk for o in batch if o.pk not in scanned], still, flag)
    return done
