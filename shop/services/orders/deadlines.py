"""The orders' deadline rules, run by shop.sweeps: each one idempotent, one refused order never stops the rest."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import hooks
from portal.events import emit_many
from portal.exceptions import DomainError
from portal.fsm import BATCH_SIZE, transition_many
from portal.hooks import live_parcels
from portal.payments.services import refund_create_many
from shop.models import Compensation, GroupBuy, Order, OrderItem
from shop.models.orders import CompensationKind, GroupStatus, OrderStatus
from shop.services.funds import penalty_charge_many
from shop.services.promotions import (
    coupon_grant_many,
    coupon_release_many,
    discount_release_many,
    leader_free_give_back,
)

from .common import PAYMENT_PURPOSE, _completed_event, _release_stock_many, _rules
from .compensations import compensation_amount
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


def fail_expired_groups(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Open groups past their window fail in audited set-based batches; the live orders of each batch of groups
    are cancelled in bulk (stock, discounts, coupons back; the paid ones refunded), and each store hears once
    per tick how many of its groups failed and were refunded."""
    now = now or timezone.now()
    by, reason = "system", _("拼团失败")
    groups = GroupBuy.objects.filter(status=GroupStatus.OPEN, expires_at__lte=now)
    refunded: dict[int, set[int]] = defaultdict(set)  # store -> its failed groups that had paid members

    def note(orders: list[Order]) -> None:
        for order in orders:
            if order.paid_at and order.group_id is not None:
                refunded[order.store_id].add(order.group_id)

    def cancel_members(batch: list[GroupBuy]) -> None:
        leader_free_give_back([g.leader_free_id for g in batch])
        live = Order.objects.filter(
            group_id__in=[g.pk for g in batch], status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.GROUPING]
        )
        _cancel_many(live, reason=reason, by=by, now=now, batch_size=batch_size, then=note)

    moved = transition_many(
        groups,
        "fail",
        by=by,
        reason=_("拼团超时未成团"),
        updates={"failed_at": now},
        batch_size=batch_size,
        on_batch=cancel_members,
    )
    failed = {store_id: sorted(group_ids) for store_id, group_ids in refunded.items()}
    emit_many(
        [
            {
                "type": "group.failed",
                "store_id": store_id,
                "title": _("%(n)d 个拼团失败") % {"n": len(numbers)},
                "body": _("%(groups)s 未在时限内成团，已全部退款。")
                % {"groups": ", ".join(f"G{pk}" for pk in numbers[:NOTICE_LIST])},
                "data": {"group_ids": numbers[:NOTICE_DATA], "count": len(numbers)},
            }
            for store_id, numbers in failed.items()
        ]
    )
    return moved


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
    url = reverse("shop:order_list") + "?tab=paid"
    emit_many(
        [
            {
                "type": "order.ship_by_near",
                "store_id": store_id,
                "title": _("%(n)d 个订单即将超过发货时限") % {"n": len(numbers)},
                "body": ", ".join(numbers[:10]),
                "url": url,
                "data": {"order_sns": numbers},
            }
            for store_id, numbers in by_store.items()
        ]
    )
    return len(due)


# How many order numbers a per-store notice lists in its text, and carries in its data.
NOTICE_LIST, NOTICE_DATA = 10, 500


@dataclass
class _Tally:
    """What one rule did to one store during a tick: the one notice the store gets for it."""

    count: int = 0
    amount: int = 0
    from_payouts: int = 0
    from_deposit: int = 0
    order_sns: list[str] = field(default_factory=list)

    def add(self, order_sn: str, amount: int = 0) -> None:
        self.count += 1
        self.amount += amount
        if len(self.order_sns) < NOTICE_DATA:
            self.order_sns.append(order_sn)


def _cancel_many(
    orders,
    *,
    reason: str,
    by,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    then: Callable[[list[Order]], None] | None = None,
) -> int:
    """Cancel the (parcel-less) orders of `orders` in audited set-based batches: per batch the stock back per SKU
    in one UPDATE, discounted units and coupons released in bulk, what was paid refunded in one insert (sent to
    the provider after commit). `then(batch)` runs last inside the batch's transaction."""

    def settle(batch: list[Order]) -> None:
        ids = [o.pk for o in batch]
        _release_stock_many(ids)
        discount_release_many(order_ids=ids, by=by)
        coupon_release_many(order_ids=ids, by=by, reason=reason)
        refund_create_many(
            purpose=PAYMENT_PURPOSE, references=[o.order_sn for o in batch if o.paid_at], reason=reason, by=by
        )
        if then is not None:
            then(batch)

    return transition_many(
        orders,
        "cancel",
        by=by,
        reason=reason,
        updates={"cancelled_at": now, "cancel_reason": reason[:200]},
        batch_size=batch_size,
        on_batch=settle,
    )


