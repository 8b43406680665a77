#!/usr/bin/env bash
# Redraws docs/deployment.svg from the rendered manifests (test/manifests/picture.mjs); the
# test suite (manifests.picture) fails while the committed one is out of date.
set -euo pipefail
cd "$(dirname "$0")/../.."
test/manifests/run.sh --install >/dev/null
node test/manifests/picture.mjs
