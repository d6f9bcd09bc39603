"""Run a command against PostgreSQL: the one in DATABASE_URL, or a throwaway server for this run only.

    python .ci/with_postgres.py COMMAND [ARGS...]

With DATABASE_URL set to a postgres:// URL the command runs as it is. Without it, a PostgreSQL 16
server from the `pgserver` wheel (a pip package that ships the server binaries) is started in a
temporary folder, listening on a Unix socket only, DATABASE_URL points the command at it, and the
server and its folder are removed afterwards, also on Ctrl-C. The command's exit code is returned.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote


def socket_url(socket_dir: str, database: str = "postgres") -> str:
    """A dj-database-url URL for a server on a Unix socket (the host is the socket folder, percent-encoded)."""
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"


def run_with_throwaway(command: list[str]) -> int:
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())  # pgserver keeps its lock file there
    import pgserver  # installed by the project's `test` extra

    root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    root.chmod(0o755)  # as root, pgserver runs the server as its own system user
    started = time.monotonic()
    server = pgserver.get_server(root / "data", cleanup_mode="delete")
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        url = socket_url(str(socket_dir))
        print(f"throwaway PostgreSQL 16 ready in {time.monotonic() - started:.1f}s (socket {socket_dir})", flush=True)
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": url})
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)
        print("throwaway PostgreSQL stopped and removed", flush=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    # A SIGTERM (CI timeout, `kill`) unwinds like Ctrl-C, so the server is stopped and removed either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            print(f"DATABASE_URL must be PostgreSQL for the test suite, not {url.split(':', 1)[0]}", file=sys.stderr)
            return 2
        return subprocess.call(argv)
    return run_with_throwaway(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
