#!/usr/bin/env bash
# Redraws the chart examples in docs/img/ from real runs of the built binary: bayesopt's
# convergence and partial dependence, lit-search's trends (offline demo cache), pomodoro's energy
# slots (the journal of the pomodoro reference) and prototype's curve.svg (the lab's quick check
# on Fashion-MNIST). Each SVG is rendered by rsvg-convert at 640 px wide.
# Usage: scripts/doc_images.sh [RLAB_BINARY]   (default build/ci/bin/rlab)
set -euo pipefail
cd "$(dirname "$0")/.."
RLAB=$(realpath "${1:-build/ci/bin/rlab}")
OUT=docs/img
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
png() { rsvg-convert -w 640 -o "$OUT/$2.png" "$1"; }

"$RLAB" bayesopt --builtin branin --n-calls 25 --random-state 1 --plots "$TMP/branin" -q >/dev/null
png "$TMP/branin/convergence.svg" bayesopt-convergence
"$RLAB" bayesopt --builtin mixed4 --n-calls 20 --random-state 1 --plots "$TMP/mixed4" -q >/dev/null
png "$TMP/mixed4/partial_dependence.svg" bayesopt-partial-dependence

/usr/bin/python3 scripts/lit_search_demo_cache.py "$TMP/lit-cache" >/dev/null
"$RLAB" lit-search configs/examples/lit-search.yaml --offline --cache-dir "$TMP/lit-cache" \
  --svg "$TMP/trends.svg" -q >/dev/null
png "$TMP/trends.svg" lit-search-trends

/usr/bin/python3 -c '
import json, sys
for e in json.load(open("tests/reference/pomodoro_reference.json"))["journal"]:
    print(json.dumps(e))' >"$TMP/journal.jsonl"
RLAB_HOME="$TMP/home" RLAB_NOW=2025-04-02T09:00:00+08:00 TZ=Asia/Shanghai \
  "$RLAB" pomodoro journal slots --journal "$TMP/journal.jsonl" --svg "$TMP/slots.svg" -q >/dev/null
png "$TMP/slots.svg" pomodoro-slots

"$RLAB" prototype configs/examples/prototype.yaml --out "$TMP/runs" -q >/dev/null || true
png "$(ls -d "$TMP"/runs/*/ | tail -n 1)curve.svg" prototype-curve
ls -la "$OUT"
