"""Template helpers every page shares: money in fen, countdowns to deadlines."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from portal import hooks
from portal.actions import available_actions
from portal.audit import timeline_rows
from portal.i18n import stored_text
from portal.status import tone_of

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """12345 → ¥123.45"""
    if fen in (None, ""):
        return "—"
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def remaining(deadline: datetime, now: datetime | None = None) -> tuple[str, str]:
    """(text, css class) for a deadline, computed from the clock: overdue is right even between sweeps."""
    now = now or timezone.now()
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        late = -seconds
        return _("已超时 %(h)d小时%(m)d分") % {"h": late // 3600, "m": late % 3600 // 60}, "overdue"
    near = settings.PORTAL_TIME_RULES["ship_by_near"].total_seconds()
    days, rest = divmod(seconds, 86400)
    text = _("剩余 %(h)d小时%(m)d分") % {"h": rest // 3600, "m": rest % 3600 // 60}
    if days:
        text = _("剩余 %(d)d天%(h)d小时") % {"d": days, "h": rest // 3600}
    return text, "near" if seconds <= near else ""


@register.simple_tag
def countdown(deadline: datetime | None):
    """<span class="countdown …" data-deadline="ISO">剩余 3小时20分</span>"""
    if deadline is None:
        return "—"
    text, css = remaining(deadline)
    return format_html(
        '<span class="countdown {}" data-deadline="{}" title="{}">{}</span>',
        css,
        deadline.isoformat(),
        timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
        text,
    )


@register.filter(name="timeline_rows")
def timeline_rows_filter(entries):
    """`{% for e in timeline|timeline_rows %}`: local time, human actor, verb phrase (portal.audit)."""
    return timeline_rows(entries)


@register.filter
def tone(obj, field: str = "status") -> str:
    """`<span class="badge {{ order|tone }}">`: the badge tone its app declared for the status (portal.status)."""
    return tone_of(obj, field)


@register.filter
def actions_for(obj, actor) -> frozenset[str]:
    """`{% with acts=shipment|actions_for:request.user %}{% if "cancel" in acts %}`: portal.actions."""
    return available_actions(obj, actor)


@register.filter
def courier_name(code: str) -> str:
    """A courier's name for a code (the couriers the platform lists, `hooks.courier_choices`); the code if unknown."""
    if not code:
        return ""
    return stored_text(dict(hooks.courier_choices.call()).get(code, code))


@register.filter
def system_text(text) -> str:
    """System-generated text stored in a row, read in the active language (`portal.i18n.stored_text`)."""
    return stored_text(text)
