"""The settlement ledger (货款): completed orders credit pending payouts, which settle after the
settlement period; refunds, compensations and platform decisions debit them; finance staff correct
by compensating adjustment entries, never by edits.

Other areas call `payout_debit(...)` (money taken from the payouts) or `penalty_charge(...)` (a
penalty paid from the available payouts first, then from the deposit through shop.services.deposit).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import require_perm, user_of
from portal.audit import audit_record
from portal.events import emit, emit_many
from portal.exceptions import Conflict, ValidationFailed
from portal.fsm import actor_label, transition
from portal.models import Refund
from portal.payments import on_refund_succeeded
from shop.models import CouponClaim, DepositEntry, Order, PayoutEntry, Store
from shop.models.funds import PayoutBucket, PayoutKind, RefType, Withdrawal
from shop.models.orders import OrderStatus
from shop.models.promotions import CouponSource
from shop.selectors.funds import payout_balances
from shop.selectors.stores import withdrawal_limit
from shop.services.deposit import deposit_deduct

BATCH = 1000


def _entry(store: Store, kind: str, bucket: str, amount: int, *, by: Any, **fields: Any) -> PayoutEntry:
    return PayoutEntry(
        store=store,
        kind=kind,
        bucket=bucket,
        amount=amount,
        created_by=user_of(by),
        actor_label=actor_label(by),
        **fields,
    )


def _announce(store_id: int, title: str, body: str = "", **data: Any) -> None:
    emit(
        type="payout.changed",
        store_id=store_id,
        title=title,
        body=body,
        url=reverse("shop:funds"),
        data=data,
    )


def _check_amount(amount: Any, *, signed: bool = False) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0 or (amount < 0 and not signed):
        message = _("金额必须是非零整数（分）。") if signed else _("金额必须是正整数（分）。")
        raise ValidationFailed(message, fields={"amount": [message]})
    return amount


def _unsettled_order_credit(store: Store, order_id: str) -> bool:
    credited = PayoutEntry.objects.filter(
        store=store, kind=PayoutKind.CREDIT_PENDING, ref_type=RefType.ORDER, ref_id=order_id
    )
    settled = PayoutEntry.objects.filter(kind=PayoutKind.SETTLE, ref_type=RefType.ORDER, ref_id=order_id)
    return credited.exists() and not settled.exists()


@transaction.atomic
def payout_debit(
    *,
    store: Store,
    amount: int,
    reason: str,
    by: Any,
    ref_type: str = "",
    ref_id: str | int = "",
    ref_label: str = "",
    kind: str = PayoutKind.DEBIT,
) -> PayoutEntry:
    """Take `amount` fen from the store's payouts (a refund after completion, a compensation, a
    platform decision). It comes out of the order's pending credit while that is unsettled, else out
    of the available balance, which may go negative (netted against the next settlements).
    Emits payout.changed."""
    _check_amount(amount)
    if kind not in (PayoutKind.DEBIT, PayoutKind.COMPENSATION):
        raise ValidationFailed(fields={"kind": [_("类型无效。")]})
    ref_id = str(ref_id)
    store = Store.objects.select_for_update().get(pk=store.pk)  # one writer per store's payouts at a time
    pending = ref_type == RefType.ORDER and _unsettled_order_credit(store, ref_id)
    entry = _entry(
        store,
        kind,
        PayoutBucket.PENDING if pending else PayoutBucket.AVAILABLE,
        -amount,
        by=by,
        reason=reason[:200],
        ref_type=ref_type,
        ref_id=ref_id,
        ref_label=ref_label[:64],
    )
    entry.save()
    _announce(store.pk, _("货款扣款 ¥%(amount).2f") % {"amount": amount / 100}, reason, amount=-amount)
    return entry


@transaction.atomic
def penalty_charge(
    *,
    store: Store,
    amount: int,
    reason: str,
    by: Any,
    ref_type: str = "",
    ref_id: str | int = "",
    ref_label: str = "",
) -> tuple[PayoutEntry | None, DepositEntry | None]:
    """A penalty or compensation the merchant pays (DOMAIN.md: from the payouts and/or the deposit):
    the available payouts cover what they can, the deposit the rest (which may leave a shortfall).
    Returns (payout entry, deposit entry); either is None when that side took nothing."""
    _check_amount(amount)
    store = Store.objects.select_for_update().get(pk=store.pk)
    from_payouts = min(max(payout_balances(store)["available"], 0), amount)
    payout = None
    if from_payouts:
        payout = payout_debit(
            store=store,
            amount=from_payouts,
            reason=reason,
            by=by,
            ref_type=ref_type,
            ref_id=ref_id,
            ref_label=ref_label,
            kind=PayoutKind.COMPENSATION,
        )
    deposit = None
    if amount > from_payouts:
        ref = f"{ref_type}:{ref_label or ref_id}" if ref_type else ""
        deposit = deposit_deduct(store=store, amount=amount - from_payouts, reason=reason, by=by, ref=ref)
    return payout, deposit


def penalty_charge_many(charges: list[tuple[int, int, str, str]], *, by: Any) -> dict[str, tuple[int, int]]:
    """`penalty_charge` for many penalties at once (sweeps), in a constant number of queries: `charges` are
    (store_id, amount, reason, ref_id) of `RefType.COMPENSATION`. The stores are locked in id order, each
    store's available payouts (one GROUP BY) cover its penalties in turn, the deposit the rest; one bulk
    insert per ledger. Emits nothing: the caller tells each store once. Returns {ref_id: (from payouts,
    from deposit)}."""
    if not charges:
        return {}
    for _store, amount, _reason, _ref in charges:
        _check_amount(amount)
    store_ids = sorted({c[0] for c in charges})
    list(Store.objects.select_for_update().filter(pk__in=store_ids).order_by("pk").values_list("pk", flat=True))
    available = dict(
        PayoutEntry.objects.filter(store_id__in=store_ids, bucket=PayoutBucket.AVAILABLE)
        .order_by()
        .values("store_id")
        .annotate(total=Sum("amount"))
        .values_list("store_id", "total")
    )
    payouts, deposits, split = [], [], {}
    created_by, label = user_of(by), actor_label(by)
    for store_id, amount, reason, ref_id in charges:
        from_payouts = min(max(available.get(store_id, 0), 0), amount)
        available[store_id] = available.get(store_id, 0) - from_payouts
        if from_payouts:
            payouts.append(
                PayoutEntry(
                    store_id=store_id,
                    kind=PayoutKind.COMPENSATION,
                    bucket=PayoutBucket.AVAILABLE,
                    amount=-from_payouts,
                    reason=reason[:200],
                    ref_type=RefType.COMPENSATION,
                    ref_id=str(ref_id),
                    created_by=created_by,
                    actor_label=label,
                )
            )
        if amount > from_payouts:
            deposits.append(
                DepositEntry(
                    store_id=store_id,
                    kind="deduct",
                    amount=amount - from_payouts,
                    reason=reason[:200],
                    ref=f"{RefType.COMPENSATION}:{ref_id}"[:64],
                    created_by=created_by,
                    actor_label=label,
                )
            )
        split[str(ref_id)] = (from_payouts, amount - from_payouts)
    PayoutEntry.objects.bulk_create(payouts)
    DepositEntry.objects.bulk_create(deposits)
    return split


@transaction.atomic
def payout_adjust(
    *, store: Store, bucket: str, amount: int, reason: str, by: Any, corrects: PayoutEntry | None = None
) -> PayoutEntry:
    """Finance staff's correction: a new ± entry (naming the entry it corrects), never an edit."""
    _check_amount(amount, signed=True)
    if bucket not in PayoutBucket.values:
        raise ValidationFailed(fields={"bucket": [_("账户无效。")]})
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("请填写调账原因。")]})
    if corrects is not None and corrects.store_id != store.pk:
        raise ValidationFailed(fields={"corrects": [_("只能更正本店铺的流水。")]})
    store = Store.objects.select_for_update().get(pk=store.pk)
    fields: dict[str, Any] = {"reason": reason[:200], "corrects": corrects}
    if corrects is not None:
        fields.update(ref_type=corrects.ref_type, ref_id=corrects.ref_id, ref_label=corrects.ref_label)
    entry = _entry(store, PayoutKind.ADJUSTMENT, bucket, amount, by=by, **fields)
    entry.save()
    _announce(store.pk, _("货款调账 ¥%(amount).2f") % {"amount": amount / 100}, reason, amount=amount)
    return entry


