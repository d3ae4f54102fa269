#!/usr/bin/env bash
# The GPU check of the training core, as one command: builds librlab_train_core.so against the
# libtorch of a Python's PyTorch, then runs the checks with the rlab binary (from the bundle of
# scripts/gpu-bundle.sh, or a build here) and writes gpu-check.json, gpu-check.md and
# gpu-check.log under --out. The logic is in scripts/gpu_check.py (Python's standard library
# only); see `scripts/gpu-check.sh --help` and docs/benchmarks.md ("GPU").
#
#   scripts/gpu-check.sh --out "$OUT"                                    # on the GPU machine
#   scripts/gpu-check.sh --device cpu --python /usr/bin/python3 --quick --out /tmp/gc   # here
set -euo pipefail
PY=python3
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --python) PY=${args[i + 1]:-python3} ;;
    --python=*) PY=${args[i]#--python=} ;;
  esac
done
command -v "$PY" > /dev/null || { echo "gpu-check.sh: no Python '$PY' (--python PY)" >&2; exit 4; }
exec "$PY" "$(dirname "$0")/gpu_check.py" "$@"
