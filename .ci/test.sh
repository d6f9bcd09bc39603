#!/usr/bin/env bash
# The body of `make test`, run against PostgreSQL (see .ci/with_postgres.py): a Chromium for the
# browser tests, migrations complete, then the whole suite on $JOBS processes. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

CHROMIUM_PATH=$(PYTHON="$BIN/python" bash .ci/ensure_chromium.sh)
export CHROMIUM_PATH
"$BIN/python" manage.py makemigrations --check --dry-run -v0
exec "$BIN/python" -m pytest -n "${JOBS:-2}" "$@"
