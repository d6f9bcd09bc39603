"""The one path a state changes by: transition(...) → save → audit row; and its twin for same-state
field edits, edit(...) → save → audit row.

Every service calls `transition` for a state change. A change that leaves the state where it is (re-ship
with another waybill, extend the receipt window, a risk hold, a buyer's revision) is not a transition:
the model has a plain method `<verb>()` and a predicate `can_<verb>()`, and the service calls
`edit(obj, verb, by=...)`, which writes an audit row naming the verb and no from/to state. Other
user-visible writes call `portal.audit.audit_record`, which both use, so the audit trail has one writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from .actors import By
from .audit import actor_label, audit_entry, audit_for, audit_record, store_id_of
from .exceptions import IllegalTransition
from .models import AuditEntry

M = TypeVar("M", bound=models.Model)

__all__ = ["actor_label", "audit_for", "audit_record", "edit", "store_id_of", "transition", "transition_many"]


def is_transition(obj: models.Model, name: str) -> bool:
    """`name` is an FSM transition of the object's model (not a plain method or a field edit)."""
    return getattr(getattr(type(obj), name, None), "_django_fsm", None) is not None


def edit(
    obj: M,
    verb: str,
    *,
    by: By = None,
    reason: str = "",
    data: dict | None = None,
    **kwargs: Any,
) -> M:
    """Run the same-state edit `verb` on `obj` (its model's plain method), save it and write one audit row.

    The edit is allowed when the model's `can_<verb>()` answers True (a model without one allows it).
    Raises IllegalTransition (409) otherwise, with nothing changed. The audit row names the verb and has
    no from/to state: the timeline shows the verb's phrase (`portal.audit.verbs`).
    """
    if is_transition(obj, verb):
        raise TypeError(f"{type(obj).__name__}.{verb} is an FSM transition: use transition()")
    guard = getattr(obj, f"can_{verb}", None)
    if guard is not None and not guard():
        raise IllegalTransition(
            code="illegal_transition",
            message=f"{obj._meta.verbose_name}: “{verb}” is not allowed in “{getattr(obj, 'status', '')}”.",
        )
    getattr(obj, verb)(**kwargs)
    obj.save()
    audit_record(obj, verb, by=by, reason=reason, data=data)
    return obj


def transition(
    obj: M,
    name: str,
    *,
    by: By = None,
    reason: str = "",
    field: str = "status",
    data: dict | None = None,
    **kwargs: Any,
) -> M:
    """Run the FSM transition `name` on `obj`, save it and write one audit row.

    `by` is an Actor (portal.actors); during the move also a user, a label such as "courier:SF", or None.
    Raises IllegalTransition (409) when the source state or a guard refuses. A name that is a same-state
    edit of the model (no FSM transition, see `edit`) is handed to `edit`, for callers written before the
    edits stopped being transitions.
    """
    if field == "status" and not is_transition(obj, name) and hasattr(obj, f"can_{name}"):
        return edit(obj, name, by=by, reason=reason, data=data, **kwargs)
    method = getattr(obj, name)
    source = getattr(obj, field)
    if not can_proceed(method):
        raise IllegalTransition(
            code="illegal_transition",
            message=f"{obj._meta.verbose_name}: “{name}” is not allowed from “{source}”.",
        )
    try:
        method(**kwargs)
    except TransitionNotAllowed as exc:  # a guard changed between the check and the call
        raise IllegalTransition(message=str(exc))
    obj.save()
    audit_record(
        obj,
        name,
        by=by,
        reason=reason,
        data={**(data or {}), "field": field} if field != "status" else data,
        from_state=str(source),
        to_state=str(getattr(obj, field)),
    )
    return obj


# Rows per batch of a set-based transition: one transaction, a constant number of queries, and never
# more than this many model instances in memory.
BATCH_SIZE = 2000


def transition_many(
    queryset: models.QuerySet,
    name: str,
    *,
    by: Any = None,
    reason: str = "",
    field: str = "status",
    updates: dict[str, Any] | None = None,
    data: dict | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[list[Any]], object] | None = None,
) -> int:
    """The set-based twin of `transition` for sweeps: move every row of `queryset` that the FSM allows
    through `name`, in batches of `batch_size`, each batch in one transaction with a constant number of
    queries (lock the batch, one UPDATE, one bulk insert of audit rows of the same shape as `transition`'s).

    `updates` are the fields the transition method sets (e.g. `{"completed_at": now}`): the method does not
    run per row. Transitions with guards (`conditions`) are refused: say the guard in the queryset. A transition
    that keeps the state (`target=None`) writes only `updates`, audited from and to the row's state; a same-state
    edit (a model method with `can_<verb>()`, see `edit`) writes only `updates`, audited as `edit` audits it.
    Rows locked by someone else are skipped (the next tick takes them). `on_batch(objects)` runs inside each
    batch's transaction with the moved objects (in their new state), for the batch's own side effects.
    Returns how many rows moved.
    """
    model = queryset.model
    meta = getattr(getattr(model, name), "_django_fsm", None)
    is_edit = meta is None and hasattr(model, f"can_{name}")
    if meta is None and not is_edit:
        raise TypeError(f"{model.__name__}.{name} is neither an FSM transition nor a same-state edit")
    if is_edit:
        # A same-state edit (see `edit`): the queryset says its `can_<verb>()`; audited with no from/to state.
        target, base = None, queryset
    else:
        assert meta is not None
        transitions = list(meta.transitions.values())
        if any(t.conditions for t in transitions):
            raise TypeError(f"{model.__name__}.{name} has guards: filter the queryset instead")
        targets = {t.target for t in transitions}
        if len(targets) != 1:
            raise TypeError(f"{model.__name__}.{name} must have one target state")
        target = targets.pop()  # None: the state stays what it is
        sources = [s for s in meta.transitions if s != "*"]
        base = queryset if "*" in meta.transitions else queryset.filter(**{f"{field}__in": sources})
    # The due rows' ids first, in one query the planner serves from the rule's (partial) index: an ORDER BY pk
    # with a LIMIT would walk the primary key over the whole table instead. Ids only: the model instances
    # are loaded one batch at a time.
    pks = sorted(base.order_by().values_list("pk", flat=True))
    moved = 0
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            # Locked and checked again: a row that changed since (or is locked by someone else) is left out.
            page = base.filter(pk__in=pks[start : start + batch_size]).order_by("pk")
            batch = list(page.select_for_update(skip_locked=True))
            if not batch:
                continue
            values = {**({} if target is None else {field: target}), **(updates or {})}
            for f in model._meta.concrete_fields:
                if getattr(f, "auto_now", False) and f.name not in values:
                    values[f.name] = timezone.now()
            model._default_manager.filter(pk__in=[o.pk for o in batch]).update(**values)
            sources_of = {o.pk: str(getattr(o, field)) for o in batch}
            for obj in batch:
                if target is not None:
                    obj.__dict__[field] = target  # past the protected field's guard: the row already moved
                for key, value in values.items():
                    if key != field:
                        setattr(obj, key, value)
            AuditEntry.objects.bulk_create(
                [
                    audit_entry(
                        obj,
                        name,
                        by=by,
                        reason=reason,
                        data=data,
                        from_state="" if is_edit else sources_of[obj.pk],
                        to_state="" if is_edit else sources_of[obj.pk] if target is None else str(target),
                    )
                    for obj in batch
                ]
            )
            if on_batch is not None:
                on_batch(batch)
            moved += len(batch)
    return moved
