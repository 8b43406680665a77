#!/usr/bin/env bash
# Installs what Parley needs to build, run and test on Debian 12 (apt). Safe to run again: it
# only calls apt when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
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
      # The tsan preset and scripts/fuzz.sh: Debian's clang, its sanitizer and libFuzzer
      # runtimes, and llvm-symbolizer for readable sanitizer reports.
      packages+=(clang-14 libclang-rt-14-dev llvm-14)
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
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
