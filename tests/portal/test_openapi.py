"""The OpenAPI schema documents every endpoint without warnings, so integrators can trust it."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/notifications/" in out.read_text()
