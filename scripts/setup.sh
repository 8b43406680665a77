#!/usr/bin/env bash
# Installs what Parley needs to build, run and test on Debian 12 (apt). Safe to run again: it
# only calls apt when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libboost-context1.81-dev
  libssl-dev libsqlite3-dev libargon2-dev libpq-dev
  curl ca-certificates
)
# Extra groups: `setup.sh test` adds what the test suite starts (servers, browser).
for group in "$@"; do
  case "$group" in
    test)
      # The browser tests: Debian's Chromium, driven by npm playwright-core. Node.js and npm only
      # when missing (a machine may already have Node from another source, e.g. NodeSource,
      # whose nodejs package conflicts with Debian's npm).
      packages+=(chromium clang-format)
      # PostgreSQL for the store tests (test/support/postgres_server.hpp runs initdb + pg_ctl
      # from /usr/lib/postgresql/<version>/bin in a temporary directory).
      packages+=(postgresql)
      command -v node >/dev/null || packages+=(nodejs)
      command -v npm >/dev/null || packages+=(npm)
      ;;
    run) ;;
    *) echo "setup.sh: unknown group '$group' (known: run, test)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # Debian's postgresql package creates and starts a system cluster (15/main on port 5432,
    # started by invoke-rc.d with or without systemd). Parley only runs throwaway clusters of its
    # own: ask postgresql-common not to create the main one (pg_createcluster reads this drop-in).
    "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" |
      "${sudo_cmd[@]}" tee /etc/postgresql-common/createcluster.d/parley-no-main-cluster.conf >/dev/null
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
