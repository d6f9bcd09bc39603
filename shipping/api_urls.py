from django.urls import path

from portal.api.routing import route

from .api import views

urlpatterns = [
    path("shipping/couriers/", views.CourierListView.as_view(), name="api-shipping-couriers"),
    path("shipping/quotes/", views.QuoteView.as_view(), name="api-shipping-quote"),
    path("shipping/bookings/", views.BookingListCreateView.as_view(), name="api-shipping-bookings"),
    path("shipping/bookings/<str:booking_no>/", views.BookingDetailView.as_view(), name="api-shipping-booking"),
    path("shipping/bookings/<str:booking_no>/rebook/", views.BookingRebookView.as_view(), name="api-shipping-rebook"),
    path(
        "shipping/bookings/<str:booking_no>/cancel/",
        views.BookingCancelView.as_view(),
        name="api-shipping-booking-cancel",
    ),
    path(
        "shipping/sender-addresses/",
        route(views.SenderAddressListView, views.SenderAddressCreateView).as_view(),
        name="api-shipping-sender-addresses",
    ),
    path("shipping/unbooked-orders/", views.UnbookedOrderListView.as_view(), name="api-shipping-unbooked"),
    path(
        "shipping/shipments/<int:pk>/messages/",
        route(views.CourierMessageListView, views.CourierMessageSendView).as_view(),
        name="api-shipping-messages",
    ),
    path(
        "shipping/shipments/<int:pk>/tickets/",
        route(views.TicketListView, views.TicketReportView).as_view(),
        name="api-shipping-tickets",
    ),
    path("shipping/shipments/", views.ShipmentListView.as_view(), name="api-shipping-shipments"),
    path("shipping/shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="api-shipping-shipment"),
    path("shipping/shipments/<int:pk>/cancel/", views.ShipmentCancelView.as_view(), name="api-shipping-cancel"),
    path("shipping/orders/<str:order_sn>/tracking/", views.OrderTrackingView.as_view(), name="api-shipping-tracking"),
    path("shipping/webhooks/<slug:courier_code>/", views.CourierWebhookView.as_view(), name="api-shipping-webhook"),
    path(
        "shipping/kuaidi100/<str:public_id>/<slug:kind>/",
        views.Kuaidi100CallbackView.as_view(),
        name="api-shipping-kuaidi100",
    ),
]
