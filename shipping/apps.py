from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("发货与物流")

    def ready(self) -> None:
        from . import sweeps  # noqa: F401  registers the SLA watch, the sandbox clock and tracking polls
