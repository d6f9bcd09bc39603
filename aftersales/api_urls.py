"""After-sales and review API routes (under /api/v1/)."""

from django.urls import path

from portal.api.routing import route

from .api import views

SN = "aftersales/requests/<str:request_sn>"

urlpatterns = [
    path(
        "aftersales/requests/",
        route(views.RequestListView, views.RequestOpenView).as_view(),
        name="api-aftersales-requests",
    ),
    path(f"{SN}/", route(views.RequestDetailView, views.RequestUpdateView).as_view(), name="api-aftersales-request"),
    path(f"{SN}/cancel/", views.RequestCancelView.as_view(), name="api-aftersales-cancel"),
    path(f"{SN}/escalate/", views.RequestEscalateView.as_view(), name="api-aftersales-escalate"),
    path(f"{SN}/return-waybill/", views.RequestReturnWaybillView.as_view(), name="api-aftersales-return-waybill"),
    path(f"{SN}/approve/", views.RequestApproveView.as_view(), name="api-aftersales-approve"),
    path(f"{SN}/reject/", views.RequestRejectView.as_view(), name="api-aftersales-reject"),
    path(f"{SN}/return-address/", views.RequestReturnAddressView.as_view(), name="api-aftersales-return-address"),
    path(f"{SN}/receive/", views.RequestReceiveView.as_view(), name="api-aftersales-receive"),
    path(f"{SN}/ship/", views.RequestShipView.as_view(), name="api-aftersales-ship"),
    path(f"{SN}/negotiate/", views.RequestNegotiateView.as_view(), name="api-aftersales-negotiate"),
    path(f"{SN}/offer/accept/", views.RequestOfferAcceptView.as_view(), name="api-aftersales-offer-accept"),
    path(f"{SN}/offer/decline/", views.RequestOfferDeclineView.as_view(), name="api-aftersales-offer-decline"),
    path("complaints/", views.ComplaintFileView.as_view(), name="api-complaint-file"),
    path("reviews/", route(views.ReviewListView, views.ReviewCreateView).as_view(), name="api-reviews"),
    path("reviews/<int:pk>/followup/", views.ReviewFollowupView.as_view(), name="api-review-followup"),
    path("reviews/<int:pk>/reply/", views.ReviewReplyView.as_view(), name="api-review-reply"),
]
