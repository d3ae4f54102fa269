#!/usr/bin/env bash
# Nightly experiment pipeline (an example to copy and adapt):
#   1. train the experiment once per seed (rlab prototype),
#   2. compare the night's runs with the last accepted baseline (rlab validate),
#   3. advance the baseline only when validate passes,
#   4. append one line to the pipeline's record (nightly.jsonl) and exit with validate's code.
# Two nightly runs never overlap: the second one exits 75 at once (flock on STATE/nightly.lock).
#
#   scripts/nightly.sh [CONFIG]     (default: configs/examples/prototype.yaml)
#
# Environment:
#   RLAB          the rlab binary (default: rlab on PATH, else build/ci/bin/rlab)
#   NIGHTLY_DIR   state folder: nightly.lock, nightly.jsonl, baseline, nights/ (default: nightly)
#   SEEDS         seeds per night, 0..SEEDS-1 (default 3)
#   METRICS       validate's --metric list, space separated (default "test_loss:lower")
#   PROTOTYPE_ARGS  more arguments for every `rlab prototype` (word-split), e.g. "--max-batches 200"
#
# Exit: 0 baseline advanced (or set the first time), 1 regression (baseline kept), 4 a run
# failed (baseline kept), 75 another nightly run holds the lock, other: validate's usage/input code.
#
# crontab (02:30 every night; the lock makes a late night safe):
#   30 2 * * * cd /srv/lab && NIGHTLY_DIR=/srv/lab/nightly scripts/nightly.sh exp.yaml >>nightly.log 2>&1
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-$here/configs/examples/prototype.yaml}
state=${NIGHTLY_DIR:-nightly}
seeds=${SEEDS:-3}
metrics=${METRICS:-test_loss:lower}
if [ -z "${RLAB:-}" ]; then
  if command -v rlab >/dev/null; then RLAB=rlab; else RLAB=$here/build/ci/bin/rlab; fi
fi

mkdir -p "$state/nights"
exec 9>>"$state/nightly.lock"
if ! flock -n 9; then
  echo "nightly: another nightly run holds $state/nightly.lock; not starting a second one" >&2
  exit 75
fi

night=$(date -u +%Y%m%dT%H%M%SZ)
out=$state/nights/$night
n=0
while [ -e "$out" ]; do n=$((n + 1)); out=$state/nights/$night-$n; done
mkdir -p "$out/runs"
baseline=""
[ -f "$state/baseline" ] && baseline=$(cat "$state/baseline")

# One JSON line appended to nightly.jsonl (written whole, then flushed by the shell).
record() { # status exit_code baseline_after
  printf '{"night": "%s", "dir": "%s", "config": "%s", "seeds": %s, "status": "%s", "exit": %s, "baseline_before": %s, "baseline_after": %s}\n' \
    "$night" "$out" "$config" "$seeds" "$1" "$2" \
    "$( [ -n "$baseline" ] && printf '"%s"' "$baseline" || printf null)" \
    "$( [ -n "$3" ] && printf '"%s"' "$3" || printf null)" >>"$state/nightly.jsonl"
}

# Advances the baseline atomically (a reader sees the old or the new path, never half).
advance() {
  printf '%s\n' "$out/runs" >"$state/baseline.tmp" && mv -f "$state/baseline.tmp" "$state/baseline"
}

# 1. Train once per seed.
for seed in $(seq 0 $((seeds - 1))); do
  # shellcheck disable=SC2086
  "$RLAB" prototype "$config" --seed "$seed" --out "$out/runs" --format json -q \
    ${PROTOTYPE_ARGS:-} >"$out/seed-$seed.json"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "nightly: rlab prototype --seed $seed failed (exit $rc); baseline kept" >&2
    record run-failed 4 "$baseline"
    exit 4
  fi
done

# 2. The first night becomes the baseline.
if [ -z "$baseline" ]; then
  advance
  record baseline-initialised 0 "$out/runs"
  echo "nightly: no baseline yet; $out/runs is now the baseline"
  exit 0
fi

# 3. Validate against the last accepted baseline; 4. advance only when it passes.
args=()
for m in $metrics; do args+=(--metric "$m"); done
"$RLAB" validate "baseline=$baseline" "night=$out/runs" "${args[@]}" --format md \
  >"$out/validate.md"
rc=$?
cat "$out/validate.md"
case $rc in
  0) advance; record accepted 0 "$out/runs"
     echo "nightly: passed; the baseline is now $out/runs" ;;
  1) record regression 1 "$baseline"
     echo "nightly: regression against $baseline; baseline kept" >&2 ;;
  *) record validate-error "$rc" "$baseline"
     echo "nightly: rlab validate failed (exit $rc); baseline kept" >&2 ;;
esac
exit "$rc"
