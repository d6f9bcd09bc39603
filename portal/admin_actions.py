"""Admin bulk actions over a queryset: act on each selected row the staff member is offered the action for.

`run_on_each` re-checks every row with `portal.actions.check_action` (the answer the change page and the
API give, from the state machine and the role's permissions) before calling the service, which checks it
again under its row lock. Rows the action does not apply to are skipped and reported by name, so a bulk
action over mixed statuses never does what no page would offer, and says what it left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.utils.translation import gettext as _

from .actions import check_action
from .actors import Actor
from .exceptions import DomainError


def run_on_each(
    modeladmin: Any,
    request: Any,
    queryset: Any,
    call: Callable[[Any], Any],
    *,
    action: str | None = None,
    done_message: str | None = None,
    with_fields: bool = False,
) -> tuple[int, int]:
    """`call(obj)` for each selected object offering `action` (None: no declared action, the service decides).

    Reports each refusal as "<object>: <message>" (with the field errors when `with_fields`) and the
    successes once (`done_message` with %(n)d). Returns (done, refused).
    """
    actor = Actor.staff(request.user)
    done = refused = 0
    for obj in queryset:
        try:
            if action is not None:
                check_action(obj, actor, action)
            call(obj)
            done += 1
        except DomainError as exc:
            refused += 1
            detail = ""
            if with_fields:
                detail = "; ".join(str(m) for msgs in exc.fields.values() for m in msgs if str(m) != str(exc.message))
            modeladmin.message_user(request, f"{obj}: {exc.message} {detail}".strip(), messages.ERROR)
    if done:
        modeladmin.message_user(request, (done_message or _("已处理 %(n)d 项。")) % {"n": done}, messages.SUCCESS)
    return done, refused
