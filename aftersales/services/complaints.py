"""Buyer complaints about a store, handled by support staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from portal.actions import require_action
from portal.actors import require_perm, user_of
from portal.events import emit
from portal.fsm import transition

from ..models import (
    Complaint,
)
from .common import _check_buyer

if TYPE_CHECKING:
    from shop.models import Order, Store


@transaction.atomic
def complaint_file(
    *, store: Store, buyer_ref: str, category: str, content: str, order: Order | None = None, by
) -> Complaint:
    """A buyer complains about a store; support staff handle it in the admin."""
    if order is not None:
        _check_buyer(order, buyer_ref)
    complaint = Complaint.objects.create(
        store=store, order=order, buyer_ref=buyer_ref, category=category, content=content[:1000]
    )
    emit(
        type="complaint.received",
        store_id=store.pk,
        title=_("收到买家投诉：%(c)s") % {"c": complaint.get_category_display()},
        body=content[:200],
        data={"complaint_id": complaint.pk, "category": category},
    )
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, upheld: bool, resolution: str, by) -> Complaint:
    """Staff uphold or dismiss a complaint, with the resolution text."""
    require_perm(by, "aftersales.change_complaint")
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    require_action(complaint, by, "uphold" if upheld else "dismiss")
    complaint.resolution = resolution[:500]
    complaint.handled_by = user_of(by)
    transition(complaint, "uphold" if upheld else "dismiss", by=by, reason=resolution)
    return complaint
