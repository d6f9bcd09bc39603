"""Merchant pages: funds."""

urlpatterns: list = []
