"""Merchant pages: promotions."""

urlpatterns: list = []
