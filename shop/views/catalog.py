"""Merchant pages: catalog."""

urlpatterns: list = []
