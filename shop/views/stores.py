"""Store onboarding pages (placeholder until the onboarding wizard lands)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
def onboarding_start(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/onboarding_start.html")


@login_required
def store_detail(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/store_detail.html", {"store": request.store})


urlpatterns = [
    path("onboarding/", onboarding_start, name="onboarding_start"),
    path("store/", store_detail, name="store_detail"),
]
