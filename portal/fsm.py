"""The one path a state changes by: transition(...) → save → audit row.

Every service calls `transition`; nothing else writes AuditEntry, so the audit
trail is complete by construction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import TransitionNotAllowed, can_proceed

from .actors import By, as_actor
from .exceptions import IllegalTransition
from .models import AuditEntry

M = TypeVar("M", bound=models.Model)


def actor_label(by: Any) -> str:
    """The stored label of `by` (an Actor, a user or a label); see portal.actors."""
    return as_actor(by).label


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
    actor = as_actor(by)
    AuditEntry.objects.create(
        actor=actor.user,
        actor_label=actor.label,
        actor_kind=actor.kind,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        store_id=store_id_of(obj),
        transition=name,
        from_state=str(source),
        to_state=str(getattr(obj, field)),
        reason=reason or "",
        data=data or {},
    )
    return obj


def store_id_of(obj: models.Model) -> int | None:
    """The store an object belongs to, for scoping audit rows (the store itself included)."""
    if obj._meta.label == "shop.Store":
        return obj.pk
    return getattr(obj, "store_id", None)


def audit_for(obj: models.Model):
    """The object's audit timeline, oldest first."""
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=obj.pk
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
