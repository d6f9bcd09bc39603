"""schemathesis over the whole OpenAPI schema: every operation, a few generated requests each, against a seeded
store with a merchant key and a storefront key. Bounded (SCHEMATHESIS_EXAMPLES per operation, 5 by default; no
deadline) so the run stays within minutes on a loaded 2-core box; the operations spread over xdist workers.

Checked on every answer: no server error (5xx) and the body matches the schema of its documented status."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.models import ApiKey
from portal.wsgi import application
from shipping.models import SenderAddress
from tests.conftest import api_client_for
from tests.shop.orders_support import on_sale_sku, place

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
SHARES = 2


def _bearer(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"]


@pytest.fixture
def seeded(db, store, merchant, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT = None  # fuzzing is not an integration's traffic
    sku = on_sale_sku(store)
    place(store, sku)
    SenderAddress.objects.create(
        store=store, label="杭州仓", contact_name="王五", phone="13900001111", province="浙江省", city="杭州市", district="西湖区",
        street="文三路 1 号", is_default=True,
    )  # fmt: skip
    return {
        "merchant": _bearer(api_client_for(store, user=merchant)),
        "storefront": _bearer(api_client_for(store, user=merchant, kind=ApiKey.Kind.STOREFRONT)),
    }


@pytest.fixture
def api_schema(seeded):
    # like Django's test client: a request's end must not close the test's connection (its transaction)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(operation, headers: dict) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    run()


@pytest.mark.parametrize("share", range(SHARES))
def test_api(api_schema, seeded, share):
    """Every operation in one of SHARES slices (so xdist workers split the run), each fuzzed on its own."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    failures = {}
    for operation in operations[share::SHARES]:
        kinds = operation.definition.raw.get("x-api-key-kinds") or []
        headers = {"Authorization": seeded["storefront" if kinds == ["storefront"] else "merchant"]}
        try:
            _fuzz(operation, headers)
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not only the first
            failures[operation.label] = str(exc)[:2000]
    assert failures == {}


def test_the_fuzzed_schema_covers_every_operation(db):
    paths = Client().get("/api/schema/?format=json").json()["paths"]
    operations = sum(1 for item in paths.values() for m in item if m in ("get", "post", "patch", "put", "delete"))
    assert operations >= 60
