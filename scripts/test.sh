#!/usr/bin/env bash
# The whole test suite from a bare Debian 12: install, build, run every test.
#   scripts/test.sh            default (optimised) build
#   scripts/test.sh asan       the same tests under AddressSanitizer + UBSan
#   scripts/test.sh tsan       the concurrency, fan-out, client and store tests (ctest label
#                              "tsan") under ThreadSanitizer, built with clang
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
scripts/setup.sh test
start=$(date +%s)
scripts/build.sh "$preset"
echo "build ($preset) took $(( $(date +%s) - start )) s"
ctest --preset "$preset" -j "$(nproc)"
