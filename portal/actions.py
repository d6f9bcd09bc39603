"""Available actions come from the state machine: `available_actions(obj, actor)`.

Each app declares, per FSM model, the actions people may take (`declare(...)`): the FSM transition
an action runs (its source states and `conditions` are the FSM's own) or the same-state edit it makes
(`edit`: the model's `can_<edit>()` answers, see `portal.fsm.edit`), who may take it (`who`),
and any rule beyond the FSM (`when`, e.g. "no live booked parcel"). Pages and the admin offer exactly
`available_actions(obj, actor)`, the API and every POST re-check it with `check_action`, so what a
page shows cannot drift from what the service accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .exceptions import IllegalTransition
from .models import Membership

Predicate = Callable[[Any, Any], bool]  # (obj, actor) -> bool


@dataclass(frozen=True)
class Action:
    name: str
    transition: str | None = None  # FSM transition that must be available now (None: no FSM gate)
    edit: str | None = None  # or a same-state edit (portal.fsm.edit) its model's `can_<edit>()` must allow
    who: Predicate | None = None  # the actor may take it
    when: Callable[[Any], bool] | None = None  # the object's other rules allow it
    field: str = "status"


ACTIONS: dict[str, list[Action]] = {}


def declare(model_label: str, actions: Iterable[Action]) -> None:
    """Declare the actions of one FSM model ("shop.Order"); declaring again replaces them."""
    ACTIONS[model_label] = list(actions)


def fsm_transitions(obj: Any, field: str = "status") -> set[str]:
    """Names of the FSM transitions of `field` available from the object's state, guards included."""
    getter = getattr(obj, f"get_available_{field}_transitions")
    return {t.name for t in getter()}


def available_actions(obj: Any, actor: Any, *, only: Iterable[str] | None = None) -> frozenset[str]:
    """What `actor` may do to `obj` now: its model's declared actions the FSM and the actor allow."""
    declared = ACTIONS.get(obj._meta.label, [])
    wanted = set(only) if only is not None else None
    fsm: dict[str, set[str]] = {}
    allowed = set()
    for action in declared:
        if wanted is not None and action.name not in wanted:
            continue
        if action.transition is not None:
            if action.field not in fsm:
                fsm[action.field] = fsm_transitions(obj, action.field)
            if action.transition not in fsm[action.field]:
                continue
        if action.edit is not None and not getattr(obj, f"can_{action.edit}")():
            continue
        if action.who is not None and not action.who(obj, actor):
            continue
        if action.when is not None and not action.when(obj):
            continue
        allowed.add(action.name)
    return frozenset(allowed)


def check_action(obj: Any, actor: Any, name: str | Iterable[str]) -> None:
    """The POST re-check: refuse (409) an action the page would not have offered.

    `name` may be several names of one service (an order's cancel is "cancel" for its merchant,
    "buyer_cancel" for the buyer, "cancel_and_refund" for staff): one of them must be available.
    The code says why: `illegal_transition` when the object's state rules every one of them out (as
    `transition` would say), `action_not_available` when the state allows it but not for this actor or
    not under the object's other rules.
    """
    names = [name] if isinstance(name, str) else list(name)
    if available_actions(obj, actor, only=names):
        return
    code = "action_not_available" if _state_allows(obj, names) else "illegal_transition"
    raise IllegalTransition(_("当前状态不允许此操作。"), code=code)


def _state_allows(obj: Any, names: list[str]) -> bool:
    """One of the named actions passes its FSM transition or edit predicate (whoever asks)."""
    for action in ACTIONS.get(obj._meta.label, []):
        if action.name not in names:
            continue
        if action.transition is not None and action.transition not in fsm_transitions(obj, action.field):
            continue
        if action.edit is not None and not getattr(obj, f"can_{action.edit}")():
            continue
        return True
    return False


# Actors who choose actions on a page, the admin or the API. The system (sweeps, demo data), couriers and
# payment providers report facts: the FSM (`transition`) and each service's own rules check those.
PEOPLE = frozenset({"staff", "merchant", "buyer"})


