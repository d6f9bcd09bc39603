"""After-sales and review API. Buyer operations come from the storefront integration acting for
`buyer_ref` (checked against the order); merchant operations act for the API key's store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.actors import Actor, merchant_actor
from portal.api.filters import query
from portal.api.idempotency import IdempotentMixin
from portal.api.permissions import BOTH, BUYER, request_store
from portal.models import ApiKey
from shop.selectors.orders import order_by_sn

if TYPE_CHECKING:
    from shop.models import Order

from .. import selectors, services
from ..models import AftersalesRequest, Review
from . import serializers as s

SCOPE = ApiKey.Scope.AFTERSALES


def _order(store, order_sn: str) -> Order:
    return order_by_sn(store=store, order_sn=order_sn)


def _buyer(data) -> Actor:
    return Actor.storefront(data["buyer_ref"])


def _valid(serializer_class, request) -> dict:
    data = request.data
    if hasattr(data, "getlist"):  # form or multipart: photos arrive as repeated files
        data = {k: request.data.get(k) for k in request.data if k != "photos"}
        data["photos"] = request.FILES.getlist("photos")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RequestListView(ListAPIView):
    """The store's after-sales requests, newest first; filter with ?status= and ?order_sn=."""

    side = BOTH
    required_scope = SCOPE
    serializer_class = s.AftersalesRequestOut
    filters_in = s.RequestFiltersIn

    def get_queryset(self):
        f = query(self)
        qs = selectors.request_list(store=request_store(self.request)).prefetch_related("evidence")
        if f.get("status"):
            qs = qs.filter(status=f["status"])
        if f.get("order_sn"):
            qs = qs.filter(order__order_sn=f["order_sn"])
        return qs


class RequestDetailView(APIView):
    side = BOTH
    required_scope = SCOPE

    @extend_schema(responses=s.AftersalesRequestOut)
    def get(self, request, request_sn: str):
        return Response(s.AftersalesRequestOut(_request(request, request_sn)).data)


def _request(request, request_sn: str) -> AftersalesRequest:
    req = (
        AftersalesRequest.objects.select_related("order", "refund")
        .prefetch_related("evidence")
        .filter(store=request_store(request), request_sn=request_sn)
        .first()
    )
    if req is None:
        raise Http404
    return req


class RequestOpenView(IdempotentMixin, APIView):
    """Buyer: open a request on one order item (multipart for photos)."""

    side = BUYER
    required_scope = SCOPE

    @extend_schema(request=s.AftersalesOpenIn, responses={201: s.AftersalesRequestOut})
    def post(self, request):
        data = _valid(s.AftersalesOpenIn, request)
        req = services.aftersales_open(
            order=_order(request_store(request), data["order_sn"]),
            item_id=data["item_id"],
            buyer_ref=data["buyer_ref"],
            type=data["type"],
            reason=data["reason"],
            amount=data["amount"],
            description=data["description"],
            photos=data.get("photos", []),
            by=_buyer(data),
        )
        return Response(s.AftersalesRequestOut(_request(request, req.request_sn)).data, status=status.HTTP_201_CREATED)


class _RequestChange(APIView):
    """A change to one request: validate `input_class`, run `perform`, answer the request."""

    required_scope = SCOPE
    input_class = None

    def perform(self, req: AftersalesRequest, data: dict, request) -> None:
        raise NotImplementedError

    def change(self, request, request_sn: str):
        req = _request(request, request_sn)
        self.perform(req, _valid(self.input_class, request), request)
        return Response(s.AftersalesRequestOut(_request(request, request_sn)).data)


class _RequestAction(IdempotentMixin, _RequestChange):
    """POST /aftersales/requests/{sn}/{action}/: a transition."""

    def post(self, request, request_sn: str):
        return self.change(request, request_sn)


def _action(input_class, doc: str):
    return extend_schema(request=input_class, responses=s.AftersalesRequestOut, description=doc)


