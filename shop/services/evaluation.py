"""Store evaluation: metrics against configured rules, warnings, suspension proposals.

The metrics come from every app (`portal.hooks.store_metrics`); the daily DSR snapshots are after-sales'.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import hooks
from portal.actions import require_action
from portal.actors import require_perm, user_of
from portal.audit import audit_record
from portal.events import emit, emit_many
from portal.fsm import transition
from shop.models import (
    EvaluationRule,
    Order,
    Store,
    StoreEvaluation,
    StoreSanction,
    StoreStatus,
    SuspensionProposal,
)
from shop.models.evaluation import Metric as Metric  # the metrics' names, for the apps that compute them
from shop.services.stores import store_suspend


def pct(part: int, whole: int) -> Decimal | None:
    """part / whole in percent with two decimals (None when there is no whole): the metrics' rates."""
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01")) if whole else None


def own_metrics(*, store_ids: list[int], since: datetime, now: datetime) -> dict[int, dict]:
    """Shop's own metric: the late-shipping rate of the orders shipped in the window (one query)."""
    shipped = {
        r["store_id"]: r
        for r in Order.objects.filter(store_id__in=store_ids, shipped_at__gt=since, shipped_at__lte=now)
        .values("store_id")
        .annotate(total=Count("id"), late=Count("id", filter=Q(ship_by__isnull=False, shipped_at__gt=F("ship_by"))))
    }
    out = {}
    for pk in store_ids:
        s = shipped.get(pk, {"total": 0, "late": 0})
        out[pk] = {Metric.LATE_SHIPPING_RATE: pct(s["late"], s["total"])}
    return out


