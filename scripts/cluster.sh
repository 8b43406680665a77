#!/usr/bin/env bash
# A local multi-replica Parley on one machine (issue 9): a redis-server and a throwaway PostgreSQL
# cluster (initdb + pg_ctl in a temporary directory, ephemeral ports, run as the `postgres` user
# when we are root), N replicas of auth, user and chat on PostgreSQL and the Redis bus, one
# gateway balancing HTTP and WebSockets over them (port 5000) and the frontend (8080).
# Ctrl-C or SIGTERM stops exactly what it started and removes the temporary directory.
#   scripts/cluster.sh [--auth N] [--user N] [--chat N]   (default 2 each)
#   PARLEY_BASE_PORT=N     frontend on N, gateway on N+1 (as scripts/run.sh)
#   PARLEY_RUN_NO_SETUP=1  skip the apt and build steps (binaries in PARLEY_BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A count=([auth]=2 [user]=2 [chat]=2)
while [ $# -gt 0 ]; do
  case "$1" in
    --auth|--user|--chat)
      [[ ${2:-} =~ ^[1-9][0-9]?$ ]] || { echo "cluster: $1 needs a replica count 1-99" >&2; exit 2; }
      count[${1#--}]=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "cluster: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "${PARLEY_RUN_NO_SETUP:-}" ]; then
  scripts/setup.sh run
  scripts/build.sh default
fi
bin=${PARLEY_BUILD_DIR:-build/default}/apps
for service in auth user chat gateway frontend; do
  [ -x "$bin/$service/parley-$service" ] || { echo "cluster: $bin/$service/parley-$service is not built" >&2; exit 1; }
done
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "cluster: PostgreSQL is not installed (scripts/setup.sh test installs it)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "cluster: redis-server is not installed (scripts/setup.sh test installs it)" >&2; exit 1; }

frontend_port=8080 gateway_port=5000
if [ -n "${PARLEY_BASE_PORT:-}" ]; then
  frontend_port=$PARLEY_BASE_PORT gateway_port=$((PARLEY_BASE_PORT + 1))
fi
# A free TCP port on 127.0.0.1 (nothing answers it now).
taken=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ $taken == *" $p "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    taken+="$p "
    echo "$p"
    return
  done
}

tmp=$(mktemp -d /tmp/parley-cluster.XXXXXX)
chmod 755 "$tmp"
logs=$tmp/logs
mkdir -p "$logs"
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

pids=() names=()
pg_started=0
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "  Stopping the cluster…"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$pg_started" -eq 1 ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$tmp/pg" -m fast -w >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  echo "  Stopped; $tmp removed."
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

start() { # name, then the command; its output goes to $logs/<name>.log
  local name=$1; shift
  "$@" >>"$logs/$name.log" 2>&1 &
  pids+=($!) names+=("$name")
}

wait_health() { # name port: the process started as <name> answers /health on <port>
  local pid k
  for k in "${!names[@]}"; do [ "${names[$k]}" = "$1" ] && pid=${pids[$k]}; done
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$2/health" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "cluster: $1 did not start; the end of $logs/$1.log:" >&2
  tail -n 5 "$logs/$1.log" >&2
  exit 1
}

# Redis: no persistence, on an ephemeral port.
redis_port=$(free_port)
start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$tmp" --daemonize no
for _ in $(seq 1 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# PostgreSQL: a throwaway cluster, one database per service.
pg_port=$(free_port)
pg_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$tmp/pg" "$tmp/pgrun" # the data, and the socket and log (both the server's own)
echo "$pg_password" >"$tmp/pgpass"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$tmp/pg" "$tmp/pgrun" "$tmp/pgpass"
"${as_pg[@]}" "$pg_bin/initdb" -D "$tmp/pg" -U postgres --pwfile="$tmp/pgpass" \
  --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >"$logs/initdb.log" 2>&1
cat >>"$tmp/pg/postgresql.conf" <<EOF
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp/pgrun'
fsync = off
max_connections = 200
EOF
"${as_pg[@]}" "$pg_bin/pg_ctl" start -D "$tmp/pg" -l "$tmp/pgrun/postgres.log" -w -t 60 >/dev/null
pg_started=1
for db in auth user chat; do
  "${as_pg[@]}" "$pg_bin/psql" -h "$tmp/pgrun" -p "$pg_port" -U postgres -q -c "CREATE DATABASE parley_$db" >/dev/null
done
db_url() { echo "postgres://postgres:$pg_password@127.0.0.1:$pg_port/parley_$1"; }

# One key pair for every service (tokens from any auth replica verify everywhere).
openssl genpkey -algorithm ed25519 -out "$tmp/jwt.pem" 2>/dev/null
openssl pkey -in "$tmp/jwt.pem" -pubout -out "$tmp/jwt.pub.pem"
export PARLEY_DATA_DIR=$tmp/data PARLEY_JWT_PUBLIC_KEY_FILE=$tmp/jwt.pub.pem
export PARLEY_BUS_URL=redis://127.0.0.1:$redis_port
mkdir -p "$PARLEY_DATA_DIR"

declare -A ports
for service in auth user chat; do
  list=()
  for i in $(seq 1 "${count[$service]}"); do list+=("$(free_port)"); done
  ports[$service]="${list[*]}"
done
addresses() { local out=() p; for p in ${ports[$1]}; do out+=("127.0.0.1:$p"); done; (IFS=,; echo "${out[*]}"); }
first() { local p; for p in ${ports[$1]}; do echo "http://127.0.0.1:$p"; return; done; }
export PARLEY_AUTH_URL=$(addresses auth) PARLEY_USER_URL=$(first user)

# The first replica of each service migrates its database; the others start after it.
for service in auth user chat; do
  upper=${service^^}
  i=0
  for p in ${ports[$service]}; do
    i=$((i + 1))
    extra=()
    [ "$service" = auth ] && extra=(PARLEY_JWT_PRIVATE_KEY_FILE="$tmp/jwt.pem")
    start "$service-$i" env "${extra[@]}" PARLEY_PORT="$p" PARLEY_REPLICAS="${count[$service]}" \
      PARLEY_${upper}_DATABASE_URL="$(db_url "$service")" "$bin/$service/parley-$service"
    [ "$i" -eq 1 ] && wait_health "$service-$i" "$p"
  done
done
for service in auth user chat; do
  i=0
  for p in ${ports[$service]}; do
    i=$((i + 1))
    wait_health "$service-$i" "$p"
  done
done

start gateway env PARLEY_PORT="$gateway_port" PARLEY_USER_URL="$(addresses user)" \
  PARLEY_CHAT_URL="$(addresses chat)" PARLEY_FRONTEND_URL="127.0.0.1:$frontend_port" \
  PARLEY_GATEWAY_PUBLIC_PORT="$gateway_port" "$bin/gateway/parley-gateway"
wait_health gateway "$gateway_port"
start frontend env PARLEY_PORT="$frontend_port" PARLEY_GATEWAY_PUBLIC_PORT="$gateway_port" \
  "$bin/frontend/parley-frontend"
wait_health frontend "$frontend_port"

cat <<EOF

  Parley cluster is running: open http://127.0.0.1:$frontend_port/
  auth ×${count[auth]}, user ×${count[user]}, chat ×${count[chat]} on PostgreSQL (127.0.0.1:$pg_port)
  and Redis (127.0.0.1:$redis_port); gateway on $gateway_port balances over them.
  Development mode: sign in as admin / admin123 (the topology is on /admin.html).
  Logs: $logs/<name>.log. Ctrl-C stops everything and removes $tmp.

EOF
# Until Ctrl-C / SIGTERM, or until a process exits on its own.
while :; do
  for k in "${!pids[@]}"; do
    if ! kill -0 "${pids[$k]}" 2>/dev/null; then
      echo "cluster: ${names[$k]} exited; the end of $logs/${names[$k]}.log:" >&2
      tail -n 5 "$logs/${names[$k]}.log" >&2
      exit 1
    fi
  done
  sleep 1
done
