"""Courier accounts of a store (kuaidi100 商家寄件): connect, test with a free price query, choose couriers.

Secrets are encrypted at rest (`portal.encryption`), never shown again and never logged: a new
key/secret/salt is a new account row (bookings keep the account they were made with, so their
callbacks are still verified with the salt they were booked with).
"""

from __future__ import annotations

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import ValidationFailed
from portal.fsm import actor_label
from portal.models import AuditEntry

from ..carriers.kuaidi100 import Kuaidi100Adapter, Kuaidi100Error, Kuaidi100Unavailable
from ..models import Courier, CourierAccount

logger = logging.getLogger(__name__)


def _audit(account: CourierAccount, action: str, *, by, reason: str = "", data: dict | None = None) -> None:
    AuditEntry.objects.create(
        actor=by if getattr(by, "pk", None) and not isinstance(by, str) else None,
        actor_label=actor_label(by),
        content_type=ContentType.objects.get_for_model(CourierAccount),
        object_id=account.pk,
        object_repr=str(account)[:200],
        store_id=account.store_id,
        transition=action,
        from_state="",
        to_state="active" if account.is_active else "inactive",
        reason=reason,
        data=data or {},
    )


def _offerable(courier_ids: list[int]) -> list[Courier]:
    couriers = list(Courier.objects.filter(pk__in=courier_ids, is_active=True).exclude(kuaidi100_code=""))
    if len(couriers) != len(set(courier_ids)):
        msg = _("所选快递不能通过快递100 下单。")
        raise ValidationFailed(msg, code="courier_not_offered", fields={"couriers": [msg]})
    return couriers


@transaction.atomic
def courier_account_connect(
    *, store, environment: str, key: str, secret: str, salt: str, courier_ids: list[int], by
) -> CourierAccount:
    """Connect (or replace) the store's kuaidi100 account; the previous one is deactivated. Audited."""
    key, secret, salt = (key or "").strip(), (secret or "").strip(), (salt or "").strip()
    errors = {}
    for name, value, limit in (("key", key, 64), ("secret", secret, 128), ("salt", salt, 100)):
        if not value:
            errors[name] = [_("必填。")]
        elif len(value) > limit:
            errors[name] = [_("最多 %(n)d 个字符。") % {"n": limit}]
    if environment not in CourierAccount.Environment.values:
        errors["environment"] = [_("环境无效。")]
    if errors:
        raise ValidationFailed(_("请检查账号信息。"), code="bad_account", fields=errors)
    couriers = _offerable(courier_ids)
    previous = list(
        CourierAccount.objects.select_for_update().filter(
            store=store, provider=CourierAccount.Provider.KUAIDI100, is_active=True
        )
    )
    for old in previous:
        old.is_active = False
        old.save(update_fields=["is_active", "updated_at"])
        _audit(old, "replace", by=by, reason=_("已连接新账号"))
    account = CourierAccount.objects.create(
        store=store,
        environment=environment,
        key=key,
        secret=secret,
        salt=salt,
        key_hint=key[-4:],
        created_by=by if getattr(by, "pk", None) and not isinstance(by, str) else None,
    )
    account.couriers.set(couriers)
    _audit(account, "connect", by=by, data={"environment": environment, "couriers": [c.code for c in couriers]})
    return account


@transaction.atomic
def courier_account_set_couriers(*, account: CourierAccount, courier_ids: list[int], by) -> CourierAccount:
    """Choose which couriers are booked through the account (the others stay with the sandbox). Audited."""
    account = CourierAccount.objects.select_for_update().get(pk=account.pk)
    couriers = _offerable(courier_ids)
    account.couriers.set(couriers)
    _audit(account, "set_couriers", by=by, data={"couriers": sorted(c.code for c in couriers)})
    return account


@transaction.atomic
def courier_account_disconnect(*, account: CourierAccount, by) -> CourierAccount:
    """Stop booking through the account (callbacks of its bookings are still accepted). Audited."""
    account = CourierAccount.objects.select_for_update().get(pk=account.pk)
    if account.is_active:
        account.is_active = False
        account.save(update_fields=["is_active", "updated_at"])
        _audit(account, "disconnect", by=by)
    return account


def courier_account_test(*, account: CourierAccount, by) -> tuple[bool, str]:
    """A free price query with the account (no lock held), then the outcome recorded. Returns (ok, message)."""
    try:
        count = Kuaidi100Adapter(account).test_connection()
        ok, message = True, _("连接成功：快递100 返回了 %(n)d 家快递的报价。") % {"n": count}
    except Kuaidi100Error as exc:
        ok, message = False, exc.reason
    except Kuaidi100Unavailable:
        ok, message = False, _("无法连接快递100（超时或服务不可用），请稍后重试。")
    with transaction.atomic():
        fields = {"verified_at": timezone.now(), "last_error": ""} if ok else {"last_error": message[:200]}
        CourierAccount.objects.filter(pk=account.pk).update(**fields, updated_at=timezone.now())
        account.refresh_from_db()
        _audit(account, "test", by=by, reason=message[:200], data={"ok": ok})
    logger.info("courier account %s tested: %s", account.pk, "ok" if ok else "failed")
    return ok, message