@_action(s.AftersalesUpdateIn, "Buyer: revise a request not answered yet (partial update).")
class RequestUpdateView(_RequestChange):
    side = BUYER
    input_class = s.AftersalesUpdateIn

    def patch(self, request, request_sn: str):
        return self.change(request, request_sn)

    def perform(self, req, data, request):
        services.aftersales_update(
            request=req,
            buyer_ref=data["buyer_ref"],
            reason=data.get("reason"),
            amount=data.get("amount"),
            description=data.get("description"),
            photos=data.get("photos", []),
            by=_buyer(data),
        )


@_action(s.AftersalesBuyerIn, "Buyer: withdraw the request.")
class RequestCancelView(_RequestAction):
    side = BUYER
    input_class = s.AftersalesBuyerIn

    def perform(self, req, data, request):
        services.aftersales_cancel(request=req, buyer_ref=data["buyer_ref"], by=_buyer(data))


@_action(s.AftersalesEscalateIn, "Buyer: ask for platform intervention after a rejection (within the window).")
class RequestEscalateView(_RequestAction):
    side = BUYER
    input_class = s.AftersalesEscalateIn

    def perform(self, req, data, request):
        services.aftersales_escalate(
            request=req,
            buyer_ref=data["buyer_ref"],
            reason=data["reason"],
            photos=data.get("photos", []),
            by=_buyer(data),
        )


@_action(s.ReturnWaybillIn, "Buyer: the waybill of the goods sent back (validated per courier).")
class RequestReturnWaybillView(_RequestAction):
    side = BUYER
    input_class = s.ReturnWaybillIn

    def perform(self, req, data, request):
        services.aftersales_submit_return(
            request=req,
            buyer_ref=data["buyer_ref"],
            courier_code=data["courier_code"],
            waybill_no=data["waybill_no"],
            by=_buyer(data),
        )


@_action(s.AftersalesBuyerIn, "Buyer: accept the merchant's negotiated partial refund (refunded at once).")
class RequestOfferAcceptView(_RequestAction):
    side = BUYER
    input_class = s.AftersalesBuyerIn

    def perform(self, req, data, request):
        services.aftersales_offer_accept(request=req, buyer_ref=data["buyer_ref"], by=_buyer(data))


@_action(s.OfferDeclineIn, "Buyer: decline the merchant's offer; the request waits on the merchant again.")
class RequestOfferDeclineView(_RequestAction):
    side = BUYER
    input_class = s.OfferDeclineIn

    def perform(self, req, data, request):
        services.aftersales_offer_decline(
            request=req, buyer_ref=data["buyer_ref"], reason=data["reason"], by=_buyer(data)
        )


@_action(s.NegotiateIn, "Merchant: offer a partial refund (协商); the buyer accepts or declines it.")
class RequestNegotiateView(_RequestAction):
    input_class = s.NegotiateIn

    def perform(self, req, data, request):
        services.aftersales_negotiate(request=req, amount=data["amount"], note=data["note"], by=merchant_actor(request))


@_action(s.AftersalesApproveIn, "Merchant: agree (return types need the return address).")
class RequestApproveView(_RequestAction):
    input_class = s.AftersalesApproveIn

    def perform(self, req, data, request):
        services.aftersales_approve(
            request=req, return_address=data["return_address"], note=data["note"], by=merchant_actor(request)
        )


@_action(s.AftersalesRejectIn, "Merchant: refuse with a reason (and evidence photos).")
class RequestRejectView(_RequestAction):
    input_class = s.AftersalesRejectIn

    def perform(self, req, data, request):
        services.aftersales_reject(
            request=req, reason=data["reason"], photos=data.get("photos", []), by=merchant_actor(request)
        )


@_action(s.ReturnAddressIn, "Merchant: give the return address of an approved return.")
class RequestReturnAddressView(_RequestAction):
    input_class = s.ReturnAddressIn

    def perform(self, req, data, request):
        services.aftersales_request_return(
            request=req, return_address=data["return_address"], by=merchant_actor(request)
        )


@_action(
    s.ReturnReceiveIn, "Merchant: confirm receipt and inspection of the returned goods (refunds a return-and-refund)."
)
class RequestReceiveView(_RequestAction):
    input_class = s.ReturnReceiveIn

    def perform(self, req, data, request):
        services.aftersales_receive_return(
            request=req, note=data["note"], inspection_passed=data["inspection_passed"], by=merchant_actor(request)
        )


