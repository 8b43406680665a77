#!/usr/bin/env bash
# Installs what Parley needs to build, run and test on Debian 12 (apt). Safe to run again: it
# only calls apt when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libboost-context1.81-dev
  libssl-dev libsqlite3-dev libargon2-dev libpq-dev libhiredis-dev
  curl ca-certificates
)
# Extra groups: `setup.sh test` adds what the test suite starts (servers, browser).
debian_kubectl=no
for group in "$@"; do
  case "$group" in
    test)
      # The browser tests: Debian's Chromium, driven by npm playwright-core. Node.js and npm only
      # when missing (a machine may already have Node from another source, e.g. NodeSource,
      # whose nodejs package conflicts with Debian's npm).
      # fontconfig (fc-list) and DejaVu: the browser tests check that every character on the
      # page has a glyph in an installed font.
      packages+=(chromium clang-format fontconfig fonts-dejavu-core)
      # The Redis bus tests start their own redis-server (no system service is used).
      packages+=(redis-server)
      command -v node >/dev/null || packages+=(nodejs)
      command -v npm >/dev/null || packages+=(npm)
      # The manifest tests (test/manifests/): kubectl renders the kustomizations, the config test
      # starts PostgreSQL and Redis, create-secrets.sh uses openssl, the image check readelf. The
      # store and replica tests run PostgreSQL too (test/support/postgres_server.hpp: initdb +
      # pg_ctl from /usr/lib/postgresql/<version>/bin in a temporary directory).
      packages+=(postgresql redis-server openssl binutils)
      command -v kubectl >/dev/null || packages+=(kubernetes-client)
      debian_kubectl=yes
      ;;
    run) ;;
    *) echo "setup.sh: unknown group '$group' (known: run, test)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
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

# A machine with another kubectl (a current one) also gets Debian 12's kubectl 1.20, unpacked
# into build/tools/ (not installed), so that the manifest tests render with both.
if [ "$debian_kubectl" = yes ] && ! kubectl version --client 2>/dev/null | grep -q 'v1\.20\.'; then
  dir="$(cd "$(dirname "$0")/.." && pwd)/build/tools/kubernetes-client"
  if [ ! -x "$dir/usr/bin/kubectl" ]; then
    echo "setup: unpacking Debian's kubernetes-client into $dir"
    tmp=$(mktemp -d)
    chmod 755 "$tmp" # apt's download sandbox user writes here
    (cd "$tmp" && { apt-get download -qq kubernetes-client 2>/dev/null ||
      { "${sudo_cmd[@]}" apt-get update -qq && apt-get download -qq kubernetes-client; }; })
    mkdir -p "$dir"
    dpkg -x "$tmp"/kubernetes-client_*.deb "$dir"
    rm -rf "$tmp"
  fi
fi
