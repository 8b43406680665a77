#!/usr/bin/env bash
# The chat fan-out benchmark: one chat process (fresh data directory, ephemeral port) and
# parley-bench-fanout with 1,000 WebSocket clients in 10 rooms of 100, at each given message rate.
#
#   bench/run_fanout.sh              # 500 and 2000 messages/s = 50,000 and 200,000 deliveries/s
#   bench/run_fanout.sh 1000 3000    # other rates
#   bench/run_fanout.sh --through-gateway 500 2000   # the browser's path: clients -> gateway -> chat
#   SECONDS_PER_RUN=20 CLIENTS=1000 ROOMS=10 bench/run_fanout.sh
#   BUILD_DIR=/tmp/before bench/run_fanout.sh        # binaries from there (apps/chat/parley-chat,
#                                                    # apps/gateway/parley-gateway), no build
#
# Prints, per rate: deliveries/s, loss, gaps, latency p50/p99/max, and the servers' CPU time
# (utime+stime from /proc; chat plus gateway with --through-gateway, or GATEWAY=1) per delivered
# message. Builds the default preset first.
set -euo pipefail
cd "$(dirname "$0")/.."
gateway=${GATEWAY:-0}
rates=()
for a in "$@"; do
  case "$a" in
    --through-gateway) gateway=1 ;;
    *) rates+=("$a") ;;
  esac
done
[ ${#rates[@]} -gt 0 ] || rates=(500 2000)
if [ -n "${BUILD_DIR:-}" ]; then
  build=$BUILD_DIR
else
  scripts/build.sh default >/dev/null
  build=build/default
fi
chat=$build/apps/chat/parley-chat
gateway_bin=$build/apps/gateway/parley-gateway
bench=${BENCH:-build/default/bench/fanout/parley-bench-fanout}

# Waits for a service's "listening" log line and prints its port.
port_of() {
  local log=$1 port=
  for _ in $(seq 1 100); do
    port=$(grep -o '"message":"listening".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  return 1
}

for rate in "${rates[@]}"; do
  data=$(mktemp -d)
  PARLEY_DATA_DIR=$data PARLEY_PORT=0 PARLEY_BIND=127.0.0.1 PARLEY_LOG_LEVEL=info "$chat" 2>"$data/chat.log" &
  pid=$!
  pids=$pid
  if ! port=$(port_of "$data/chat.log"); then
    echo "run_fanout: chat did not start:"; cat "$data/chat.log"; kill "$pid" 2>/dev/null; exit 1
  fi
  target=$port
  prefix=
  gw_pid=
  if [ "$gateway" = 1 ]; then
    # Auth and user are not on this path: pointed at the discard port.
    PARLEY_DATA_DIR=$data PARLEY_PORT=0 PARLEY_BIND=127.0.0.1 PARLEY_LOG_LEVEL=info \
      PARLEY_CHAT_URL=127.0.0.1:$port PARLEY_AUTH_URL=127.0.0.1:9 PARLEY_USER_URL=127.0.0.1:9 \
      PARLEY_FRONTEND_URL=127.0.0.1:9 env ${GATEWAY_IO_THREADS:+PARLEY_IO_THREADS=$GATEWAY_IO_THREADS} "$gateway_bin" 2>"$data/gateway.log" &
    gw_pid=$!
    if ! target=$(port_of "$data/gateway.log"); then
      echo "run_fanout: gateway did not start:"; cat "$data/gateway.log"; kill "$pid" "$gw_pid" 2>/dev/null; exit 1
    fi
    prefix=/api/chat
    pids=$pid,$gw_pid
  fi
  echo "== $rate messages/s$([ "$gateway" = 1 ] && echo ' through the gateway'): $bench --port $target${prefix:+ --api-prefix $prefix} --server-pid $pids --clients ${CLIENTS:-1000} --rooms ${ROOMS:-10} --rate $rate --seconds ${SECONDS_PER_RUN:-10}"
  status=0
  "$bench" --port "$target" ${prefix:+--api-prefix "$prefix"} --key "$data/keys/jwt-ed25519.pem" --server-pid "$pids" \
    --clients "${CLIENTS:-1000}" --rooms "${ROOMS:-10}" --rate "$rate" --seconds "${SECONDS_PER_RUN:-10}" ${DRAIN:+--drain "$DRAIN"} \
    2> >(grep -v 'closed:' >&2) || status=$?
  [ -n "$gw_pid" ] && { kill -TERM "$gw_pid"; wait "$gw_pid" || true; }
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$data"
  [ "$status" -eq 0 ] || echo "run_fanout: deliveries were lost at $rate messages/s"
done
