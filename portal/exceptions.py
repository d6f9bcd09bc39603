"""Domain errors: raised by services, mapped once to 4xx for the API and to messages for pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the request. `code` is machine-readable and stable."""

    status_code = 400
    default_code = "invalid"
    default_message = _("请求无效。")

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None):
        self.message = str(message or self.default_message)
        self.code = code or self.default_code
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 400
    default_code = "validation_failed"


class IllegalTransition(DomainError):
    status_code = 409
    default_code = "illegal_transition"
    default_message = _("当前状态不允许此操作。")


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"
    default_message = _("操作冲突，请刷新后重试。")


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"
    default_message = _("您没有执行此操作的权限。")
