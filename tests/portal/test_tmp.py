import pytest
from tests.conftest import api_client_for
pytestmark = pytest.mark.django_db
def test_x(store, merchant):
    c = api_client_for(store, scopes=["orders:read"], user=merchant)
    r = c.post("/api/v1/skus/1/stock/", {"stock": 1}, format="json")
    print(r.json())
    r = c.get("/api/v1/nope/"); print(r.status_code, r.json())
    r = c.delete("/api/v1/orders/"); print(r.status_code, r.json())
    r = c.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="en"); print(r.status_code, r.json())
    r = c.get("/api/v1/orders/?status=zz", HTTP_ACCEPT_LANGUAGE="en"); print(r.status_code, r.json())
    r = c.get("/api/v1/orders/?status=zz"); print(r.status_code, r.json())
    r = c.post("/api/v1/notifications/read/", '['*3000+']'*3000, content_type="application/json"); print(r.status_code, r.json())
