"""The audit trail: one writer (`audit_record`) and one reader for people (`timeline_rows`).

`audit_record` writes the append-only row for every user-visible write: a state transition
(`portal.fsm.transition` calls it), or a field edit / create / delete named by its verb
(`audit_record(key, "api_key.create", by=user)`), which then has no from/to state.

Timelines speak the merchant's language: a translated verb phrase per (model, verb) that apps
register with `verbs(...)`, a human actor (`actor_display`: 系统, 买家, 顺丰快递, a staff name) and
local time (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .actors import as_actor
from .models import AuditEntry

# --- who -------------------------------------------------------------------------------------------

# Label prefixes ("courier:SF") → a function naming that actor. Apps register their own
# (shipping names couriers from its Courier table) so portal imports no app.
ACTOR_NAMERS: dict[str, Callable[[str], str]] = {}
FIXED_ACTORS = {
    "system": gettext_lazy("系统"),
    "webhooks": gettext_lazy("系统"),
    "demo": gettext_lazy("演示数据"),
    "demo-buyer": gettext_lazy("买家"),
    "test": gettext_lazy("系统"),
}
PREFIXED_ACTORS = {
    "buyer": gettext_lazy("买家"),
    "payment": gettext_lazy("支付渠道"),
    "courier": gettext_lazy("快递公司"),
    "storefront": gettext_lazy("买家"),
}


def actor_namer(prefix: str):
    """Register how labels `<prefix>:<value>` are shown: `@actor_namer("courier") def name(code): ...`."""

    def register(func: Callable[[str], str]):
        ACTOR_NAMERS[prefix] = func
        return func

    return register


def actor_label(by: Any) -> str:
    """The label stored on an audit row for `by`: a user's username, an Actor's label, or the string."""
    if by is None:
        return "system"
    if isinstance(by, str):
        return by
    label = getattr(by, "label", None)  # a typed Actor
    if isinstance(label, str) and not hasattr(by, "get_username"):
        return label
    return getattr(by, "get_username", lambda: str(by))()


def actor_user(by: Any):
    """The user behind `by`, if any (a user, or an Actor carrying one)."""
    if isinstance(by, str) or by is None:
        return None
    if hasattr(by, "get_username") and getattr(by, "pk", None) is not None:
        return by
    user = getattr(by, "user", None)
    return user if getattr(user, "pk", None) is not None else None


def actor_display(by: Any) -> str:
    """How people see an actor: 系统, 买家, 顺丰快递, 支付渠道, or a person's name (staff marked 平台).

    Accepts what may be found as `by` or on an audit row: a user, an Actor, a legacy label string,
    or an AuditEntry.
    """
    if isinstance(by, AuditEntry):
        return actor_display(by.actor if by.actor_id else by.actor_label)
    user = actor_user(by)
    if user is not None:
        name = user.get_full_name() or user.get_username()
        return _("平台 · %(name)s") % {"name": name} if user.is_staff else name
    label = actor_label(by)
    if label in FIXED_ACTORS:
        return str(FIXED_ACTORS[label])
    prefix, sep, value = label.partition(":")
    if sep:
        namer = ACTOR_NAMERS.get(prefix)
        if namer is not None:
            try:
                named = namer(value)
            except Exception:  # a name is decoration: never let it break a page
                named = ""
            if named:
                return named
        if prefix in PREFIXED_ACTORS:
            return str(PREFIXED_ACTORS[prefix])
    return label


# --- what ------------------------------------------------------------------------------------------

# (app_label.ModelName) → {verb: phrase}; registered by each app for its models.
VERBS: dict[str, dict[str, Any]] = {}
GENERIC_VERBS = {
    "create": gettext_lazy("创建"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
}


def verbs(model_label: str, phrases: dict[str, Any]) -> None:
    """Register the timeline phrase of each verb (transition name or edit) of a model."""
    VERBS.setdefault(model_label, {}).update(phrases)


def _state_label(model: type[models.Model] | None, field: str, value: str) -> str:
    if model is None or not value:
        return value
    try:
        choices = dict(model._meta.get_field(field).flatchoices)
    except Exception:
        return value
    return str(choices.get(value, value))


def verb_phrase(entry: AuditEntry) -> str:
    """The translated phrase of an audit row: "发货", "审核通过", or "状态改为 已发货" at worst."""
    model = entry.content_type.model_class()
    label = model._meta.label if model else ""
    phrase = VERBS.get(label, {}).get(entry.transition)
    if phrase is None:
        phrase = GENERIC_VERBS.get(entry.transition.rpartition(".")[2])
    if phrase is not None:
        return str(phrase)
    if entry.to_state and entry.to_state != entry.from_state:
        return _("状态改为 %(state)s") % {
            "state": _state_label(model, entry.data.get("field", "status"), entry.to_state)
        }
    return _("操作")


# --- write -----------------------------------------------------------------------------------------


def store_id_of(obj: models.Model) -> int | None:
    """The store an object belongs to, for scoping audit rows (the store itself included)."""
    if obj._meta.label == "shop.Store":
        return obj.pk
    return getattr(obj, "store_id", None)


def audit_record(
    obj: models.Model,
    verb: str,
    *,
    by: Any,
    reason: str = "",
    data: dict | None = None,
    from_state: str = "",
    to_state: str = "",
    store_id: int | None = None,
) -> AuditEntry:
    """Write one append-only audit row: who did `verb` to `obj`, when and why.

    Transitions pass from/to states; edits, creations and deletions name their verb and leave them empty.
    """
    entry = audit_entry(
        obj, verb, by=by, reason=reason, data=data, from_state=from_state, to_state=to_state, store_id=store_id
    )
    entry.save()
    return entry


def audit_entry(
    obj: models.Model,
    verb: str,
    *,
    by: Any,
    reason: str = "",
    data: dict | None = None,
    from_state: str = "",
    to_state: str = "",
    store_id: int | None = None,
) -> AuditEntry:
    """The unsaved audit row `audit_record` writes; set-based writers bulk-create a list of them."""
    actor = as_actor(by)
    return AuditEntry(
        actor=actor.user,
        actor_label=actor.label[:150],
        actor_kind=actor.kind,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        store_id=store_id if store_id is not None else store_id_of(obj),
        transition=verb,
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        reason=reason or "",
        data=data or {},
    )


# --- read ------------------------------------------------------------------------------------------


def audit_for(obj: models.Model):
    """The object's audit timeline, oldest first."""
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=obj.pk
        )
        .select_related("actor", "content_type")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class TimelineRow:
    at: datetime  # local time
    actor: str
    verb: str
    reason: str
    entry: AuditEntry