@transaction.atomic
def payout_shipping_fee(
    *, store: Store, amount: int, reason: str, by: Any, ref_id: str | int, ref_label: str = ""
) -> PayoutEntry:
    """Shipping cost a courier settled for a parcel (online booking through the store's own account):
    `amount` fen taken from the available payouts, or given back when negative (a weight correction
    in the merchant's favour). Emits payout.changed."""
    _check_amount(amount, signed=True)
    store = Store.objects.select_for_update().get(pk=store.pk)
    entry = _entry(
        store,
        PayoutKind.SHIPPING,
        PayoutBucket.AVAILABLE,
        -amount,
        by=by,
        reason=reason[:200],
        ref_type=RefType.SHIPMENT,
        ref_id=str(ref_id),
        ref_label=ref_label[:64],
    )
    entry.save()
    _announce(store.pk, _("运费结算 ¥%(amount).2f") % {"amount": amount / 100}, reason, amount=-amount)
    return entry


@on_refund_succeeded("order")
def _order_refund_succeeded(refund: Refund, by: str) -> None:
    """A refund of an order already credited to the payouts is debited from them (a refund made
    before the credit is already left out of it: the credit is paid − refunded)."""
    order = Order.objects.select_related("store").filter(order_sn=refund.payment.reference).first()
    if order is None:
        return
    credited = PayoutEntry.objects.filter(
        kind=PayoutKind.CREDIT_PENDING, ref_type=RefType.ORDER, ref_id=str(order.pk), created_at__lte=refund.created_at
    ).exists()
    if credited:
        payout_debit(
            store=order.store,
            amount=refund.amount,
            reason=_("售后退款 %(ref)s") % {"ref": refund.reference},
            by=by,
            ref_type=RefType.ORDER,
            ref_id=order.pk,
            ref_label=order.order_sn,
        )


