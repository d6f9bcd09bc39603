"""Merchant pages: store evaluation (each metric, its trend and what would raise it)."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.views.generic import TemplateView

from portal import hooks
from portal.tenancy import MerchantMixin
from shop.models import EvaluationRule, StoreEvaluation
from shop.models.evaluation import Metric
from shop.selectors.stores import active_sanctions
from shop.services.evaluation import store_metrics

TREND_DAYS = 30


def sparkline(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a small inline trend (missing days skipped)."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(v for _i, v in known), max(v for _i, v in known)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in known)


class EvaluationView(MerchantMixin, TemplateView):
    template_name = "shop/evaluation/evaluation.html"

    def get_context_data(self, **kwargs):
        store = self.store
        current = store_metrics(store_ids=[store.pk], now=timezone.now())[store.pk]
        history = list(StoreEvaluation.objects.filter(store=store).order_by("-day")[:TREND_DAYS])[::-1]
        labels = dict(Metric.choices)
        rows = []
        for rule in EvaluationRule.objects.filter(enabled=True):
            value = current[rule.metric]
            trend = [_float(e.metrics.get(rule.metric)) for e in history]
            rows.append(
                {
                    "rule": rule,
                    "label": labels[rule.metric],
                    "value": value,
                    "passes": rule.passes(value),
                    "points": sparkline(trend),
                }
            )
        latest = history[-1] if history else None
        return super().get_context_data(
            rows=rows, latest=latest, dsr=hooks.store_rating.call(store), sanctions=active_sanctions(store), **kwargs
        )


def _float(value) -> float | None:
    return None if value is None else float(value)


urlpatterns = [path("evaluation/", EvaluationView.as_view(), name="evaluation")]
