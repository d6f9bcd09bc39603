"""One shape for every state machine's table test (tests/shipping/test_transitions.py is the model):
each transition from each state: allowed → the target state and one audit row naming from/to; refused →
IllegalTransition and nothing changed (status, audit rows, and whatever `unchanged` reads: stock, ledgers).
`check_edits` is the same for same-state edits (`portal.fsm.edit`): allowed → the state stays and one audit
row names the verb with no from/to state; refused → IllegalTransition and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from portal.actions import available_actions
from portal.exceptions import IllegalTransition
from portal.fsm import edit, is_transition, transition
from portal.models import AuditEntry
from tests.conftest import force_status


def audit_rows() -> int:
    return AuditEntry.objects.count()


def check_table(
    make: Callable[[str], Any],
    allowed: dict[str, tuple[set[str], str | None]],
    states: list[str],
    *,
    field: str = "status",
    kwargs: dict[str, dict] | None = None,
    unchanged: Callable[[Any], Any] = lambda obj: None,
) -> None:
    """`allowed`: transition → (source states, target state; None = stays). `make(state)` gives a fresh object."""
    for name, (sources, target) in allowed.items():
        for state in states:
            obj = make(state)
            before_rows, before_other = audit_rows(), unchanged(obj)
            case = f"{type(obj).__name__}.{name} from {state}"
            if state in sources:
                transition(obj, name, by="test", field=field, **(kwargs or {}).get(name, {}))
                obj.refresh_from_db()
                assert getattr(obj, field) == (target or state), case
                entry = AuditEntry.objects.order_by("-id").first()
                assert audit_rows() == before_rows + 1, case
                assert (entry.transition, entry.from_state, entry.to_state) == (name, state, target or state), case
                assert entry.object_id == obj.pk, case
            else:
                with pytest.raises(IllegalTransition):
                    transition(obj, name, by="test", field=field, **(kwargs or {}).get(name, {}))
                fresh = type(obj).objects.get(pk=obj.pk)
                assert getattr(fresh, field) == state, case
                assert audit_rows() == before_rows, case
                assert unchanged(fresh) == before_other, case


def check_actions(obj: Any, table: dict[str, dict[str, set[str]]], actors: dict[str, Any], states: list[str]) -> None:
    """`table[state][actor name]` = the actions `available_actions` must answer (missing actor: none)."""
    for state in states:
        force_status(obj, state)
        for actor_name, actor in actors.items():
            got = set(available_actions(obj, actor))
            want = table.get(state, {}).get(actor_name, set())
            assert got == want, f"{type(obj).__name__} {state} / {actor_name}: {sorted(got)} != {sorted(want)}"


def check_edits(
    make: Callable[[str], Any],
    allowed: dict[str, set[str]],
    states: list[str],
    *,
    kwargs: dict[str, dict] | None = None,
    unchanged: Callable[[Any], Any] = lambda obj: None,
) -> None:
    """`allowed`: edit verb → the states it is allowed in. An edit is no FSM transition: its audit row has
    the verb and no from/to state, and the object stays in its state."""
    for verb, sources in allowed.items():
        for state in states:
            obj = make(state)
            assert not is_transition(obj, verb), f"{type(obj).__name__}.{verb} still poses as a transition"
            before_rows, before_other = audit_rows(), unchanged(obj)
            case = f"{type(obj).__name__}.{verb} in {state}"
            if state in sources:
                edit(obj, verb, by="test", **(kwargs or {}).get(verb, {}))
                obj.refresh_from_db()
                assert obj.status == state, case
                entry = AuditEntry.objects.order_by("-id").first()
                assert audit_rows() == before_rows + 1, case
                assert (entry.transition, entry.from_state, entry.to_state) == (verb, "", ""), case
                assert entry.object_id == obj.pk, case
            else:
                with pytest.raises(IllegalTransition):
                    edit(obj, verb, by="test", **(kwargs or {}).get(verb, {}))
                fresh = type(obj).objects.get(pk=obj.pk)
                assert fresh.status == state, case
                assert audit_rows() == before_rows, case
                assert unchanged(fresh) == before_other, case