def _compensate_many(orders: list[Order], kind: str, *, by, now: datetime, tallies: dict[int, _Tally]) -> int:
    """Compensate each order once for `kind`, in a constant number of queries whatever the batch: the buyers'
    coupons and the compensations in bulk, the stores charged (payouts first, then deposit) in one
    `penalty_charge_many`, the compensations settled in one audited `transition_many`. If the ledgers refuse,
    the batch's compensations stay pending for staff. The caller holds the orders' row locks."""
    if not orders:
        return 0
    label = str(CompensationKind(kind).label)
    reasons = [_("订单 %(sn)s %(kind)s赔付") % {"sn": o.order_sn, "kind": label} for o in orders]
    amounts = [compensation_amount(kind, o.paid_amount) for o in orders]
    claims = coupon_grant_many(
        [(o.store_id, o.buyer_ref, amount, reason) for o, amount, reason in zip(orders, amounts, reasons, strict=True)],
        by=by,
    )
    compensations = Compensation.objects.bulk_create(
        [
            Compensation(
                store_id=o.store_id, order_id=o.pk, buyer_ref=o.buyer_ref, kind=kind, amount=amount, coupon=claim
            )
            for o, amount, claim in zip(orders, amounts, claims, strict=True)
        ]
    )
    split: dict[str, tuple[int, int]] = {}
    try:
        with transaction.atomic():
            split = penalty_charge_many(
                [(c.store_id, c.amount, reason, str(c.pk)) for c, reason in zip(compensations, reasons, strict=True)],
                by=by,
            )
            transition_many(
                Compensation.objects.filter(pk__in=[c.pk for c in compensations]),
                "settle",
                by=by,
                updates={"settled_at": now},
                batch_size=len(compensations),
            )
    except DomainError as exc:
        logger.warning("compensations stay pending (%s): %s", kind, exc.message)
        split = {}
    for order, compensation in zip(orders, compensations, strict=True):
        tally = tallies[order.store_id]
        tally.add(order.order_sn, compensation.amount)
        payouts, deposit = split.get(str(compensation.pk), (0, 0))
        tally.from_payouts += payouts
        tally.from_deposit += deposit
    return len(compensations)


def _announce_compensations(kind: str, tallies: dict[int, _Tally]) -> None:
    """One notice (SMS by default) per store per tick and rule, never one per order."""
    label = str(CompensationKind(kind).label)
    emit_many(
        [
            {
                "type": "order.late_shipping" if kind == CompensationKind.LATE_SHIPPING else "order.compensated",
                "store_id": store_id,
                "title": _("%(n)d 个订单产生赔付：%(kind)s，合计 ¥%(amount).2f")
                % {"n": t.count, "kind": label, "amount": t.amount / 100},
                "body": _("从货款扣除 ¥%(payouts).2f，从保证金扣除 ¥%(deposit).2f。订单：%(sns)s")
                % {
                    "payouts": t.from_payouts / 100,
                    "deposit": t.from_deposit / 100,
                    "sns": ", ".join(t.order_sns[:NOTICE_LIST]),
                },
                "url": reverse("shop:funds"),
                "data": {
                    "kind": kind,
                    "count": t.count,
                    "amount": t.amount,
                    "from_payouts": t.from_payouts,
                    "from_deposit": t.from_deposit,
                    "order_sns": t.order_sns,
                },
            }
            for store_id, t in tallies.items()
        ]
    )


