"""The provider's callback endpoint and the sandbox cashier page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import Actor
from portal.exceptions import DomainError
from portal.models import Payment, PaymentStatus

from .providers import SandboxProvider, get_provider
from .services import payment_record_callback


class PaymentCallbackView(APIView):
    """Called by the payment provider (HMAC-signed, timestamped); duplicates are harmless."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, provider: str):
        result = get_provider(provider).parse_callback(request.body, request.META)
        payment = payment_record_callback(result=result, by=Actor.payment_provider(provider))
        return Response({"payment_id": payment.pk, "status": payment.status})


def sandbox_cashier(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The sandbox's cashier: confirming sends the signed callback exactly as a provider would."""
    payment = get_object_or_404(Payment, pk=payment_id, provider="sandbox")
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if not next_url.startswith("/"):
        next_url = "/"
    if request.method == "POST" and payment.status == PaymentStatus.PENDING:
        provider = get_provider("sandbox")
        assert isinstance(provider, SandboxProvider)
        body, headers = provider.callback_request(payment, succeeded=request.POST.get("outcome") != "fail")
        try:
            recorded = payment_record_callback(
                result=provider.parse_callback(body, headers), by=Actor.payment_provider("sandbox")
            )
            # The message follows the recorded outcome, never the button that was pressed.
            if recorded.status == PaymentStatus.SUCCEEDED:
                messages.success(request, _("支付成功。"))
            else:
                messages.error(request, _("支付未成功，款项未扣除，请重新支付。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(next_url)
    return render(request, "portal/sandbox_cashier.html", {"payment": payment, "next": next_url})
