from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("平台")

    def ready(self) -> None:
        from . import notifications  # noqa: F401  registers the notification outlet
        from .api import schema  # noqa: F401  OpenAPI extension for API keys
        from .webhooks import outlet  # noqa: F401  registers the webhook outlet and its sweep
