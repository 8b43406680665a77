#!/usr/bin/env bash
# Runs parley-bench-store on SQLite and on a throwaway PostgreSQL cluster (fsync on, as in
# production; once with synchronous_commit on, once off, SQLite's WAL + synchronous=NORMAL being
# closest to the latter), then stops the cluster it started.
#
#   bench/store/run.sh [build-dir=build/default] [transactions=2000] [concurrency=16]
set -euo pipefail
build=${1:-build/default}
transactions=${2:-2000}
concurrency=${3:-16}
bench="$build/bench/store/parley-bench-store"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$bench" ] || { echo "build parley-bench-store first" >&2; exit 1; }

dir=$(mktemp -d /tmp/parley-bench-store-XXXXXX)
as_pg=()
[ "$(id -u)" -eq 0 ] && { chown postgres "$dir"; as_pg=(runuser -u postgres --); }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
(cd "$dir" && "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C >/dev/null)
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
CONF
(cd "$dir" && "${as_pg[@]}" "$pgbin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w >/dev/null)

echo "== SQLite (WAL, synchronous=NORMAL)"
"$bench" "$dir/bench.db" "$transactions" "$concurrency"
for commit in on off; do
  "${as_pg[@]}" "$pgbin/psql" -h "$dir" -p "$port" -U postgres -qc "CREATE DATABASE bench_$commit" postgres
  "${as_pg[@]}" "$pgbin/psql" -h "$dir" -p "$port" -U postgres -qc \
    "ALTER DATABASE bench_$commit SET synchronous_commit = $commit" postgres
  echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') (fsync on, synchronous_commit $commit, pool 16)"
  "$bench" "postgres://postgres@127.0.0.1:$port/bench_$commit?pool=16" "$transactions" "$concurrency"
  # The same transaction from PostgreSQL's own C client (libpq, blocking, prepared), for scale.
  printf 'BEGIN;\nINSERT INTO bench_rows (v) VALUES (:v);\nCOMMIT;\n' >"$dir/insert.sql"
  for clients in 1 "$concurrency"; do
    "${as_pg[@]}" "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared \
      -D v=a-row-of-some-forty-characters-or-so -f "$dir/insert.sql" -c "$clients" -j 1 \
      -t $((transactions / clients)) "bench_$commit" 2>/dev/null |
      awk -v c="$clients" '/latency average/ {lat=$4} /^tps/ {tps=$3} END {
        printf "pgbench baseline, %d client(s): latency average %.0f us (%.0f tx/s)\n", c, lat*1000, tps }'
  done
done