def store_metrics(*, store_ids: list[int], now: datetime) -> dict[int, dict[str, Decimal | int | None]]:
    """Every metric of many stores over the DSR window, with a fixed number of aggregate queries.

    Each metric is computed by the app whose data it describes: shop's own here, the others through
    `portal.hooks.store_metrics` (shipping: pickup SLA breaches; after-sales: DSR, after-sales rate,
    disputes lost, complaints). A metric nobody answers is None.
    """
    since = now - settings.PORTAL_TIME_RULES["dsr_window"]
    merged: dict[int, dict] = {pk: {} for pk in store_ids}
    parts = [own_metrics(store_ids=store_ids, since=since, now=now)]
    parts += hooks.store_metrics.run(store_ids=store_ids, since=since, now=now)
    for part in parts:
        for pk, values in part.items():
            merged[pk].update(values)
    return {pk: {m: merged[pk].get(m) for m in Metric.values} for pk in store_ids}


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def evaluation_run(*, now: datetime | None = None) -> int:
    """Evaluate every open store for today: store the metrics, warn failing stores once a day,
    propose persistently failing stores (every day of the failing period) for suspension."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    # Who is due: the open stores without today's evaluation, in one anti-join on (store, day); an idle tick
    # (every store done today) ends here, without a transaction.
    todo = list(
        Store.objects.filter(status=StoreStatus.OPEN)
        .exclude(Exists(StoreEvaluation.objects.filter(store_id=OuterRef("pk"), day=day)))
        .values_list("pk", flat=True)
    )
    return _evaluate(todo, now=now, day=day) if todo else 0


@transaction.atomic
def _evaluate(todo: list[int], *, now: datetime, day: date) -> int:
    rules = list(EvaluationRule.objects.filter(enabled=True))
    metrics = store_metrics(store_ids=todo, now=now)
    created = []
    for pk in todo:
        values = metrics[pk]
        failing = [r.metric for r in rules if not r.passes(values[r.metric])]
        created.append(
            StoreEvaluation(
                store_id=pk, day=day, metrics={k: _json(v) for k, v in values.items()}, failing=failing, created_at=now
            )
        )
    StoreEvaluation.objects.bulk_create(created, ignore_conflicts=True)
    labels = dict(Metric.choices)
    emit_many(
        [
            {
                "type": "evaluation.warning",
                "store_id": ev.store_id,
                "title": _("店铺评估预警：%(n)d 项指标未达标") % {"n": len(ev.failing)},
                "body": "、".join(str(labels[m]) for m in ev.failing),
                "url": reverse("shop:evaluation"),
                "data": {"day": str(day), "failing": ev.failing},
            }
            for ev in created
            if ev.failing
        ]
    )
    reasons = {ev.store_id: [str(labels[m]) for m in ev.failing] for ev in created if ev.failing}
    if reasons:
        periods = {"suspension": settings.PORTAL_TIME_RULES["evaluation_failing_period"].days}
        streaks = _failing_streaks(list(reasons), day=day, periods={**periods, **settings.STORE_SANCTION_LADDER})
        _propose_suspensions(streaks.pop("suspension"), reasons=reasons)
        _sanction(streaks, reasons=reasons, now=now)
    return len(created)


def _failing_streaks(store_ids: list[int], *, day: date, periods: dict[str, int]) -> dict[str, list[int]]:
    """For each named period of n days, the stores whose evaluation failed on each of the last n days (one
    evaluation a day), all in one GROUP BY."""
    since = day - timedelta(days=max(periods.values()) - 1)
    counts = {name: Count("id", filter=Q(day__gte=day - timedelta(days=n - 1))) for name, n in periods.items()}
    rows: list[dict[str, Any]] = list(
        StoreEvaluation.objects.filter(store_id__in=store_ids, day__gte=since, day__lte=day)
        .exclude(failing=[])
        .values("store_id")
        .annotate(**counts)
        .values("store_id", *counts)
    )
    return {name: [r["store_id"] for r in rows if r[name] >= n] for name, n in periods.items()}


def _sanction(due: dict[str, list[int]], *, reasons: dict[int, list[str]], now: datetime) -> None:
    """Repeated violations (DOMAIN.md Stores): a store failing `STORE_SANCTION_LADDER[kind]` days in a row gets
    that sanction for `STORE_SANCTION_DAYS` (one live sanction of a kind at a time), and is told why."""
    stores = set().union(*due.values())
    if not stores:
        return
    until = now + timedelta(days=settings.STORE_SANCTION_DAYS)
    live = set(
        StoreSanction.objects.filter(store_id__in=stores, lifted_at__isnull=True, ends_at__gt=now).values_list(
            "store_id", "kind"
        )
    )
    made = [
        StoreSanction(store_id=pk, kind=kind, reasons=reasons[pk], starts_at=now, ends_at=until)
        for kind, store_ids in due.items()
        for pk in store_ids
        if (pk, kind) not in live
    ]
    StoreSanction.objects.bulk_create(made)
    ends = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    emit_many(
        [
            {
                "type": "store.sanctioned",
                "store_id": sanction.store_id,
                "title": _("店铺因持续未达标被处罚：%(kind)s") % {"kind": sanction.get_kind_display()},
                "body": _("至 %(until)s；原因：%(reasons)s") % {"until": ends, "reasons": "、".join(sanction.reasons)},
                "url": reverse("shop:evaluation"),
                "data": {"kind": sanction.kind, "ends_at": until.isoformat()},
            }
            for sanction in made
        ]
    )


@transaction.atomic
def sanction_lift(*, sanction: StoreSanction, reason: str, by) -> StoreSanction:
    """Staff lift a sanction early (audited); the merchant is told."""
    require_perm(by, "shop.change_storesanction")
    sanction = StoreSanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.lifted_at is not None:
        return sanction
    sanction.lifted_at, sanction.lifted_by = timezone.now(), user_of(by)
    sanction.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(sanction, "lift", by=by, reason=reason)
    emit(
        type="store.sanction_lifted",
        store_id=sanction.store_id,
        title=_("店铺处罚已解除：%(kind)s") % {"kind": sanction.get_kind_display()},
        body=reason,
        url=reverse("shop:evaluation"),
        data={"kind": sanction.kind},
    )
    return sanction


def _propose_suspensions(store_ids: list[int], *, reasons: dict[int, list[str]]) -> None:
    """Stores failing every day of the failing period are proposed to staff for suspension (one open each)."""
    if not store_ids:
        return
    open_proposals = set(
        SuspensionProposal.objects.filter(store_id__in=store_ids, status="proposed").values_list("store_id", flat=True)
    )
    SuspensionProposal.objects.bulk_create(
        [SuspensionProposal(store_id=pk, reasons=reasons[pk]) for pk in store_ids if pk not in open_proposals],
        ignore_conflicts=True,
    )


@transaction.atomic
def suspension_confirm(*, proposal: SuspensionProposal, by) -> SuspensionProposal:
    """Staff confirm a proposal: the store is suspended and the merchant notified with the reasons."""
    proposal = SuspensionProposal.objects.select_for_update(of=("self",)).select_related("store").get(pk=proposal.pk)
    require_action(proposal, by, "confirm")
    reason = _("店铺评估持续不达标：%(r)s") % {"r": "、".join(proposal.reasons)}
    proposal.decided_by = user_of(by)
    transition(proposal, "confirm", by=by, reason=reason)
    store_suspend(store=proposal.store, reason=reason, by=by)  # notifies the merchant with the reason
    return proposal


@transaction.atomic
def suspension_dismiss(*, proposal: SuspensionProposal, reason: str = "", by) -> SuspensionProposal:
    """Staff decide not to suspend."""
    proposal = SuspensionProposal.objects.select_for_update().get(pk=proposal.pk)
    require_action(proposal, by, "dismiss")
    proposal.decided_by = user_of(by)
    transition(proposal, "dismiss", by=by, reason=reason)
    return proposal
