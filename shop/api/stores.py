"""API: stores."""

urlpatterns: list = []
