"""The shop app's API routes; each area keeps its own list."""

from . import catalog, orders, promotions, stores

urlpatterns = stores.urlpatterns + catalog.urlpatterns + promotions.urlpatterns + orders.urlpatterns
