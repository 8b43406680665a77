#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan + UBSan) and runs each one, as
# many at once as there are cores (PARLEY_FUZZ_JOBS).
#   scripts/fuzz.sh                 every target, 60 s each (what CI runs)
#   scripts/fuzz.sh 600             every target, 10 minutes each
#   scripts/fuzz.sh 300 ws_frame    one target (names: test/fuzz/<target>.cpp)
# Each target first replays its regression inputs (test/fuzz/regressions/<target>/, the crashes
# found so far), then fuzzes from its seed corpus (test/fuzz/corpus/<target>/) plus what earlier
# local runs found (build/fuzz/corpus/<target>/), with test/fuzz/dict/<target>.dict if there is
# one. Fails when any target crashes, leaks, hangs or trips a sanitizer, and prints where the
# reproducer is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
shift || true

scripts/setup.sh test
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-/work} CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
start=$(date +%s)
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
echo "fuzz: build took $(( $(date +%s) - start )) s"

build=$root/build/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # Every target the fuzz preset builds (one per test/fuzz/<target>.cpp).
  for binary in "$build"/fuzzers/*; do targets+=("$(basename "$binary")"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PARLEY_LOG_LEVEL=error

# One target: its regressions, then fuzzing. Prints its result; returns non-zero on failure.
fuzz_one() {
  local target=$1
  local binary=$build/fuzzers/$target
  if [ ! -x "$binary" ]; then
    echo "fuzz: no target '$target' (test/fuzz/$target.cpp)" >&2
    return 1
  fi
  local seeds=$root/test/fuzz/corpus/$target
  local regressions=$root/test/fuzz/regressions/$target
  local corpus=$build/corpus/$target
  local artifacts=$build/artifacts/$target
  local log=$build/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"

  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    if ! "$binary" "$regressions"/* >"$log.regressions" 2>&1; then
      echo "fuzz: $target FAILED on a regression input (test/fuzz/regressions/$target/); log:"
      tail -n 40 "$log.regressions"
      return 1
    fi
  fi

  local t0 status dict=()
  t0=$(date +%s)
  [ -f "$root/test/fuzz/dict/$target.dict" ] && dict=(-dict="$root/test/fuzz/dict/$target.dict")
  set +e
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
  status=$?
  set -e
  local runs cov
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
  if [ $status -ne 0 ]; then
    local reproducer
    reproducer=$(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo "fuzz: $target FAILED after $(( $(date +%s) - t0 )) s (exit $status); log: $log"
    grep -E 'ERROR|SUMMARY|check failed|runtime error|threw|failed:' "$log" | head -n 10 || true
    echo "fuzz: reproducer: ${reproducer:-none written}"
    [ -n "${reproducer:-}" ] && echo "fuzz: rerun with: $binary $reproducer"
    return 1
  fi
  echo "fuzz: $target ok: $runs runs in $(( $(date +%s) - t0 )) s, $cov"
}

# Targets run side by side, one per core (PARLEY_FUZZ_JOBS), each for the full time; each
# one's output is printed whole when it ends.
jobs=${PARLEY_FUZZ_JOBS:-$(nproc)}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  ( if fuzz_one "$target" >"$results/$target.out" 2>&1; then :; else touch "$results/$target.failed"; fi
    cat "$results/$target.out" ) &
  running=$((running + 1))
done
wait
failed=()
for target in "${targets[@]}"; do
  [ -e "$results/$target.failed" ] && failed+=("$target")
done

echo "fuzz: total $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
