from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("店铺、商品与订单")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import (  # noqa: F401  register the app's to-do cards, charts, sweeps, actions, timeline phrases
            actions,
            dashboard,
            sweeps,
            timeline,
        )
        from .permissions import grant_staff_permissions
        from .services import deposit  # noqa: F401  registers the deposit payment handler

        post_migrate.connect(grant_staff_permissions, sender=self)