def compensate_late_shipping(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Paid orders past ship-by, and orders shipped after it, each compensated once: in batches (one transaction
    each, the orders locked, constant queries), and one notice per store for the whole tick."""
    now = now or timezone.now()
    # Shipped late: only orders shipped within the lookback (the `order_shipped_late` partial index); the
    # tick after their shipment compensates them, so the whole history need not be scanned every minute.
    shipped_late = Q(shipped_at__gt=F("ship_by"), shipped_at__gte=now - _rules()["sweep_lookback"])
    late = (
        Order.objects.filter(Q(status=OrderStatus.PAID, ship_by__lt=now) | shipped_late)
        .exclude(compensations__kind=CompensationKind.LATE_SHIPPING)
        .only("pk", "store_id", "buyer_ref", "order_sn", "paid_amount")
        .order_by("pk")
    )
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    done = 0
    # Ids first without ORDER BY/LIMIT, so each branch is read from its index (not the primary key walked).
    pks = sorted(late.order_by().values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            page = late.filter(pk__in=pks[start : start + batch_size])
            batch = list(page.select_for_update(of=("self",), skip_locked=True))
            done += _compensate_many(batch, CompensationKind.LATE_SHIPPING, by="system", now=now, tallies=tallies)
    _announce_compensations(CompensationKind.LATE_SHIPPING, tallies)
    return done


def cancel_unshipped_past_hard_limit(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Paid orders still unshipped past the hard limit (from payment or group formation): cancelled and refunded
    in audited set-based batches, one notice per store per tick. An order with a booked parcel goes the
    one-order way (its parcel is cancelled with it, or the cancellation refused once picked up)."""
    now = now or timezone.now()
    by, reason = "system", _("超过发货最终时限未发货，自动取消并退款")
    # Cross-border direct mail ships within 120 h, so its own (later) hard limit; the outer bound keeps the
    # query on `order_paid_clock`.
    limit, cross_border_limit = _rules()["late_shipping_hard_limit"], _rules()["cross_border_hard_limit"]
    due = (
        Order.objects.filter(status=OrderStatus.PAID)
        .annotate(clock=Coalesce("grouped_at", "paid_at"))
        .filter(clock__lte=now - min(limit, cross_border_limit))
        .filter(
            Q(cross_border=False, clock__lte=now - limit) | Q(cross_border=True, clock__lte=now - cross_border_limit)
        )
    )
    tallies: dict[int, _Tally] = defaultdict(_Tally)

    def note(orders: list[Order]) -> None:
        for order in orders:
            tallies[order.store_id].add(order.order_sn)

    done = 0
    pks = sorted(due.order_by().values_list("pk", flat=True))  # from `order_paid_clock`, not the primary key
    for start in range(0, len(pks), batch_size):
        ids = pks[start : start + batch_size]
        booked = set(live_parcels(ids))
        plain = [pk for pk in ids if pk not in booked]
        done += _cancel_many(
            Order.objects.filter(pk__in=plain, status=OrderStatus.PAID),
            reason=reason,
            by=by,
            now=now,
            batch_size=batch_size,
            then=note,
        )
        done += _each_locked(
            sorted(booked), {"status": OrderStatus.PAID}, lambda o: _cancel_locked(o, reason=reason, by=by)
        )
    url = reverse("shop:order_list") + "?tab=cancelled"
    emit_many(
        [
            {
                "type": "order.cancelled",
                "store_id": store_id,
                "title": _("%(n)d 个订单超过发货最终时限，已取消并退款") % {"n": t.count},
                "body": ", ".join(t.order_sns[:NOTICE_LIST]),
                "url": url,
                "data": {"order_sns": t.order_sns, "count": t.count, "reason": reason},
            }
            for store_id, t in tallies.items()
        ]
    )
    return done


def auto_confirm_receipt(*, now: datetime | None = None) -> int:
    """Shipped or delivered orders past their receipt deadline complete, in audited set-based batches."""
    now = now or timezone.now()
    due = Order.objects.filter(status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED], receipt_deadline__lte=now)
    return transition_many(
        due,
        "complete",
        by="system",
        reason=_("超时自动确认收货"),
        updates={"completed_at": now},
        on_batch=lambda batch: emit_many([_completed_event(order) for order in batch]),
    )


