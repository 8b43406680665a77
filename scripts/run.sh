#!/usr/bin/env bash
# Installs what is needed, builds, and runs the five Parley services in the foreground. The
# terminal shows a short banner and the services' warnings and errors; the full JSON logs go to
# <data dir>/logs/<service>.log (data dir: PARLEY_DATA_DIR, default var/). Ctrl-C stops them all.
#   PARLEY_BASE_PORT=N   run on N (frontend), N+1 (gateway), N+2..N+4 (auth, user, chat) instead
#                        of 8080, 5000, 5001-5003, e.g. beside another copy
#   PARLEY_RUN_NO_SETUP=1  skip the apt and build steps and run the binaries already in
#                        PARLEY_BUILD_DIR (default build/default): the tests do, after building
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PARLEY_RUN_NO_SETUP:-}" ]; then
  scripts/setup.sh run
  scripts/build.sh default
fi
bin=${PARLEY_RUN_NO_SETUP:+${PARLEY_BUILD_DIR:-build/default}}
bin=${bin:-build/default}/apps
declare -A port=([frontend]=8080 [gateway]=5000 [auth]=5001 [user]=5002 [chat]=5003)
if [ -n "${PARLEY_BASE_PORT:-}" ]; then
  b=$PARLEY_BASE_PORT
  port=([frontend]=$b [gateway]=$((b + 1)) [auth]=$((b + 2)) [user]=$((b + 3)) [chat]=$((b + 4)))
  export PARLEY_AUTH_URL=127.0.0.1:${port[auth]} PARLEY_USER_URL=127.0.0.1:${port[user]}
  export PARLEY_CHAT_URL=127.0.0.1:${port[chat]} PARLEY_FRONTEND_URL=127.0.0.1:${port[frontend]}
  export PARLEY_GATEWAY_PUBLIC_PORT=${port[gateway]}
fi
export PARLEY_DATA_DIR=${PARLEY_DATA_DIR:-var}
logs="$PARLEY_DATA_DIR/logs"
mkdir -p "$logs"
services=(auth user chat gateway frontend)
for service in "${services[@]}"; do
  [ -x "$bin/$service/parley-$service" ] || { echo "run: $bin/$service/parley-$service is not built" >&2; exit 1; }
  touch "$logs/$service.log"
done

pids=()
follower=
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "  Stopping Parley…"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$follower" ] && kill "$follower" 2>/dev/null || true
  echo "  Stopped. The data (and logs) stay in $PARLEY_DATA_DIR/; remove that directory to start afresh."
}
trap cleanup EXIT INT TERM

# Warnings and errors from every log, each distinct message once, as "level service: message".
warnings() {
  local line level service message
  declare -A seen=()
  local re='"level":"(warn|error)","service":"([^"]*)","message":"(([^"\\]|\\.)*)"'
  while IFS= read -r line; do
    [[ $line =~ $re ]] || continue
    level=${BASH_REMATCH[1]} service=${BASH_REMATCH[2]} message=${BASH_REMATCH[3]}
    [ -n "${seen[$message]:-}" ] && continue
    seen[$message]=1
    printf '  %-5s %s: %s\n' "$level" "$service" "$message"
  done
}
files=()
for service in "${services[@]}"; do files+=("$logs/$service.log"); done
# (Stopping tail ends the filter behind it: it reads end of file.)
tail -q -n0 -F "${files[@]}" 2>/dev/null > >(grep --line-buffered -E '"level":"(warn|error)"' | warnings) &
follower=$!

# Development: with PARLEY_SERVICE_TOKEN unset every service uses the same built-in service
# credential, so auth believes the client address the gateway sends (per-client login throttle).
for service in "${services[@]}"; do
  PARLEY_PORT=${port[$service]} "$bin/$service/parley-$service" >>"$logs/$service.log" 2>&1 &
  pids+=($!)
done

# Ready when the frontend and the gateway answer; a service that exits early is reported.
ready=0
for _ in $(seq 1 100); do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run: ${services[$i]} stopped at start-up; the end of $logs/${services[$i]}.log:" >&2
      tail -n 5 "$logs/${services[$i]}.log" >&2
      exit 1
    fi
  done
  if curl -fs -o /dev/null "http://127.0.0.1:${port[frontend]}/health" &&
     curl -fs -o /dev/null "http://127.0.0.1:${port[gateway]}/health"; then
    ready=1
    break
  fi
  sleep 0.2
done
sleep 0.3 # let the start-up warnings print before the banner
if [ "${PARLEY_ENV:-development}" = production ]; then
  login="Sign in with the accounts you configured."
else
  login="Development mode: sign in as admin / admin123 (the admin dashboard is /admin.html)."
fi
cat <<EOF

  Parley is running: open http://127.0.0.1:${port[frontend]}/
  $login
  Logs: $logs/<service>.log (JSON lines); warnings and errors also show here.
  Ctrl-C stops everything.

EOF
[ "$ready" -eq 1 ] || echo "  (not every service answered /health yet: see $logs/)"
wait "${pids[@]}"