@_action(s.ReplacementShipIn, "Merchant: ship the exchange or resend parcel.")
class RequestShipView(_RequestAction):
    input_class = s.ReplacementShipIn

    def perform(self, req, data, request):
        services.aftersales_ship_replacement(
            request=req, courier_code=data["courier_code"], waybill_no=data["waybill_no"], by=merchant_actor(request)
        )


# ---------------------------------------------------------------------------- reviews


def _review(request, pk: int) -> Review:
    review = (
        Review.objects.select_related("order")
        .prefetch_related("photos")
        .filter(store=request_store(request), pk=pk)
        .first()
    )
    if review is None:
        raise Http404
    return review


class ReviewListView(ListAPIView):
    """The store's reviews; filters ?score=good|medium|bad, ?photos=1, ?unanswered=1."""

    side = BOTH
    required_scope = SCOPE
    serializer_class = s.ReviewOut

    filters_in = s.ReviewFiltersIn

    def get_queryset(self):
        f = query(self)
        return selectors.review_list(
            store=request_store(self.request),
            score=f.get("score", ""),
            photos=f.get("photos", False),
            unanswered=f.get("unanswered", False),
        )


class ReviewCreateView(IdempotentMixin, APIView):
    """Buyer: review a received order item (once, within the review window)."""

    side = BUYER
    required_scope = SCOPE

    @extend_schema(request=s.ReviewIn, responses={201: s.ReviewOut})
    def post(self, request):
        data = _valid(s.ReviewIn, request)
        review = services.review_create(
            order=_order(request_store(request), data["order_sn"]),
            item_id=data["item_id"],
            buyer_ref=data["buyer_ref"],
            score_description=data["score_description"],
            score_logistics=data["score_logistics"],
            score_service=data["score_service"],
            text=data["text"],
            anonymous=data["anonymous"],
            photos=data.get("photos", []),
            by=_buyer(data),
        )
        return Response(s.ReviewOut(_review(request, review.pk)).data, status=status.HTTP_201_CREATED)


class ReviewFollowupView(IdempotentMixin, APIView):
    """Buyer: the one follow-up review."""

    side = BUYER
    required_scope = SCOPE

    @extend_schema(request=s.ReviewFollowupIn, responses=s.ReviewOut)
    def post(self, request, pk: int):
        review = _review(request, pk)
        data = _valid(s.ReviewFollowupIn, request)
        services.review_followup(
            review=review,
            buyer_ref=data["buyer_ref"],
            text=data["text"],
            photos=data.get("photos", []),
            by=_buyer(data),
        )
        return Response(s.ReviewOut(_review(request, pk)).data)


class ReviewReplyView(IdempotentMixin, APIView):
    """Merchant: reply once to the review, then once to its follow-up."""

    required_scope = SCOPE

    @extend_schema(request=s.ReviewReplyIn, responses=s.ReviewOut)
    def post(self, request, pk: int):
        review = _review(request, pk)
        data = _valid(s.ReviewReplyIn, request)
        services.review_reply(
            review=review, store=request_store(request), text=data["text"], by=merchant_actor(request)
        )
        return Response(s.ReviewOut(_review(request, pk)).data)


class ComplaintFileView(IdempotentMixin, APIView):
    """Buyer: complain about the store (handled by platform support staff)."""

    side = BUYER
    required_scope = SCOPE

    @extend_schema(request=s.ComplaintIn, responses={201: s.ComplaintOut})
    def post(self, request):
        data = _valid(s.ComplaintIn, request)
        store = request_store(request)
        complaint = services.complaint_file(
            store=store,
            order=_order(store, data["order_sn"]) if data["order_sn"] else None,
            buyer_ref=data["buyer_ref"],
            category=data["category"],
            content=data["content"],
            by=_buyer(data),
        )
        return Response(s.ComplaintOut(complaint).data, status=status.HTTP_201_CREATED)
