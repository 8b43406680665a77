#!/usr/bin/env bash
# Deploys Parley with kubectl's current context: the secrets (once), then an overlay, then waits
# until every workload is up.
#   scripts/k8s/deploy.sh [OVERLAY]         default: kind (manifests/overlays/kind); or scale, base
set -euo pipefail
cd "$(dirname "$0")/../.."
kubectl=${KUBECTL:-kubectl}
overlay=${1:-kind}
dir=manifests/overlays/$overlay
[ "$overlay" = base ] && dir=manifests/base
scripts/k8s/create-secrets.sh
"$kubectl" apply -k "$dir"
"$kubectl" -n parley rollout status statefulset/postgres --timeout=300s
for workload in redis auth user chat gateway frontend; do
  "$kubectl" -n parley rollout status "deployment/$workload" --timeout=300s
done
if [ "$overlay" = kind ]; then
  echo "Parley is running: open http://localhost:30080/ (sign in as admin with the password from"
  echo "  kubectl -n parley get secret parley-secrets -o jsonpath='{.data.admin-password}' | base64 -d)"
fi