def require_action(obj: Any, by: Any, *names: str) -> None:
    """The service's re-check, so an API POST or an admin bulk action cannot do what no page offers.

    A person (`PEOPLE`) must have one of `names` in `available_actions(obj, by)`; other actors pass.
    Call it on the locked row, after the service's own, more specific refusals (their codes name the cause).
    """
    if actor_kind(by) in PEOPLE:
        check_action(obj, by, names)


# --- who: one place that reads an actor (a user, an API key's user, a label string or a typed Actor) ----


def _user(actor: Any):
    user = getattr(actor, "user", None) if not hasattr(actor, "get_username") else actor
    return user if getattr(user, "is_authenticated", False) else None


def actor_kind(actor: Any) -> str:
    """ "staff", "merchant", "buyer", "courier", "payment" or "system"."""
    kind = getattr(actor, "kind", None)
    if isinstance(kind, str) and not hasattr(actor, "get_username"):
        return {"storefront": "buyer", "member": "merchant"}.get(kind, kind)
    if isinstance(actor, str) or actor is None:
        prefix = (actor or "system").partition(":")[0]
        return {"buyer": "buyer", "storefront": "buyer", "courier": "courier", "payment": "payment"}.get(
            prefix, "system"
        )
    user = _user(actor)
    if user is None:
        return "system"
    return "staff" if user.is_staff else "merchant"


def is_member(obj: Any, actor: Any) -> bool:
    """The actor is a member (any role) of the object's store, or a merchant Actor acting for that store
    (`merchant_actor`: the session's store, checked against the memberships by the tenancy middleware, or
    an API key's own store, also when the key's creating user is gone)."""
    if _keyed_merchant_of(obj, actor):
        return True
    user = _user(actor)
    return user is not None and getattr(user, "pk", None) is not None and _has_membership(user, obj)


def _keyed_merchant_of(obj: Any, actor: Any) -> bool:
    kind = getattr(actor, "kind", None)
    store_id = getattr(actor, "store_id", None)
    return kind == "merchant" and store_id is not None and store_id == _store_id(obj)


def is_owner(obj: Any, actor: Any) -> bool:
    user = _user(actor)
    return user is not None and _has_membership(user, obj, role="owner")


def _store_id(obj: Any) -> int | None:
    return obj.pk if obj._meta.label == "shop.Store" else getattr(obj, "store_id", None)


def _has_membership(user: Any, obj: Any, role: str | None = None) -> bool:
    store_id = _store_id(obj)
    if store_id is None or getattr(user, "pk", None) is None:
        return False
    current = getattr(user, "_current_membership", None)  # set by the tenancy middleware
    if current is not None and current[0] == store_id:
        return role is None or current[1] == role
    cache = getattr(user, "_store_roles", None)  # one query per request's user
    if cache is None or store_id not in cache:  # a miss re-reads: the user may have joined a store since
        cache = dict(Membership.objects.filter(user_id=user.pk).values_list("store_id", "role"))
        user._store_roles = cache
    return store_id in cache and (role is None or cache[store_id] == role)


def is_buyer(obj: Any, actor: Any) -> bool:
    return actor_kind(actor) == "buyer"


def is_system(obj: Any, actor: Any) -> bool:
    return actor_kind(actor) in ("system", "courier", "payment")


def staff_with(perm: str) -> Predicate:
    """A platform staff member holding `perm` ("shop.review_store")."""

    def check(obj: Any, actor: Any) -> bool:
        user = _user(actor)
        return user is not None and user.is_staff and user.has_perm(perm)

    return check


def any_of(*predicates: Predicate) -> Predicate:
    def check(obj: Any, actor: Any) -> bool:
        return any(p(obj, actor) for p in predicates)

    return check


# --- portal's own state machines ---------------------------------------------------------------------

declare("portal.Payment", [Action("pay", transition="succeed")])  # the sandbox cashier offers paying a pending payment
declare("portal.Refund", [])  # refunds move with the provider's answer only
declare(
    "portal.WebhookDelivery",
    [Action("give_up", transition="give_up", who=is_member)],
)
