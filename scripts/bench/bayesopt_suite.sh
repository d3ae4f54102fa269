#!/usr/bin/env bash
# rlab bayesopt on the benchmark suite (scripts/bench/bo_suite.py: the five functions of
# bayesopt.sh plus 21 standard functions, 4 mixed spaces, 3 noisy variants), beside
# scikit-optimize's gp_minimize, Optuna TPE and random search, with the shared harness peers.py.
#   scripts/bench/bayesopt_suite.sh [SEEDS]          every method in one run (skopt costs ~0.5-1 s
#                                                    per call: about 2 CPU-hours for 10 seeds)
#   BO_SUITE_PEERS=stored scripts/bench/bayesopt_suite.sh [SEEDS]
#                                                    rlab only, against the stored peer results
#                                                    (scripts/bench/bo_suite_results/ and the
#                                                    harness's peers-full.json)
# Writes build/bench/bo-suite/{all,rlab}.json, report.md (win/tie/loss table) and svg/ (median
# regret curves per family). RLAB_BIN=path/to/rlab skips the release build; BO_BENCH_DIR as in
# bayesopt.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-10}
PY=/usr/bin/python3
source scripts/bench/common.sh
RLAB_BIN=$(bench_rlab)
export RLAB_BIN
OUT=build/bench/bo-suite
mkdir -p "$OUT"
if [ "${BO_SUITE_PEERS:-run}" = stored ]; then
  BENCH=$($PY -c 'import sys; sys.path.insert(0, "scripts/bench"); import bo_suite; print(bo_suite.find_bench())')
  $PY scripts/bench/bo_suite.py rlab --seeds "$SEEDS" --out "$OUT/rlab.json" >"$OUT/harness.log"
  $PY scripts/bench/bo_suite.py report "$BENCH/peers-full.json" scripts/bench/bo_suite_results/peers-*.json \
    "$OUT/rlab.json" --md "$OUT/report.md" --svg-dir "$OUT/svg"
else
  $PY scripts/bench/bo_suite.py all --methods skopt_gp,optuna_tpe,random --seeds "$SEEDS" \
    --out "$OUT/all.json" >"$OUT/harness.log"
  $PY scripts/bench/bo_suite.py report "$OUT/all.json" --md "$OUT/report.md" --svg-dir "$OUT/svg"
fi
echo "load average (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
