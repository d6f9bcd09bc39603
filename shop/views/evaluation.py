"""Merchant pages: store evaluation."""

urlpatterns: list = []
