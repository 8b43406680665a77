#!/usr/bin/env bash
# The browser end-to-end tests: installs the locked playwright-core (npm, no browser download:
# Debian's chromium is used), then runs every *.test.mjs here; each starts the five real
# services on free ports. Exit 77 (skipped) when node or chromium are missing (1 in CI, where
# that is a failure): scripts/setup.sh test installs them. playwright-core is pinned to 1.61.1,
# the last release that runs on Node 18 (Debian 12's nodejs is 18.20); it drives Debian's
# Chromium.
set -euo pipefail
cd "$(dirname "$0")"
missing=77
[ -n "${CI:-}" ] && missing=1
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser tests: node/npm missing (scripts/setup.sh test installs them)"; exit "$missing"
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser tests: $chromium missing (scripts/setup.sh test installs it)"; exit "$missing"
fi
locked=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
installed=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$installed" != "$locked" ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
echo "browser tests: node $(node --version), playwright-core $locked, $("$chromium" --version 2>/dev/null | head -1)"
exec node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
