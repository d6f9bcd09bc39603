"""Merchant pages: funds (资金) — deposit and payout balances, the settlement ledger, CSV export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.actors import merchant_actor
from portal.exceptions import DomainError
from portal.tenancy import MerchantMixin
from shop.actions import store_actions
from shop.forms.funds import WithdrawalForm
from shop.models.funds import PayoutKind
from shop.selectors.funds import cause_url, payout_balances, payout_entries, recent_withdrawals
from shop.selectors.stores import deposit_summary, withdrawal_limit
from shop.services.funds import withdrawal_request

from .catalog import attach_error


class _Echo:
    def write(self, value: str) -> str:
        return value


class FundsView(MerchantMixin, TemplateView):
    template_name = "shop/funds/index.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        """申请提现: the owner withdraws available payouts (refused while a withdrawal limit is in force)."""
        form = WithdrawalForm(request.POST)
        if form.is_valid():
            try:
                withdrawal = withdrawal_request(
                    store=self.store,
                    amount=form.cleaned_data["amount"],
                    account=form.cleaned_data["account"],
                    by=merchant_actor(request),
                )
            except DomainError as exc:
                attach_error(form, exc)
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("提现申请已提交：%(amount).2f 元，财务打款后到账。") % {"amount": withdrawal.amount / 100},
                )
                return redirect("shop:funds")
        return self.render_to_response(self.get_context_data(withdrawal_form=form), status=400)

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
            withdrawal_form=kwargs.pop("withdrawal_form", None) or WithdrawalForm(),
            can_withdraw="withdraw" in store_actions(self.store, self.request.user),
            withdrawal_limit=withdrawal_limit(self.store),
            withdrawals=recent_withdrawals(self.store),
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
