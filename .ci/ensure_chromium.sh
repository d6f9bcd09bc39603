#!/usr/bin/env bash
# Print the path of a Chromium for the browser tests, installing one first if none is found.
#
# Looked for, in order: $CHROMIUM_PATH, `chromium` / `chromium-browser` on PATH, a browser that
# `playwright install chromium` left in Playwright's cache. None: as root with apt-get, Debian's
# `chromium` (and a CJK font for the screenshots); otherwise `python -m playwright install chromium`.
# If that fails too, stop at once with the one command that does it (exit 1), never a wall of errors.
#
# ENSURE_CHROMIUM_DRY_RUN=1 prints the install command instead of running it (the tests use it).
# PYTHON is the interpreter with Playwright (default .venv/bin/python); PLAYWRIGHT_BROWSERS_PATH is honoured.
set -uo pipefail

PYTHON=${PYTHON:-.venv/bin/python}
PW_CACHE=${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
    echo "$CHROMIUM_PATH"
    return 0
  fi
  local name found
  for name in chromium chromium-browser; do
    found=$(command -v "$name" 2>/dev/null) && [ -x "$found" ] && { echo "$found"; return 0; }
  done
  for found in "$PW_CACHE"/chromium-*/chrome-linux*/chrome; do
    [ -x "$found" ] && { echo "$found"; return 0; }
  done
  return 1
}

install_command() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei"
  else
    echo "$PYTHON -m playwright install chromium"
  fi
}

if [ -n "${CHROMIUM_PATH:-}" ] && [ ! -x "$CHROMIUM_PATH" ]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; looking elsewhere" >&2
fi
if find_chromium; then
  exit 0
fi

cmd=$(install_command)
if [ "${ENSURE_CHROMIUM_DRY_RUN:-}" = "1" ]; then
  echo "would run: $cmd" >&2
  exit 3
fi
echo "No Chromium found for the browser tests; installing it: $cmd" >&2
if eval "$cmd" >&2 && find_chromium; then
  exit 0
fi
echo "Could not install Chromium. Install it with this one command, then run make test again:" >&2
echo "    $cmd" >&2
exit 1
