"""Inducing reviews is forbidden (DOMAIN.md Reviews: cash-back cards, SMS): detected in what is written.

A merchant's reply that offers something for a good review is refused; a buyer's review or follow-up that
mentions such an offer opens one 诱导好评 complaint per order for support staff (who uphold or dismiss it in
the admin; upheld complaints count in the store's evaluation).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed

from ..models import Complaint, ComplaintCategory
from .complaints import complaint_file

if TYPE_CHECKING:
    from ..models import Review


@lru_cache(maxsize=4)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def inducement_phrase(text: str) -> str:
    """The words of `text` that offer (or report) something for a good review; "" when there are none."""
    compact = re.sub(r"\s+", "", text or "")
    for pattern in _compiled(tuple(settings.REVIEW_INDUCEMENT_PATTERNS)):
        if match := pattern.search(compact):
            return match.group(0)
    return ""


def refuse_inducing_reply(text: str) -> None:
    if phrase := inducement_phrase(text):
        message = _("回复中不能出现诱导好评的内容（“%(phrase)s”）。") % {"phrase": phrase}
        raise ValidationFailed(message, code="induced_review", fields={"text": [message]})


def report_inducement(review: Review, text: str) -> Complaint | None:
    """A buyer's words mention an inducement: one 诱导好评 complaint of the order for support (else None)."""
    phrase = inducement_phrase(text)
    if not phrase:
        return None
    category = ComplaintCategory.INDUCED_REVIEW
    if Complaint.objects.filter(order_id=review.order_id, category=category).exists():
        return None
    content = _("系统检测：买家评价中提到“%(phrase)s”，疑似诱导好评。") % {"phrase": phrase}
    return complaint_file(
        store=review.store,
        buyer_ref=review.buyer_ref,
        category=category,
        content=content,
        order=review.order,
        by="system",
    )
