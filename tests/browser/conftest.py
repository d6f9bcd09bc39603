"""Playwright against Debian's Chromium, serving the portal with pytest-django's live_server."""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium (as root), or: .venv/bin/python -m playwright install chromium"


def pytest_collection_modifyitems(config, items):
    """No browser: stop before the first test with the one command that gets one, never a wall of errors.
    (`make test` finds or installs one itself: .ci/ensure_chromium.sh.)"""
    here = Path(__file__).parent
    if not os.access(CHROMIUM, os.X_OK) and any(here in Path(str(item.path)).parents for item in items):
        raise pytest.UsageError(f"No Chromium for the browser tests at {CHROMIUM}. Install it with: {INSTALL}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1360, "height": 900}}


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-output/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, live_server, username: str, password: str = "pass12345") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
