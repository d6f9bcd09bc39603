from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("店铺、商品与订单")

    def ready(self) -> None:
        from . import (  # noqa: F401  register the app's to-do cards, charts, sweeps, actions, timeline phrases
            actions,
            dashboard,
            sweeps,
            timeline,
        )
        from .services import deposit  # noqa: F401  registers the deposit payment handler
