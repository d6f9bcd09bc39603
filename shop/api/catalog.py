"""API: catalog."""

urlpatterns: list = []
