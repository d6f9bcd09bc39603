"""The one path a state changes by: transition(...) → save → audit row.

Every service calls `transition` for a state change; other user-visible writes call
`portal.audit.audit_record`, which `transition` uses too, so the audit trail has one writer.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django_fsm import TransitionNotAllowed, can_proceed

from .audit import actor_label, audit_for, audit_record, store_id_of
from .exceptions import IllegalTransition

__all__ = ["actor_label", "audit_for", "audit_record", "store_id_of", "transition"]


def transition(
    obj: models.Model,
    name: str,
    *,
    by: Any = None,
    reason: str = "",
    field: str = "status",
    data: dict | None = None,
    **kwargs: Any,
) -> models.Model:
    """Run the FSM transition `name` on `obj`, save it and write one audit row.

    `by` is a user, a label such as "system" or "courier:SF", or None (system).
    Raises IllegalTransition (409) when the source state or a guard refuses.
    """
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
