from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("售后与评价")

    def ready(self) -> None:
        from . import (
            actions,  # noqa: F401  the actions of the app's state machines (portal.actions)
            story,  # noqa: F401  the app's part of an order's story (portal.hooks)
            sweeps,  # noqa: F401  registers the deadline sweeps
            timeline,  # noqa: F401  timeline phrases of the app's audit verbs
        )