def _platform_subsidy(order: Mapping[str, Any]) -> int:
    """What the platform pays the merchant for its 平台补贴券 on a completed order (`platform_discount`, paid_amount,
    refunded in fen): in proportion to what the buyer kept, so a fully refunded order earns no subsidy."""
    subsidy, paid, refunded = order["platform_discount"], order["paid_amount"], order["refunded"]
    if not subsidy or not refunded:
        return subsidy
    return subsidy * max(paid - refunded, 0) // paid if paid else 0


def payouts_credit_completed(*, now=None) -> int:
    """Credit the pending payouts with the completed orders not yet credited (paid − refunded, plus what the
    platform funds: its 平台补贴券 and the compensation coupons already paid from the deposit), a batch a tick.

    The orders come from the partial index of uncredited completed orders (empty when idle); each is marked
    credited, with the day its credit becomes available, or settled at once when there is nothing to credit."""
    now = now or timezone.now()
    period = settings.PORTAL_TIME_RULES["settlement_period"]
    ids = list(
        Order.objects.filter(status=OrderStatus.COMPLETED, payout_credited_at__isnull=True)
        .order_by("completed_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not ids:
        return 0
    orders = list(
        Order.objects.filter(pk__in=ids)
        .annotate(refunded=Coalesce(Sum("items__refunded_amount"), 0))
        .values(
            "pk", "store_id", "order_sn", "paid_amount", "platform_discount", "refunded", "completed_at", "discounts"
        )
    )
    # A compensation coupon was already paid from the deposit when it was granted: the discount it gave on
    # this order is added back, so the merchant does not pay it twice.
    compensation_claims = set(
        CouponClaim.objects.filter(order_id__in=ids, coupon__source=CouponSource.COMPENSATION).values_list(
            "pk", flat=True
        )
    )

    subsidy = {o["pk"]: _platform_subsidy(o) for o in orders}
    credit = {
        o["pk"]: o["paid_amount"]
        - o["refunded"]
        + sum(d["amount"] for d in o["discounts"] if d.get("claim_id") in compensation_claims)
        + subsidy[o["pk"]]
        for o in orders
    }
    owed = [o for o in orders if credit[o["pk"]] > 0]
    entries = [
        PayoutEntry(
            store_id=o["store_id"],
            kind=PayoutKind.CREDIT_PENDING,
            bucket=PayoutBucket.PENDING,
            amount=credit[o["pk"]],
            reason=_("订单完成（含平台补贴）") if subsidy[o["pk"]] else _("订单完成"),
            ref_type=RefType.ORDER,
            ref_id=str(o["pk"]),
            ref_label=o["order_sn"],
            available_at=(o["completed_at"] or now) + period,
            actor_label="system",
        )
        for o in owed
    ]
    created = PayoutEntry.objects.bulk_create(entries, ignore_conflicts=True)
    available = ExpressionWrapper(Coalesce("completed_at", Value(now)) + period, output_field=DateTimeField())
    Order.objects.filter(pk__in=[o["pk"] for o in owed]).update(payout_credited_at=now, payout_available_at=available)
    Order.objects.filter(pk__in=set(ids) - {o["pk"] for o in owed}).update(
        payout_credited_at=now, payout_settled_at=now
    )
    _announce_per_store(created, _("订单完成，货款待结算"))
    return len(created)


def payouts_settle_due(*, now=None) -> int:
    """Move the credits whose settlement period is over from pending to available (net of the debits taken
    from them while pending): a (−pending, +available) pair per order, read from the partial index of
    unsettled credits (empty when idle), the orders marked settled."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(payout_available_at__isnull=False, payout_settled_at__isnull=True)
        .filter(payout_available_at__lte=now)
        .order_by("payout_available_at", "pk")
        .values("pk", "store_id", "order_sn")[:BATCH]
    )
    if not due:
        return 0
    nets = dict(
        PayoutEntry.objects.filter(
            bucket=PayoutBucket.PENDING, ref_type=RefType.ORDER, ref_id__in=[str(d["pk"]) for d in due]
        )
        .values("ref_id")
        .annotate(net=Sum("amount"))
        .values_list("ref_id", "net")
    )
    entries = []
    for d in due:
        net = nets.get(str(d["pk"]), 0)
        for bucket, amount in ((PayoutBucket.PENDING, -net), (PayoutBucket.AVAILABLE, net)):
            entries.append(
                PayoutEntry(
                    store_id=d["store_id"],
                    kind=PayoutKind.SETTLE,
                    bucket=bucket,
                    amount=amount,
                    reason=_("结算周期届满"),
                    ref_type=RefType.ORDER,
                    ref_id=str(d["pk"]),
                    ref_label=d["order_sn"],
                    actor_label="system",
                )
            )
    created = PayoutEntry.objects.bulk_create(entries, ignore_conflicts=True)
    Order.objects.filter(pk__in=[d["pk"] for d in due]).update(payout_settled_at=now)
    _announce_per_store([e for e in created if e.bucket == PayoutBucket.AVAILABLE], _("货款已结算，可提现"))
    return len(due)


def _announce_per_store(entries: list[PayoutEntry], title: str) -> None:
    """One payout.changed notice per store for a sweep's entries (one insert for all of them)."""
    totals: dict[int, list[int]] = defaultdict(list)
    for e in entries:
        totals[e.store_id].append(e.amount)
    emit_many(
        [
            {
                "type": "payout.changed",
                "store_id": store_id,
                "title": title,
                "body": _("%(n)d 笔，合计 ¥%(total).2f") % {"n": len(amounts), "total": sum(amounts) / 100},
                "url": reverse("shop:funds"),
                "data": {"amount": sum(amounts), "entries": len(amounts)},
            }
            for store_id, amounts in totals.items()
        ]
    )


@transaction.atomic
def payouts_sweep() -> int:
    """Credit completed orders, then settle what is due. Idempotent (unique credit/settle per order)."""
    return payouts_credit_completed() + payouts_settle_due()


# --- withdrawals (提现) --------------------------------------------------------------------------------
ACCOUNT_DIGITS = re.compile(r"^\d{8,30}$")


@transaction.atomic
def withdrawal_request(*, store: Store, amount: int, account: str, by: Any) -> Withdrawal:
    """The owner withdraws available payouts to the store's bank account. Refused while the store is under a
    withdrawal limit (repeated violations), above the available balance or below the minimum. The amount leaves
    the available bucket at once; finance pays it or sends it back."""
    store = Store.objects.select_for_update().get(pk=store.pk)  # one withdrawal at a time per store
    require_action(store, by, "withdraw")
    amount = _check_amount(amount)
    account = re.sub(r"[\s-]", "", account or "")
    if not ACCOUNT_DIGITS.match(account):
        message = _("请填写 8–30 位数字的银行账号。")
        raise ValidationFailed(message, code="invalid_account", fields={"account": [message]})
    limit = withdrawal_limit(store)
    if limit is not None:
        raise Conflict(
            _("店铺因持续未达标被限制提现，至 %(until)s 解除。")
            % {"until": timezone.localtime(limit.ends_at).strftime("%Y-%m-%d %H:%M")},
            code="withdrawal_limited",
        )
    if amount < settings.WITHDRAWAL_MIN_AMOUNT:
        message = _("单笔提现不少于 %(min).2f 元。") % {"min": settings.WITHDRAWAL_MIN_AMOUNT / 100}
        raise ValidationFailed(message, code="invalid_amount", fields={"amount": [message]})
    available = payout_balances(store)["available"]
    if amount > available:
        message = _("可提现货款只有 %(available).2f 元。") % {"available": max(available, 0) / 100}
        raise ValidationFailed(message, code="withdrawal_exceeds_available", fields={"amount": [message]})
    withdrawal = Withdrawal.objects.create(store=store, amount=amount, account=account, requested_by=user_of(by))
    _entry(
        store, PayoutKind.WITHDRAWAL, PayoutBucket.AVAILABLE, -amount, by=by, reason=_("申请提现"),
        ref_type=RefType.WITHDRAWAL, ref_id=str(withdrawal.pk), ref_label=f"W{withdrawal.pk}",
    ).save()  # fmt: skip
    audit_record(withdrawal, "request", by=by, data={"amount": amount}, store_id=store.pk)
    _announce(store.pk, _("提现申请已提交：%(amount).2f 元") % {"amount": amount / 100}, withdrawal=withdrawal.pk)
    return withdrawal


def _decided(withdrawal: Withdrawal, by: Any, verb: str) -> Withdrawal:
    require_perm(by, "shop.change_withdrawal")  # finance (portal.roles)
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    require_action(withdrawal, by, verb)
    withdrawal.decided_by = user_of(by)
    return withdrawal


@transaction.atomic
def withdrawal_pay(*, withdrawal: Withdrawal, by: Any) -> Withdrawal:
    """Finance paid the withdrawal to the account (the ledger already holds its debit)."""
    withdrawal = _decided(withdrawal, by, "pay")
    transition(withdrawal, "pay", by=by, reason=withdrawal.account[-4:])
    _announce(withdrawal.store_id, _("提现已打款：%(amount).2f 元") % {"amount": withdrawal.amount / 100})
    return withdrawal


@transaction.atomic
def withdrawal_reject(*, withdrawal: Withdrawal, reason: str, by: Any) -> Withdrawal:
    """Finance sends the withdrawal back (a wrong account, say): its amount returns to the available bucket."""
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": [_("请填写退回原因。")]}, code="reason_required")
    withdrawal = _decided(withdrawal, by, "reject")
    withdrawal.reason = reason.strip()[:200]
    transition(withdrawal, "reject", by=by, reason=withdrawal.reason)
    _entry(
        withdrawal.store, PayoutKind.WITHDRAWAL, PayoutBucket.AVAILABLE, withdrawal.amount, by=by,
        reason=_("提现退回：%(reason)s") % {"reason": withdrawal.reason}, ref_type=RefType.WITHDRAWAL,
        ref_id=str(withdrawal.pk), ref_label=f"W{withdrawal.pk}",
    ).save()  # fmt: skip
    _announce(withdrawal.store_id, _("提现已退回：%(amount).2f 元") % {"amount": withdrawal.amount / 100})
    return withdrawal
