#!/usr/bin/env bash
# Installs what is missing, builds rlab and runs its main job on the embedded example:
# rank the lab's battery challenges, order them by dependencies, and plan them with PERT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if command -v ccache >/dev/null; then
  # Paths relative to the checkout, so clones in other folders share the cache.
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR="$PWD"
fi
cmake --preset release >/dev/null
cmake --build --preset release --target rlab rlab_train_core
RLAB=build/release/bin/rlab
echo
echo "\$ rlab prioritize configs/examples/prioritize.yaml --explain --deadline 40"
"$RLAB" prioritize configs/examples/prioritize.yaml --explain --deadline 40
echo
echo "\$ rlab trl assess configs/examples/trl.yaml"
"$RLAB" trl assess configs/examples/trl.yaml
echo
echo "\$ rlab doctor"
"$RLAB" doctor
echo
echo "\$ rlab bayesopt configs/examples/bayesopt.yaml --plots build/release/bayesopt-plots"
"$RLAB" bayesopt configs/examples/bayesopt.yaml --plots build/release/bayesopt-plots
echo "\$ rlab lit-search configs/examples/lit-search.yaml --offline   # served from a local cache, no network"
LIT_CACHE=$(mktemp -d)
trap 'rm -rf "$LIT_CACHE"' EXIT
/usr/bin/python3 scripts/lit_search_demo_cache.py "$LIT_CACHE"
"$RLAB" lit-search configs/examples/lit-search.yaml --offline --cache-dir "$LIT_CACHE" --top 8
echo "\$ rlab prototype configs/examples/prototype.yaml --out build/demo-runs   # the lab's quick check on Fashion-MNIST"
"$RLAB" prototype configs/examples/prototype.yaml --out build/demo-runs || true
echo
echo "\$ rlab exp show <the run> --runs build/demo-runs"
"$RLAB" exp show "$(ls build/demo-runs | tail -n 1)" --runs build/demo-runs
