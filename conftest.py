"""Root fixtures: temporary media, users, stores, API clients, on-commit execution."""

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    from portal import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()
