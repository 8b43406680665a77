#!/usr/bin/env bash
# The manifest and image checks (node:test; Node 18, Debian 12's, or newer).
#   run.sh --install       npm ci from package-lock.json when node_modules is missing or older
#   run.sh FILE.test.mjs   run test files (paths from here or from test/manifests/)
# node and npm missing is a failure: scripts/setup.sh test installs them.
set -euo pipefail
files=()
for f in "$@"; do [ -e "$f" ] && files+=("$(realpath "$f")") || files+=("$f"); done
# KUBECTL=path/to/kubectl renders with that one alone (relative to where run.sh was called).
if [ -n "${KUBECTL:-}" ] && [ -e "$KUBECTL" ]; then KUBECTL=$(realpath "$KUBECTL"); export KUBECTL; fi
cd "$(dirname "$0")"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/setup.sh test installs it" >&2; exit 1; }
done
if [ "${1:-}" = --install ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  echo "npm packages installed (node $(node --version), npm $(npm --version))"
  exit 0
fi
exec node --test --test-reporter=spec "${files[@]}"
