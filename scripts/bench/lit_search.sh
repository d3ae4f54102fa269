#!/usr/bin/env bash
# Keyword analysis speed: rlab lit-search on N synthetic abstracts (default 100,000) against
# scikit-learn's CountVectorizer with the same n-gram settings (1-3 grams, min_df 2, document
# counts, English stop list), side by side. No network: the corpus is analysed with --from.
# Prints wall and CPU (user+sys) seconds of each and the load average, since the machine may be
# shared; RUNS=k keeps the best of k runs; THREADS=n passes --threads n to rlab.
# usage: scripts/bench/lit_search.sh [N] [RLAB]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
RLAB=${2:-build/release/bin/rlab}
[ -x "$RLAB" ] || RLAB=build/ci/bin/rlab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 scripts/bench/lit_search_corpus.py "$N" "$TMP/corpus.jsonl"
echo "corpus: $N abstracts, $(du -h "$TMP/corpus.jsonl" | cut -f1)B, $(nproc) CPU(s)"
THREAD_ARGS=()
[ -n "${THREADS:-}" ] && THREAD_ARGS=(--threads "$THREADS")
best_rlab=999999
cpu_rlab=0
for _ in $(seq "${RUNS:-1}"); do
  echo "load average before rlab: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "%e %U %S" -o "$TMP/time" \
    "$RLAB" lit-search --from "$TMP/corpus.jsonl" --ngram 3 --min-df 2 "${THREAD_ARGS[@]}" \
    -q -o /dev/null
  read -r t u s <"$TMP/time"
  if [ "$(echo "$t < $best_rlab" | bc)" = 1 ]; then
    best_rlab=$t
    cpu_rlab=$(echo "$u + $s" | bc)
  fi
done
best_sk=999999
cpu_sk=0
for _ in $(seq "${RUNS:-1}"); do
  echo "load average before sklearn: $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "%e %U %S" -o "$TMP/time" \
    /usr/bin/python3 scripts/bench/lit_search_sklearn.py "$TMP/corpus.jsonl" >"$TMP/sk"
  read -r t u s <"$TMP/time"
  if [ "$(echo "$t < $best_sk" | bc)" = 1 ]; then
    best_sk=$t
    cpu_sk=$(echo "$u + $s" | bc)
  fi
done
printf "%-66s %9s %9s\n" "tool (seconds)" "wall" "cpu"
printf "%-66s %9.2f %9.2f\n" "rlab lit-search --from (read+tokenise+1-3g+df+trends+log-odds)" \
  "$best_rlab" "$cpu_rlab"
printf "%-66s %9.2f %9.2f\n" "sklearn CountVectorizer(ngram_range=(1,3), min_df=2)" "$best_sk" "$cpu_sk"
printf "%-66s %9.2f %9s\n" "  sklearn timed inside Python (from reading the file, no start-up)" \
  "$(cut -d' ' -f1 "$TMP/sk")" "-"
printf "%-66s %8.2fx %8.2fx\n" "speed-up (sklearn / rlab)" \
  "$(echo "scale=4; $best_sk / $best_rlab" | bc)" "$(echo "scale=4; $cpu_sk / $cpu_rlab" | bc)"
printf "%-66s %9s\n" "target: rlab under 5 s wall for 100,000 abstracts" \
  "$(echo "$best_rlab < 5" | bc | sed 's/1/met/;s/0/MISSED/')"
