from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("发货与物流")

    def ready(self) -> None:
        from portal import hooks

        from . import dashboard, selectors, services, sweeps, waybills  # noqa: F401  sweeps, dashboard: registries

        hooks.order_cancelled.register(services.order_shipments_cancel)  # a cancelled order's booked parcel
        hooks.pickup_scanned_orders.register(selectors.orders_with_pickup_scan)  # fake-shipping detection
        hooks.waybill_validate.register(waybills.validate_self_ship_waybill)  # formats: the Courier table
        hooks.courier_choices.register(waybills.courier_choices)
        hooks.store_metrics.register(selectors.store_metrics)  # pickup SLA breaches of the store evaluation
