#!/usr/bin/env bash
# ctest gpu_check_cpu (label torch): scripts/gpu-bundle.sh then scripts/gpu-check.sh --device cpu
# --quick with that bundle (every bundled library linked, so the bundle's copies are the ones
# loaded) and the training core built by this build; every check must pass except the ones that
# need a GPU, which must say why they are skipped.
# Usage: gpu_check_test.sh RLAB CORE
set -euo pipefail
RLAB=$1
CORE=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
"$PY" -c 'import torch' 2> /dev/null || { echo "no torch in $PY: skipped"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
bash "$ROOT/scripts/gpu-bundle.sh" --fast --rlab "$RLAB" --out "$TMP/bundle"
set +e
bash "$ROOT/scripts/gpu-check.sh" --device cpu --quick --python "$PY" --bundle "$TMP/bundle" \
  --libs all --core "$CORE" --out "$TMP/out" --work "$TMP/work"
code=$?
set -e
cat "$TMP/out/gpu-check.md"
"$PY" - "$TMP/out/gpu-check.json" "$code" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
code = int(sys.argv[2])
checks = {c["id"]: c for c in r["checks"]}
want = ["doctor", "quick", "quick_amp", "throughput", "accuracy", "resume", "bayesopt", "parallel"]
bad = [i for i in want if checks.get(i, {}).get("status") != "pass"]
assert not bad, "checks not passed: %s" % {i: checks.get(i) for i in bad}
assert code == 0 and r["passed"], "exit %d" % code
linked = r["environment"].get("rlab_libraries_linked", [])
assert any(x.startswith("libfmt") for x in linked), linked  # the bundle's copies were used
tp = checks["throughput"]["rows"]
assert [x["batch"] for x in tp] == [32, 64] and all(x["ratio"] > 0 for x in tp), tp
assert all(t["met"] is None for t in r["targets"]), r["targets"]  # GPU targets: n/a on cpu
nccl = [p for p in checks["parallel"]["parts"] if p["backend"] == "nccl"][0]
assert nccl["status"] == "skip" and "two GPUs" in nccl["detail"], nccl
print("gpu_check_cpu: ok")
PY
