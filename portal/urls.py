from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import health, views
from .api import errors as api_errors
from .payments import views as payment_views

API_DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("", views.home, name="home"),
    path("home/todo/", views.HomeTodoView.as_view(), name="home_todo"),
    path("data/", views.DataView.as_view(), name="data"),
    path("data/<slug:key>.csv", views.DataCsvView.as_view(), name="data_csv"),
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("store/switch/", views.store_switch, name="store_switch"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/unread/", views.unread_badge, name="unread_badge"),
    path("settings/notifications/", views.NotificationPrefsView.as_view(), name="notification_prefs"),
    path("settings/api-keys/", views.ApiKeysView.as_view(), name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api_key_revoke"),
    path("settings/webhooks/", include("portal.webhooks.views")),
    path("payments/sandbox/<slug:token>/", payment_views.sandbox_cashier, name="payment_sandbox_cashier"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The API docs render their UI with inline styles (Redoc also in a blob: worker): style-src relaxed there only.
    path(
        "api/docs/",
        csp_update(API_DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("api/redoc/", csp_update(API_DOCS_CSP)(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    re_path(r"^api/", api_errors.not_found),  # unknown API routes: a JSON 404 in the error shape
    path("shop/", include("shop.urls")),
    path("shipping/", include("shipping.urls")),
    path("aftersales/", include("aftersales.urls")),
]
# Media in development only (static() is empty unless DEBUG); production serves it from object storage.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
