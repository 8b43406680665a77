#!/usr/bin/env bash
# Builds the Parley image (all five services and the browser app) with Docker.
#   scripts/k8s/build-image.sh [TAG]        default TAG: parley:dev (what the kind overlay runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-parley:dev}
docker build -t "$tag" .
echo "built $tag"
