#!/usr/bin/env bash
# Keyword analysis speed: rlab lit-search on N synthetic abstracts (default 100,000) against
# scikit-learn's CountVectorizer with the same n-gram settings (1-3 grams, min_df 2, document
# counts, English stop list), side by side. No network: the corpus is analysed with --from.
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
best_rlab=999999
for _ in $(seq ${RUNS:-1}); do
  s=$(date +%s.%N)
  "$RLAB" lit-search --from "$TMP/corpus.jsonl" --ngram 3 --min-df 2 -q -o /dev/null
  e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc)
  best_rlab=$(echo "if ($t < $best_rlab) $t else $best_rlab" | bc)
done
best_sk=999999
for _ in $(seq ${RUNS:-1}); do
  t=$(/usr/bin/python3 scripts/bench/lit_search_sklearn.py "$TMP/corpus.jsonl" | cut -d' ' -f1)
  best_sk=$(echo "if ($t < $best_sk) $t else $best_sk" | bc)
done
printf "%-44s %10s\n" "tool (seconds)" "time"
printf "%-44s %10.2f\n" "rlab lit-search --from (read+tokenise+1-3g+df+trends+log-odds)" "$best_rlab"
printf "%-44s %10.2f\n" "sklearn CountVectorizer(ngram_range=(1,3), min_df=2)" "$best_sk"
printf "%-44s %10.2fx\n" "speed-up (sklearn / rlab)" "$(echo "scale=4; $best_sk / $best_rlab" | bc)"
printf "%-44s %10s\n" "target: rlab under 5 s for 100,000 abstracts" "$(echo "$best_rlab < 5" | bc | sed 's/1/met/;s/0/MISSED/')"
