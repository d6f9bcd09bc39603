from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("发货与物流")

    def ready(self) -> None:
        from shop.services import orders
        from shop.services.orders import deadlines as order_deadlines

        from . import selectors, services, sweeps  # noqa: F401  sweeps: the SLA watch, the sandbox clock and tracking polls

        order_deadlines.PICKUP_SCAN_LOOKUP = selectors.orders_with_pickup_scan  # fake-shipping detection
        if services.order_shipments_cancel not in orders.ORDER_CANCELLED_HOOKS:
            orders.ORDER_CANCELLED_HOOKS.append(services.order_shipments_cancel)  # a cancelled order's parcel
