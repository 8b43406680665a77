#!/usr/bin/env bash
# Creates the kind cluster "parley" (manifests/overlays/kind/kind-cluster.yaml: NodePorts 30080
# and 30000 on localhost) unless it exists, and loads the locally built image into its nodes.
#   scripts/k8s/kind-load.sh [TAG]          default TAG: parley:dev
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-parley:dev}
cluster=${KIND_CLUSTER:-parley}
if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster --name "$cluster" --config manifests/overlays/kind/kind-cluster.yaml
fi
kind load docker-image "$tag" --name "$cluster"
