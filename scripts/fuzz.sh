#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/) for a fixed time, two at a time, starting from the
# committed seed corpus (tests/fuzz/corpus/<target>/). Fails when any target finds a crash, a
# sanitizer report, a leak, an uncaught exception or a timeout; the input that did it is saved
# as build/asan/fuzz/artifacts/<target>-crash-... (or leak-/timeout-/oom-).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#   RLAB_FUZZ_JOBS=1 scripts/fuzz.sh ...                  (targets at a time; default 2)
#
# Needs the `asan` preset built (cmake --preset asan && cmake --build --preset asan), which
# scripts/test.sh does. Prints one line per target: executions, executions/s, coverage (cov:
# edges) and features (ft:) reached, new inputs found.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
bin=build/asan/fuzz
if [ ! -d "$bin" ]; then
  echo "fuzz: $bin not found; build the asan preset first" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bin"/fuzz_*; do targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
work=build/asan/fuzz/work
art=build/asan/fuzz/artifacts
rm -rf "$work"
mkdir -p "$work" "$art"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {
  local t="$1" rc=0
  mkdir -p "$work/$t/corpus"
  # New inputs go to the scratch corpus; the committed seeds are read only.
  "$bin/fuzz_$t" "$work/$t/corpus" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$art/$t-" >"$work/$t/log" 2>&1 || rc=$?
  echo "$rc" >"$work/$t/rc"
}

pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "${RLAB_FUZZ_JOBS:-2}" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p"; done

status=0
printf '%-10s %10s %8s %7s %7s %7s  %s\n' target execs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  log="$work/$t/log"
  rc=$(cat "$work/$t/rc")
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc; log: $log)"
    status=1
  fi
  printf '%-10s %10s %8s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$result"
done
if [ $status -ne 0 ]; then
  for t in "${targets[@]}"; do
    if [ "$(cat "$work/$t/rc")" -ne 0 ]; then
      echo "---- $t ----" >&2
      grep -v '^#[0-9]' "$work/$t/log" | tail -40 >&2
    fi
  done
fi
exit $status
