"""The bench's URLconf: the portal's URLs plus the minimal DRF create the placement case compares with and the
minimal staff page the admin search cases are shown beside.

Used only through `override_settings(ROOT_URLCONF=...)` by `manage.py bench`; production URLs never mount it.
"""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from .api import MinimalOrderCreate
from .cases import minimal_staff_page

urlpatterns = [
    path("bench/minimal-order/", MinimalOrderCreate.as_view(), name="bench-minimal-order"),
    path("bench/minimal-staff-page/", minimal_staff_page, name="bench-minimal-staff-page"),
    *portal_urlpatterns,
]
