#!/usr/bin/env bash
# Installs what is needed, builds, and runs every Parley service that exists yet, in the
# foreground; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
scripts/build.sh default
bin=build/default/apps
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM
started=0
# Development: with PARLEY_SERVICE_TOKEN unset every service uses the same built-in service
# credential, so auth believes the client address the gateway sends (per-client login throttle).
for service in auth user chat gateway frontend; do
  exe="$bin/$service/parley-$service"
  if [ -x "$exe" ]; then
    "$exe" & pids+=($!)
    started=$((started + 1))
  fi
done
if [ "$started" -eq 0 ]; then
  echo "run: no services are built yet (the framework is in place; the services come next)"
  exit 0
fi
# Wait for the frontend before printing its address.
for _ in $(seq 1 50); do
  curl -fs -o /dev/null http://127.0.0.1:8080/health && break
  sleep 0.2
done
cat <<EOF

  Parley is running ($started services). Open http://127.0.0.1:8080/ in a browser.
  Development mode: sign in as admin / admin123 (the admin dashboard is /admin.html), or register.
  Ctrl-C stops everything.

EOF
wait
