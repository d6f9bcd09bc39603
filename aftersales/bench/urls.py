"""The bench's URLconf: the portal's URLs plus the minimal DRF create the placement case compares with.

Used only through `override_settings(ROOT_URLCONF=...)` by `manage.py bench`; production URLs never mount it.
"""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from .api import MinimalOrderCreate

urlpatterns = [
    path("bench/minimal-order/", MinimalOrderCreate.as_view(), name="bench-minimal-order"),
    *portal_urlpatterns,
]
