#!/usr/bin/env bash
# The browser end-to-end tests: installs playwright-core (npm, no browser download: Debian's
# chromium is used), then runs e2e.test.mjs, which starts the five real services on free ports.
# Exit 77 (skipped) when node or chromium are missing: scripts/setup.sh test installs them.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser tests skipped: node/npm missing (scripts/setup.sh test installs them)"; exit 77
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser tests skipped: $chromium missing (scripts/setup.sh test installs it)"; exit 77
fi
if [ ! -d node_modules/playwright-core ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
fi
exec node --test --test-concurrency=1 --test-reporter=spec e2e.test.mjs
