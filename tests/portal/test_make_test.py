"""`make test` on a fresh machine: the Chromium detection and install (with a fake PATH, never touching the
machine's browser), the throwaway PostgreSQL, and the closing tally that fails CI on a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[2]
ENSURE = ROOT / ".ci" / "ensure_chromium.sh"
BASH = "/bin/bash"


def fake_bin(tmp_path: Path, *, uid: int, apt_get: str | None = None) -> Path:
    """A PATH folder with a fake `id` (so root-or-not is ours to choose) and optionally a fake `apt-get`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script(bin_dir / "id", f"echo {uid}")
    if apt_get is not None:
        script(bin_dir / "apt-get", apt_get)
    return bin_dir


def script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)
    return path


def ensure(tmp_path: Path, bin_dir: Path, **env: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [BASH, str(ENSURE)],
        env={"PATH": str(bin_dir), "HOME": str(home), "PYTHON": "python-with-playwright", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_chromium_on_path_is_used(tmp_path):
    bin_dir = fake_bin(tmp_path, uid=1000)
    chromium = script(bin_dir / "chromium", "exit 0")
    result = ensure(tmp_path, bin_dir)
    assert result.returncode == 0
    assert result.stdout.strip() == str(chromium)


def test_chromium_path_wins_and_a_wrong_one_is_reported(tmp_path):
    bin_dir = fake_bin(tmp_path, uid=1000)
    mine = script(tmp_path / "my-chrome", "exit 0")
    assert ensure(tmp_path, bin_dir, CHROMIUM_PATH=str(mine)).stdout.strip() == str(mine)
    # a CHROMIUM_PATH that is no executable: said so, then looked for elsewhere (here: nowhere → install)
    result = ensure(tmp_path, bin_dir, CHROMIUM_PATH=str(tmp_path / "nope"), ENSURE_CHROMIUM_DRY_RUN="1")
    assert "is not an executable" in result.stderr
    assert result.returncode == 3


def test_a_browser_playwright_installed_is_found(tmp_path):
    bin_dir = fake_bin(tmp_path, uid=1000)
    cache = tmp_path / "pw"
    (cache / "chromium-1200" / "chrome-linux").mkdir(parents=True)
    chrome = script(cache / "chromium-1200" / "chrome-linux" / "chrome", "exit 0")
    result = ensure(tmp_path, bin_dir, PLAYWRIGHT_BROWSERS_PATH=str(cache))
    assert result.stdout.strip() == str(chrome)


@pytest.mark.parametrize(
    ("uid", "apt", "expected"),
    [
        (0, True, "apt-get install -y -q chromium"),  # root with apt: Debian's chromium
        (0, False, "python-with-playwright -m playwright install chromium"),  # root without apt
        (1000, True, "python-with-playwright -m playwright install chromium"),  # not root
    ],
)
def test_without_chromium_the_right_install_command_is_chosen(tmp_path, uid, apt, expected):
    bin_dir = fake_bin(tmp_path, uid=uid, apt_get="exit 0" if apt else None)
    result = ensure(tmp_path, bin_dir, ENSURE_CHROMIUM_DRY_RUN="1")
    assert result.returncode == 3
    assert expected in result.stderr


def test_as_root_it_installs_chromium_with_apt_and_uses_it(tmp_path):
    # given root, no chromium, and an apt-get that installs one (into our fake PATH)
    bin_dir = fake_bin(tmp_path, uid=0)
    script(
        bin_dir / "apt-get",
        f'[ "$1" = install ] && printf "#!/bin/bash\\n" > {bin_dir}/chromium && /bin/chmod +x {bin_dir}/chromium; exit 0',
    )
    # when the test target looks for a browser
    result = ensure(tmp_path, bin_dir)
    # then it installed it and prints where it is
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir / "chromium")
    assert "installing it" in result.stderr


def test_a_failed_install_stops_at_once_with_the_one_command(tmp_path):
    bin_dir = fake_bin(tmp_path, uid=1000)
    script(bin_dir / "python-with-playwright", "echo 'download failed' >&2; exit 1")
    result = ensure(tmp_path, bin_dir, PYTHON=str(bin_dir / "python-with-playwright"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr.strip().splitlines()[-1].strip()
        == f"{bin_dir / 'python-with-playwright'} -m playwright install chromium"
    )


# --- the throwaway PostgreSQL ------------------------------------------------------------------------
def test_the_socket_url_is_understood_by_dj_database_url():
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        from with_postgres import socket_url
    finally:
        sys.path.remove(str(ROOT / ".ci"))
    parsed = dj_database_url.parse(socket_url("/tmp/portal-pg-x/data"))
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert parsed["HOST"] == "/tmp/portal-pg-x/data"
    assert parsed["NAME"] == "postgres"
    assert parsed["USER"] == "postgres"


def test_without_database_url_a_throwaway_postgresql_serves_the_command_and_is_removed():
    # given no DATABASE_URL / when a command runs under the wrapper
    probe = (
        "import os, psycopg, dj_database_url; c = dj_database_url.parse(os.environ['DATABASE_URL']);"
        "conn = psycopg.connect(host=c['HOST'], user=c['USER'], dbname=c['NAME']);"
        "print(conn.execute('select version()').fetchone()[0]); print('HOST=' + c['HOST'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "with_postgres.py"), sys.executable, "-c", probe],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    # then the command reached a real PostgreSQL, and its folder is gone afterwards
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL 16" in result.stdout
    host = next(line for line in result.stdout.splitlines() if line.startswith("HOST="))[5:]
    assert not Path(host).exists()


def test_a_non_postgresql_database_url_is_refused():
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "with_postgres.py"), "true"],
        env={**os.environ, "DATABASE_URL": "sqlite:///x.sqlite3"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "must be PostgreSQL" in result.stderr


# --- the closing tally ----------------------------------------------------------------------------------
def test_fail_on_skip_turns_a_skip_into_a_failed_run():
    folder = ROOT / "test-output" / "tally-probe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_probe.py").write_text(
        "import pytest\n\ndef test_runs():\n    pass\n\n@pytest.mark.skip(reason='probe')\ndef test_skipped():\n    pass\n"
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", str(folder / "test_probe.py")]
    plain = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    strict = subprocess.run([*command, "--fail-on-skip"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0
    assert "tally: 1 passed, 0 failed, 1 skipped, 0 errors" in plain.stdout
    assert strict.returncode == 1
    assert "--fail-on-skip: 1 tests were skipped" in strict.stdout


def test_pytest_without_make_and_without_a_browser_stops_at_once_with_the_command():
    # given a CHROMIUM_PATH that points nowhere / when the browser tests are collected
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "--collect-only", "tests/browser/test_smoke.py"],
        cwd=ROOT, env={**os.environ, "CHROMIUM_PATH": "/nonexistent/chromium"}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    # then pytest stops before running anything, naming the install command, not one error per test
    assert result.returncode == 4
    assert "Install it with: apt-get install -y chromium" in result.stderr + result.stdout
