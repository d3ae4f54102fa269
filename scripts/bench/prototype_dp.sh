#!/usr/bin/env bash
# Data-parallel `rlab prototype`: training throughput (images/s of the global batch) of one
# process against `--nproc 2` (two ranks, Gloo all-reduce on loopback) in the same run, on the
# Fashion-MNIST classifier, with the cores split fairly: 1 rank x T threads vs 2 ranks x T/2.
# Prints the load average before and after: on a shared machine the figures move with it.
# Usage: scripts/bench/prototype_dp.sh [STEPS] [BATCH]     (needs a built build/release or build/ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-100}
BATCH=${2:-128}
RLAB=""
for b in build/release/bin/rlab build/ci/bin/rlab; do [ -x "$b" ] && RLAB=$b && break; done
[ -n "$RLAB" ] || { echo "build rlab first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
CORES=$(nproc)
HALF=$(( CORES / 2 > 0 ? CORES / 2 : 1 ))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "rlab: $RLAB; $STEPS steps of a global batch of $BATCH; $CORES cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| setup | ranks x threads | images/s (global batch) | vs 1 process | wall s |\n|---|---|---:|---:|---:|\n'
run() { # label nproc threads
  cat > "$TMP/c.yaml" <<YAML
prototype:
  data: {dataset: fashion-mnist, validation: 0, test_limit: 200}
  model: {type: classifier, channels: [16, 32], hidden: 128}
  optimizer: {name: adam, lr: 0.001}
  budget: {max_batches: $STEPS}
  batch_size: $BATCH
  threads: $3
  log_every: 1000000
YAML
  local extra=()
  [ "$2" -gt 1 ] && extra=(--nproc "$2")
  "$RLAB" prototype "$TMP/c.yaml" --out "$TMP/runs-$2-$3" --format json -q "${extra[@]}"
}
R1=$(run one 1 "$CORES")
R1H=$(run one 1 "$HALF")
R2=$(run two 2 "$HALF")
/usr/bin/python3 - "$R1" "$R1H" "$R2" "$CORES" "$HALF" <<'PY'
import json, sys
one, one_half, two = (json.loads(a) for a in sys.argv[1:4])
cores, half = sys.argv[4], sys.argv[5]
base = one["images_per_s"]
for label, r, shape in (("1 process", one, f"1 x {cores}"),
                        ("1 process", one_half, f"1 x {half}"),
                        ("--nproc 2 (Gloo)", two, f"2 x {half}")):
    print(f"| {label} | {shape} | {r['images_per_s']:.0f} | {r['images_per_s'] / base:.2f} | {r['wall_s']:.1f} |")
PY
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
