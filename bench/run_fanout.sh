#!/usr/bin/env bash
# The chat fan-out benchmark: one chat process (fresh data directory, ephemeral port) and
# parley-bench-fanout with 1,000 WebSocket clients in 10 rooms of 100, at each given message rate.
#
#   bench/run_fanout.sh              # 500 and 2000 messages/s = 50,000 and 200,000 deliveries/s
#   bench/run_fanout.sh 1000 3000    # other rates
#   SECONDS_PER_RUN=20 CLIENTS=1000 ROOMS=10 bench/run_fanout.sh
#
# Prints, per rate: deliveries/s, loss, gaps, latency p50/p99/max, and the chat server's CPU time
# (utime+stime from /proc) per delivered message. Builds the default preset first.
set -euo pipefail
cd "$(dirname "$0")/.."
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(500 2000)
scripts/build.sh default >/dev/null
build=build/default
chat=$build/apps/chat/parley-chat
bench=$build/bench/fanout/parley-bench-fanout

for rate in "${rates[@]}"; do
  data=$(mktemp -d)
  PARLEY_DATA_DIR=$data PARLEY_PORT=0 PARLEY_BIND=127.0.0.1 PARLEY_LOG_LEVEL=info "$chat" 2>"$data/chat.log" &
  pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(grep -o '"message":"listening".*"port":[0-9]*' "$data/chat.log" 2>/dev/null | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "run_fanout: chat did not start:"; cat "$data/chat.log"; kill "$pid" 2>/dev/null; exit 1
  fi
  echo "== $rate messages/s: $bench --port $port --server-pid $pid --clients ${CLIENTS:-1000} --rooms ${ROOMS:-10} --rate $rate --seconds ${SECONDS_PER_RUN:-10}"
  status=0
  "$bench" --port "$port" --key "$data/keys/jwt-ed25519.pem" --server-pid "$pid" \
    --clients "${CLIENTS:-1000}" --rooms "${ROOMS:-10}" --rate "$rate" --seconds "${SECONDS_PER_RUN:-10}" \
    2> >(grep -v 'closed:' >&2) || status=$?
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$data"
  [ "$status" -eq 0 ] || echo "run_fanout: deliveries were lost at $rate messages/s"
done
