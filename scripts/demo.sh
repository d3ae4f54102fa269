#!/usr/bin/env bash
# Installs what is missing, builds rlab and runs each command's main job on the shipped
# examples: rank the lab's challenges (prioritize), assess readiness (trl), report the
# environment (doctor), tune the lab's search space (bayesopt), analyse a cached literature
# search (lit-search, offline), and run the lab's quick check on Fashion-MNIST (prototype).
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
echo
echo "\$ rlab lit-search configs/examples/lit-search.yaml --offline   # served from a local cache, no network"
LIT_CACHE=$(mktemp -d)
trap 'rm -rf "$LIT_CACHE"' EXIT
/usr/bin/python3 scripts/lit_search_demo_cache.py "$LIT_CACHE"
"$RLAB" lit-search configs/examples/lit-search.yaml --offline --cache-dir "$LIT_CACHE" --top 8
echo
echo "\$ rlab prototype configs/examples/prototype.yaml --out build/demo-runs   # the lab's quick check on Fashion-MNIST"
"$RLAB" prototype configs/examples/prototype.yaml --out build/demo-runs || true
echo
echo "\$ rlab exp show <the run> --runs build/demo-runs"
"$RLAB" exp show "$(ls build/demo-runs | tail -n 1)" --runs build/demo-runs
