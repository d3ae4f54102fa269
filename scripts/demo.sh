#!/usr/bin/env bash
# Installs what is missing, builds rlab and runs each command's main job on the shipped
# examples: rank the lab's challenges (prioritize), assess readiness (trl), report the
# environment (doctor), tune the lab's search space (bayesopt), analyse a cached literature
# search (lit-search, offline), and run the lab's quick check on Fashion-MNIST (prototype).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if command -v ccache >/dev/null; then
  # Paths relative to the checkout, so clones in other folders share the cache (with -g, ccache
  # also hashes the build folder unless told not to).
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
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
# Real records where the shared data holds them: 200 OpenAlex works (CC0) found by OpenAlex for
# "biodiversity AND finance" up to 2010, as the API returned them (see its README). Otherwise a
# cache of invented papers.
LIT_CORPUS=""
for d in ../shared/data/lit-search ../../shared/data/lit-search; do
  if [ -f "$d/openalex-biodiversity-finance.json" ]; then
    LIT_CORPUS="$d/openalex-biodiversity-finance.json"
    break
  fi
done
if [ -n "$LIT_CORPUS" ]; then
  echo "\$ rlab lit-search --from $LIT_CORPUS --query \"biodiversity finance\" --top 8   # real OpenAlex records, no network"
  "$RLAB" lit-search --from "$LIT_CORPUS" --query "biodiversity finance" --top 8
else
  echo "\$ rlab lit-search configs/examples/lit-search.yaml --offline   # served from a local cache of invented papers, no network"
  LIT_CACHE=$(mktemp -d)
  trap 'rm -rf "$LIT_CACHE"' EXIT
  /usr/bin/python3 scripts/lit_search_demo_cache.py "$LIT_CACHE"
  "$RLAB" lit-search configs/examples/lit-search.yaml --offline --cache-dir "$LIT_CACHE" --top 8
fi
echo
echo "\$ rlab prototype configs/examples/prototype.yaml --out build/demo-runs   # the lab's quick check on Fashion-MNIST"
"$RLAB" prototype configs/examples/prototype.yaml --out build/demo-runs || true
echo
echo "\$ rlab exp show <the run> --runs build/demo-runs"
"$RLAB" exp show "$(ls build/demo-runs | tail -n 1)" --runs build/demo-runs
