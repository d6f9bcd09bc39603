"""Who acts: one typed `Actor` passed as `by` to every service.

Kinds: platform staff, a merchant member, a storefront (acting for a buyer), a courier, a payment provider,
the system (sweeps, webhooks bookkeeping, demo data). An actor has a stored `label` (a username, or
`buyer:<ref>`, `courier:<code>`, `payment:<provider>`, `system`: the audit trail's `actor_label`), an
optional user (the audit row's user foreign key), and the store it acts for when it has one.

Build actors at the edge: `Actor.staff(request.user)` in the admin, `merchant_actor(request)` on merchant
pages and merchant API operations, `Actor.storefront(buyer_ref, ...)` on buyer operations,
`Actor.courier(code)` and `Actor.payment_provider(name)` in callbacks, `SYSTEM` in sweeps.

During the move services still accept a bare user or label (`By`); `as_actor` turns either into an Actor
so the audit row always has a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import User


class ActorKind(models.TextChoices):
    STAFF = "staff", _("平台员工")
    MERCHANT = "merchant", _("商家")
    STOREFRONT = "storefront", _("买家（店面）")
    COURIER = "courier", _("快递公司")
    PAYMENT_PROVIDER = "payment_provider", _("支付渠道")
    SYSTEM = "system", _("系统")


# Label prefixes of the actors without a user, as stored in the audit trail.
PREFIXES: dict[str, ActorKind] = {
    "buyer": ActorKind.STOREFRONT,
    "storefront": ActorKind.STOREFRONT,
    "courier": ActorKind.COURIER,
    "payment": ActorKind.PAYMENT_PROVIDER,
}


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user: User | None = None
    store_id: int | None = None

    # --- builders --------------------------------------------------------------------------------

    @classmethod
    def staff(cls, user: User) -> Actor:
        return cls(ActorKind.STAFF, user.get_username(), user=user)

    @classmethod
    def merchant(cls, user: User, store_id: int | None = None) -> Actor:
        return cls(ActorKind.MERCHANT, user.get_username(), user=user, store_id=store_id)

    @classmethod
    def storefront(cls, buyer_ref: str, store_id: int | None = None) -> Actor:
        return cls(ActorKind.STOREFRONT, f"buyer:{buyer_ref}", store_id=store_id)

    @classmethod
    def courier(cls, code: str) -> Actor:
        return cls(ActorKind.COURIER, f"courier:{code}")

    @classmethod
    def payment_provider(cls, name: str) -> Actor:
        return cls(ActorKind.PAYMENT_PROVIDER, f"payment:{name}")

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(ActorKind.SYSTEM, label)

    # --- questions -------------------------------------------------------------------------------

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF and self.user is not None and bool(self.user.is_staff)

    def has_perm(self, perm: str) -> bool:
        """A platform permission (portal.roles): only staff hold them; a superuser holds all."""
        return self.is_staff and self.user is not None and bool(self.user.has_perm(perm))

    @property
    def display(self) -> str:
        """A human label: the user's name, or the kind with its reference (买家 b1, 快递公司 SF, 系统)."""
        if self.user is not None:
            return self.user.get_username()
        ref = self.label.split(":", 1)[1] if ":" in self.label else ""
        return f"{self.kind.label} {ref}".strip() if ref else str(self.kind.label)

    def __str__(self) -> str:
        return self.label


SYSTEM = Actor.system()

# What services accept as `by` while call sites move to Actor.
By = Union[Actor, "User", str, None]


def as_actor(by: Any) -> Actor:
    """The Actor for `by`: an Actor as is; a user (staff or merchant); a stored label; None is the system."""
    if isinstance(by, Actor):
        return by
    if by is None:
        return SYSTEM
    if isinstance(by, str):
        prefix = by.split(":", 1)[0] if ":" in by else ""
        return Actor(PREFIXES.get(prefix, ActorKind.SYSTEM), by)
    if hasattr(by, "get_username"):
        if getattr(by, "pk", None) is None:  # an integration whose creating user is gone
            return Actor(ActorKind.MERCHANT, by.get_username())
        kind = ActorKind.STAFF if getattr(by, "is_staff", False) else ActorKind.MERCHANT
        return Actor(kind, by.get_username(), user=by)
    return Actor.system(str(by))


def user_of(by: Any) -> User | None:
    """The user behind `by`, for a foreign key such as `created_by` or `decided_by` (None for non-users)."""
    return as_actor(by).user


def actor_label(by: Any) -> str:
    """The label stored on an audit or ledger row for `by`."""
    return as_actor(by).label


def merchant_actor(request: Any) -> Actor:
    """The merchant acting in a request: the session's user (or an API key's creator) for the store it acts for."""
    store = getattr(request, "store", None)
    store_id = getattr(store, "pk", None) if store else None
    user = request.user
    if getattr(user, "pk", None) is None:
        return Actor(ActorKind.MERCHANT, user.get_username(), store_id=store_id)
    return Actor.merchant(user, store_id=store_id)


def require_perm(by: Any, perm: str) -> None:
    """A platform decision needs the staff permission (portal.roles; a superuser holds all).

    The system (sweeps, demo data, a stored system label) passes; merchants, storefronts, couriers and
    payment providers never hold platform permissions.
    """
    actor = as_actor(by)
    if actor.kind == ActorKind.SYSTEM:
        return
    if not actor.has_perm(perm):
        from .exceptions import PermissionDenied

        raise PermissionDenied()
