from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("发货与物流")

    def ready(self) -> None:
        from portal import hooks

        from . import (  # noqa: F401  sweeps, dashboard: registries; actions, timeline: phrases and actions
            actions,
            dashboard,
            selectors,
            services,
            story,
            sweeps,
            timeline,
            waybills,
        )

        hooks.order_cancelled.register(services.order_shipments_cancel)  # a cancelled order's booked parcel
        hooks.pickup_scanned_orders.register(selectors.orders_with_pickup_scan)  # fake-shipping detection
        hooks.pickup_scan_exists.register(selectors.pickup_scan_exists)  # ... in SQL, for the sweep
        hooks.pickup_scan_stalled.register(selectors.pickup_scan_stalled)  # no further scan after pickup
        hooks.waybill_validate.register(waybills.validate_self_ship_waybill)  # formats: the Courier table
        hooks.courier_choices.register(waybills.courier_choices)
        hooks.store_metrics.register(selectors.store_metrics)  # pickup SLA breaches of the store evaluation
        hooks.order_story.register(story.order_parcels)  # the order's parcels (page, API)
        hooks.order_live_parcels.register(story.live_booked_parcels)  # no self-ship beside a booked parcel
        hooks.waybill_parcel_orders.register(story.orders_of_waybill)  # no self-ship on another's parcel
