#!/usr/bin/env bash
# rlab prototype: training throughput against Debian's PyTorch 1.13 in Python (the same
# classifier, batch size, optimiser, data path and thread count, in the same run), the data
# loading share of the step time, and (with --accuracy) the wall time for the classifier to
# reach 90 % Fashion-MNIST test accuracy on CPU.
# Usage: scripts/bench/prototype.sh [STEPS] [--accuracy]     (needs a built build/release or build/ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-60}
ACCURACY=0
for a in "$@"; do [ "$a" = "--accuracy" ] && ACCURACY=1; done
RLAB=""
for b in build/release/bin/rlab build/ci/bin/rlab; do [ -x "$b" ] && RLAB=$b && break; done
[ -n "$RLAB" ] || { echo "build rlab first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
THREADS=${THREADS:-$(nproc)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "rlab: $RLAB; threads $THREADS; $STEPS steps per figure; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
printf '| model | batch | rlab images/s | PyTorch images/s | ratio | rlab data share | PyTorch data share |\n|---|---:|---:|---:|---:|---:|---:|\n'
for CH in 16 32; do
  for BATCH in 16 64; do
    cat > "$TMP/c.yaml" <<YAML
prototype:
  data: {dataset: fashion-mnist, validation: 0, test_limit: 100}
  model: {type: classifier, channels: [$CH, $((2 * CH))], hidden: 128}
  optimizer: {name: adam, lr: 0.001}
  budget: {max_batches: $STEPS}
  batch_size: $BATCH
  threads: $THREADS
  log_every: 1000000
YAML
    R=$("$RLAB" prototype "$TMP/c.yaml" --out "$TMP/runs" --format json -q || true)
    P=$(/usr/bin/python3 scripts/bench/prototype_torch.py "$STEPS" "$BATCH" "$THREADS" "$CH" 128)
    /usr/bin/python3 - "$R" "$P" "$CH" "$BATCH" <<'PY'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ch, b = sys.argv[3], sys.argv[4]
print(f"| classifier [{ch}, {2*int(ch)}] | {b} | {r['images_per_s']:.0f} | {p['images_per_s']:.0f} | "
      f"{r['images_per_s']/p['images_per_s']:.2f} | {100*r['data_share']:.1f} % | {100*p['data_share']:.1f} % |")
PY
  done
done
if [ "$ACCURACY" = 1 ]; then
  cat > "$TMP/a.yaml" <<YAML
prototype:
  data: {dataset: fashion-mnist, validation: 0}
  model: {type: classifier, channels: [16, 32], hidden: 128}
  optimizer: {name: adam, lr: 0.002}
  schedule: cosine
  budget: {epochs: 3}
  batch_size: 64
  threads: $THREADS
YAML
  echo
  START=$(date +%s.%N)
  A=$("$RLAB" prototype "$TMP/a.yaml" --out "$TMP/runs" --format json -q || true)
  END=$(date +%s.%N)
  /usr/bin/python3 - "$A" "$START" "$END" <<'PY'
import json, sys
a = json.loads(sys.argv[1])
print(f"classifier [16, 32], 3 epochs, batch 64, adam + cosine: test accuracy "
      f"{100*a['metrics']['test_accuracy']:.2f} %, wall time {float(sys.argv[3]) - float(sys.argv[2]):.0f} s "
      f"(training {a['wall_s']:.0f} s, {a['images_per_s']:.0f} images/s)")
PY
fi