def timeline_rows(entries: Iterable[AuditEntry]) -> list[TimelineRow]:
    """What a page or the admin shows for each audit row: local time, human actor, verb phrase, reason."""
    return [
        TimelineRow(
            at=timezone.localtime(e.created_at),
            actor=actor_display(e),
            verb=verb_phrase(e),
            reason=e.reason,
            entry=e,
        )
        for e in entries
    ]


def timeline_for(obj: models.Model) -> list[TimelineRow]:
    return timeline_rows(audit_for(obj))


def timeline_html(obj_or_entries) -> str:
    """The admin's read-only timeline field: one line per row, local time, actor, verb phrase, reason."""
    entries = obj_or_entries if not isinstance(obj_or_entries, models.Model) else audit_for(obj_or_entries)
    rows = [
        (r.entry.transition, f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.verb, r.reason) for r in timeline_rows(entries)
    ]
    if not rows:
        return "—"
    return format_html(
        "<ol>{}</ol>", format_html_join("", '<li data-verb="{}">{} · <b>{}</b> · {} <i>{}</i></li>', rows)
    )


verbs(
    "portal.Payment",
    {"succeed": gettext_lazy("支付成功"), "fail": gettext_lazy("支付失败"), "close": gettext_lazy("支付关闭")},
)
verbs("portal.Refund", {"succeed": gettext_lazy("退款成功"), "fail": gettext_lazy("退款失败")})
verbs("portal.WebhookDelivery", {"succeed": gettext_lazy("推送成功"), "give_up": gettext_lazy("推送失败，停止重试")})


class AuditedEditsMixin:
    """For ModelAdmins of rules and reference data (deposit rules, evaluation rules, couriers): every add,
    change and delete a staff member makes in the admin writes an audit row naming the changed fields."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        changed = {name: str(form.cleaned_data.get(name, ""))[:200] for name in form.changed_data}
        audit_record(obj, "update" if change else "create", by=request.user, data={"changed": changed})

    def delete_model(self, request, obj) -> None:
        audit_record(obj, "delete", by=request.user, reason=str(obj)[:200])
        super().delete_model(request, obj)


verbs("portal.ApiKey", {"create": gettext_lazy("创建 API 密钥"), "revoke": gettext_lazy("吊销 API 密钥")})
verbs(
    "portal.WebhookEndpoint",
    {
        "create": gettext_lazy("新建推送地址"),
        "update": gettext_lazy("修改推送地址"),
        "rotate_secret": gettext_lazy("更换签名密钥"),
        "enable": gettext_lazy("启用推送地址"),
        "disable": gettext_lazy("停用推送地址"),
    },
)
verbs("portal.Membership", {"create": gettext_lazy("添加店铺成员")})
