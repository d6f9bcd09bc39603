"""The provider's callback endpoint and the sandbox cashier page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actions import is_member
from portal.actors import Actor
from portal.exceptions import DomainError
from portal.models import Payment, PaymentStatus
from portal.redirects import safe_next

from . import PAYERS
from .providers import SandboxProvider, get_provider
from .services import payment_record_callback


class PaymentCallbackView(APIView):
    """Called by the payment provider (HMAC-signed, timestamped); duplicates are harmless."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: dict, 404: dict})
    def post(self, request, provider: str):
        result = get_provider(provider).parse_callback(request.body, request.META)  # unknown name: 404
        payment = payment_record_callback(result=result, by=Actor.payment_provider(provider))
        return Response({"payment_id": payment.pk, "status": payment.status})


def sandbox_cashier(request: HttpRequest, token: str) -> HttpResponse:
    """The sandbox's cashier: confirming sends the signed callback exactly as a provider would.

    Off unless PAYMENT_SANDBOX_ENABLED (404). The URL carries the payment's unguessable token; a payment a
    merchant makes (a deposit) also needs a logged-in member of its store. A buyer's order payment has no
    portal session: the token is the capability, as a real provider's cashier link is.
    """
    if not settings.PAYMENT_SANDBOX_ENABLED:
        raise Http404
    payment = get_object_or_404(Payment, token=token, provider="sandbox")
    if PAYERS.get(payment.purpose, "member") == "member":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_member(payment, request.user):
            raise Http404
    next_url = safe_next(request)
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
