"""Merchant pages: orders."""

urlpatterns: list = []
