"""Merchant pages: funds (资金) — deposit and payout balances, the settlement ledger, CSV export."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.tenancy import MerchantMixin
from shop.models.funds import PayoutKind
from shop.selectors.funds import cause_url, payout_balances, payout_entries
from shop.selectors.stores import deposit_summary


class _Echo:
    def write(self, value: str) -> str:
        return value


class FundsView(MerchantMixin, TemplateView):
    template_name = "shop/funds/index.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        kind = kind if kind in PayoutKind.values else ""
        page = Paginator(payout_entries(self.store, kind=kind), 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            balances=payout_balances(self.store),
            deposit=deposit_summary(self.store),
            rows=[(e, cause_url(e)) for e in page],
            page=page,
            kind=kind,
            kinds=PayoutKind.choices,
            **kwargs,
        )

    def csv(self) -> HttpResponse:
        writer = csv.writer(_Echo())
        header = [
            _("时间"),
            _("类型"),
            _("账户"),
            _("金额（元）"),
            _("关联类型"),
            _("关联单号"),
            _("说明"),
            _("操作者"),
        ]

        def rows():
            yield "\ufeff" + writer.writerow(header)  # BOM: spreadsheets open the Chinese text right
            for e in payout_entries(self.store).iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                        e.get_kind_display(),
                        e.get_bucket_display(),
                        f"{e.amount / 100:.2f}",
                        e.get_ref_type_display() if e.ref_type else "",
                        e.ref_label,
                        e.reason,
                        e.actor_label,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payouts-{timezone.localdate():%Y%m%d}.csv"'
        return response


urlpatterns = [path("funds/", FundsView.as_view(), name="funds")]
