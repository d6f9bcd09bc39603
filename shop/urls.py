"""Merchant pages of the shop app; each area keeps its own url list in its views module."""

from .views import catalog, evaluation, funds, orders, promotions, stores

app_name = "shop"

urlpatterns = (
    stores.urlpatterns
    + catalog.urlpatterns
    + promotions.urlpatterns
    + orders.urlpatterns
    + funds.urlpatterns
    + evaluation.urlpatterns
)