def fake_shipping_check(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Self-shipped waybills with no pickup scan within the window, or picked up and then without any further
    scan for the window (`fake_shipping_stalled`), are fake shipping: flagged (audited, set-based) and
    compensated in bulk, one notice per store per tick.

    SQL finds only the suspicious waybills: those whose window just ended (within the lookback; partial index
    `order_self_waybill_open`) with NOT EXISTS a pickup scan (shipping's `portal.hooks.pickup_scan_exists`), or
    with a stalled pickup (`portal.hooks.pickup_scan_stalled`; a pickup comes within the first window, so the
    stall is due within two windows of the waybill). Without shipping's answer the rule flags nothing.
    """
    now = now or timezone.now()
    scanned = hooks.pickup_scan_exists.call()
    stalled_window = _rules()["fake_shipping_stalled"]
    stalled = hooks.pickup_scan_stalled.call(window=stalled_window, now=now)
    if scanned is None or stalled is None:
        return 0
    deadline = now - _rules()["fake_shipping_no_scan"]
    open_waybills = Order.objects.filter(
        status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED], shipped_via="self", fake_shipping_at__isnull=True
    ).exclude(compensations__kind=CompensationKind.FAKE_SHIPPING)
    lookback = _rules()["sweep_lookback"]
    rules = (
        (open_waybills.filter(waybill_at__lte=deadline, waybill_at__gt=deadline - lookback).filter(~scanned),
         _("运单号 24 小时内无揽收记录")),
        (open_waybills.filter(waybill_at__lte=now - stalled_window,
                              waybill_at__gt=deadline - stalled_window - lookback).filter(stalled),
         _("揽收后 24 小时内无后续物流记录")),
    )  # fmt: skip
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    flagged: list[int] = []

    def compensate(batch: list[Order]) -> None:
        flagged.extend(o.pk for o in batch)
        _compensate_many(batch, CompensationKind.FAKE_SHIPPING, by="system", now=now, tallies=tallies)

    moved = 0
    for suspicious, reason in rules:
        moved += transition_many(
            suspicious,
            "flag_fake_shipping",
            by="system",
            reason=reason,
            updates={"fake_shipping_at": now},
            batch_size=batch_size,
            on_batch=compensate,
        )
    _compensate_product_days(flagged, now=now, batch_size=batch_size, tallies=tallies)
    _announce_compensations(CompensationKind.FAKE_SHIPPING, tallies)
    return moved


def _compensate_product_days(flagged: list[int], *, now: datetime, batch_size: int, tallies) -> int:
    """The per-product daily rule: a product with more than `fake_shipping_product_day_count` fake shipments
    among one day's orders (by placement, local time) that are also over `fake_shipping_product_day_percent`
    of them compensates every paid order of that product that day (¥20 each; the once-per-kind constraint and
    the exclusion keep it single). Only the (product, day) pairs this tick's flags touched are counted: one
    GROUP BY, then the orders in locked batches."""
    if not flagged:
        return 0
    rules = settings.PORTAL_COMPENSATION_RULES
    day = TruncDate("order__created_at", tzinfo=timezone.get_current_timezone())
    touched = set(
        OrderItem.objects.filter(order_id__in=flagged).annotate(day=day).values_list("sku__product_id", "day")
    )
    placed = ~Q(order__status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED])
    stats = (
        OrderItem.objects.filter(placed, sku__product_id__in={p for p, _d in touched})
        .annotate(day=day)
        .filter(day__in={d for _p, d in touched})
        .values("sku__product_id", "day")
        .annotate(
            total=Count("order", distinct=True),
            fake=Count("order", distinct=True, filter=Q(order__fake_shipping_at__isnull=False)),
        )
        .values_list("sku__product_id", "day", "total", "fake")
    )
    hit = [
        (product, d)
        for product, d, total, fake in stats
        if (product, d) in touched
        and fake > rules["fake_shipping_product_day_count"]
        and fake * 100 > total * rules["fake_shipping_product_day_percent"]
    ]
    if not hit:
        return 0
    pks = sorted(
        set(
            OrderItem.objects.filter(placed)
            .annotate(day=day)
            .filter(reduce(or_, (Q(sku__product_id=p, day=d) for p, d in hit)))
            .exclude(order__compensations__kind=CompensationKind.FAKE_SHIPPING)
            .values_list("order_id", flat=True)
        )
    )
    done = 0
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            batch = list(
                Order.objects.filter(pk__in=pks[start : start + batch_size])
                .exclude(compensations__kind=CompensationKind.FAKE_SHIPPING)
                .select_for_update(of=("self",))
                .order_by("pk")
            )
            done += _compensate_many(batch, CompensationKind.FAKE_SHIPPING, by="system", now=now, tallies=tallies)
    return done
