from django.urls import path

from .views import stores

app_name = "shop"

urlpatterns = [
    path("onboarding/", stores.onboarding_start, name="onboarding_start"),
    path("store/", stores.store_detail, name="store_detail"),
]
