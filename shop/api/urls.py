"""The shop app's API routes; each area keeps its own list."""

from . import catalog, orders, stores

urlpatterns = stores.urlpatterns + catalog.urlpatterns + orders.urlpatterns
