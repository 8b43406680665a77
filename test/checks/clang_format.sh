#!/usr/bin/env bash
# Fails when a C++ source differs from what clang-format makes of it (the repository's
# .clang-format). Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang-format >/dev/null; then
  echo "clang-format is missing: scripts/setup.sh test installs it" >&2
  exit 1
fi
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run -Werror
echo "clang-format: $(git ls-files '*.cpp' '*.hpp' | wc -l) files formatted"
