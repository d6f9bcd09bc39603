"""Every API route, under /api/v1/. Each app contributes its own list."""

from django.urls import include, path

from portal.api import views
from portal.payments.views import PaymentCallbackView

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", views.NotificationMarkReadView.as_view(), name="api-notifications-read"),
    path("payments/callback/<slug:provider>/", PaymentCallbackView.as_view(), name="api-payment-callback"),
    path("", include("portal.webhooks.api")),
    path("", include("shop.api.urls")),
    path("", include("shipping.api_urls")),
    path("", include("aftersales.api_urls")),
]
