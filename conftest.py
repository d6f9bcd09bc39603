"""Root fixtures: temporary media, SMS outbox, and the reference data that migrations load."""

import importlib

import pytest
from django.apps import apps
from django.db.migrations.operations import RunPython

# Reference data loaded by data migrations: (migration module, model whose emptiness means it is missing).
# A transactional test (threads, browser) flushes the database afterwards, which removes these rows for the
# tests that follow; the fixture below loads them again, idempotently, before any test that uses the database.
REFERENCE_DATA = [
    ("portal.migrations.0005_staff_roles", "auth.Group"),  # groups and their permissions (portal.roles)
    ("shop.migrations.0002_categories", "shop.Category"),
    ("shop.migrations.0004_onboarding_seed", "shop.DepositRule"),
    ("shop.migrations.0006_evaluation", "shop.EvaluationRule"),
    ("shipping.migrations.0002_couriers", "shipping.Courier"),
    ("shipping.migrations.0003_courier_waybill_pattern", "shipping.Courier"),
    ("shipping.migrations.0005_courier_table_kuaidi100", "shipping.Courier"),
    ("shipping.migrations.0012_couriers_install", "shipping.Courier"),
]


def ensure_reference_data() -> None:
    missing = {sentinel for _module, sentinel in REFERENCE_DATA if not apps.get_model(sentinel).objects.exists()}
    for module, sentinel in REFERENCE_DATA:
        if sentinel not in missing:
            continue
        for operation in importlib.import_module(module).Migration.operations:
            if isinstance(operation, RunPython):
                operation.code(apps, None)


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    uses_db = {"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)
    if request.node.get_closest_marker("django_db") or uses_db:
        request.getfixturevalue("django_db_setup")  # the test database exists before we write to it
        with django_db_blocker.unblock():
            ensure_reference_data()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    from portal import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


def pytest_addoption(parser):
    parser.addoption(
        "--fail-on-skip",
        action="store_true",
        help="fail the run when any test was skipped (CI: every test runs everywhere)",
    )


def pytest_collection_modifyitems(config, items):
    """The concurrency proofs need PostgreSQL: on another database stop at once with the way to get one."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    needing = [item.nodeid for item in items if item.get_closest_marker("postgres")]
    if needing:
        raise pytest.UsageError(
            f"{len(needing)} selected tests need PostgreSQL (row locks, real concurrency), e.g. {needing[0]}. "
            "Run `make test` (it starts a throwaway PostgreSQL when DATABASE_URL is unset), "
            "set DATABASE_URL=postgres://..., or deselect them with -m 'not postgres'."
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """A closing tally that always names skips and errors, even at zero; --fail-on-skip makes a skip fail."""
    counts = {key: len(terminalreporter.stats.get(key, [])) for key in ("passed", "failed", "skipped", "error")}
    terminalreporter.write_line(
        f"tally: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped, "
        f"{counts['error']} errors"
    )
    if config.getoption("--fail-on-skip") and counts["skipped"]:
        terminalreporter.write_line(f"--fail-on-skip: {counts['skipped']} tests were skipped", red=True)


def pytest_sessionfinish(session, exitstatus):
    if session.config.getoption("--fail-on-skip") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and reporter.stats.get("skipped"):
            session.exitstatus = 1
