from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("售后与评价")

    def ready(self) -> None:
        from portal import hooks

        from . import (  # noqa: F401  register the to-do cards, charts, sweeps, actions and timeline phrases
            actions,
            dashboard,
            selectors,
            story,
            sweeps,
            timeline,
        )
        from .services import evaluation

        hooks.order_in_aftersales.register(selectors.in_aftersales)  # the 售后中 flag of shop's order lists
        hooks.store_aftersales_order_ids.register(selectors.open_request_order_ids)  # the 售后中 tab and count
        hooks.order_refund_status.register(selectors.refund_status)  # the platform refund status (1–4)
        hooks.store_metrics.register(evaluation.store_metrics)  # DSR, after-sales rate, disputes, complaints
        hooks.store_rating.register(selectors.dsr)  # the evaluation page's DSR
        hooks.order_story.register(story.order_requests)  # the order's after-sales requests (page, API)
