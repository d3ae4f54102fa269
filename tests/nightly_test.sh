#!/usr/bin/env bash
# scripts/nightly.sh on tiny synthetic data: two runs at once (the second exits 75 because of the
# lock), the baseline set the first night, advanced when validate passes, kept on a regression.
#   tests/nightly_test.sh path/to/rlab
set -uo pipefail
rlab=${1:?path to rlab}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$tmp/good.yaml" <<'EOF'
prototype:
  data: {dataset: synthetic, samples: 128, size: 8}
  model: {type: classifier, channels: [4], hidden: 8}
  optimizer: {name: adam, lr: 0.01}
  budget: {max_batches: 30}
  batch_size: 16
EOF
# The same experiment with a learning rate too small to learn anything: a regression.
sed 's/lr: 0.01/lr: 1.0e-7/' "$tmp/good.yaml" >"$tmp/bad.yaml"

export RLAB=$rlab NIGHTLY_DIR=$tmp/state SEEDS=3 METRICS="test_loss:lower"
nightly=$src/scripts/nightly.sh

# Night 1, twice at once: the second sees the lock held and exits 75 without touching anything.
bash "$nightly" "$tmp/good.yaml" >"$tmp/n1.out" 2>"$tmp/n1.err" &
first=$!
for _ in $(seq 1 200); do
  [ -f "$tmp/state/nightly.lock" ] && ! flock -n "$tmp/state/nightly.lock" true && break
  sleep 0.05
done
bash "$nightly" "$tmp/good.yaml" >"$tmp/n1b.out" 2>"$tmp/n1b.err"
second=$?
wait "$first"
rc1=$?
[ "$second" = 75 ] || fail "the second concurrent run exited $second, expected 75: $(cat "$tmp/n1b.err")"
grep -q "^nightly: another nightly run holds $tmp/state/nightly.lock; not starting a second one$" \
  "$tmp/n1b.err" || fail "no lock message: $(cat "$tmp/n1b.err")"
[ "$rc1" = 0 ] || fail "night 1 exited $rc1: $(cat "$tmp/n1.err")"
[ "$(wc -l <"$tmp/state/nightly.jsonl")" = 1 ] || fail "the locked run wrote a record"
night1=$(cat "$tmp/state/baseline")
[ "$(ls "$night1" | wc -l)" = 3 ] || fail "night 1 should have 3 runs in $night1"
grep -q '"status": "baseline-initialised"' "$tmp/state/nightly.jsonl" || fail "night 1 record"

# Night 2: the same experiment passes validate; the baseline advances.
bash "$nightly" "$tmp/good.yaml" >"$tmp/n2.out" 2>"$tmp/n2.err"
rc=$?
[ "$rc" = 0 ] || fail "night 2 exited $rc: $(cat "$tmp/n2.err" "$tmp/n2.out")"
night2=$(cat "$tmp/state/baseline")
[ "$night2" != "$night1" ] || fail "night 2 did not advance the baseline"
tail -n 1 "$tmp/state/nightly.jsonl" | grep -q "\"status\": \"accepted\", \"exit\": 0, \"baseline_before\": \"$night1\", \"baseline_after\": \"$night2\"" ||
  fail "night 2 record: $(tail -n 1 "$tmp/state/nightly.jsonl")"

# Night 3: the regression fails validate (exit 1); the baseline stays night 2's.
bash "$nightly" "$tmp/bad.yaml" >"$tmp/n3.out" 2>"$tmp/n3.err"
rc=$?
[ "$rc" = 1 ] || fail "night 3 exited $rc, expected 1: $(cat "$tmp/n3.err" "$tmp/n3.out")"
[ "$(cat "$tmp/state/baseline")" = "$night2" ] || fail "night 3 moved the baseline"
grep -q "regressed" "$tmp/n3.out" || fail "validate's table does not say regressed: $(cat "$tmp/n3.out")"
tail -n 1 "$tmp/state/nightly.jsonl" | grep -q "\"status\": \"regression\", \"exit\": 1, \"baseline_before\": \"$night2\", \"baseline_after\": \"$night2\"" ||
  fail "night 3 record: $(tail -n 1 "$tmp/state/nightly.jsonl")"

# A night whose training fails (exit 4) keeps the baseline too.
printf 'prototype:\n  data: {dataset: idx, path: %s/missing}\n' "$tmp" >"$tmp/broken.yaml"
bash "$nightly" "$tmp/broken.yaml" >"$tmp/n4.out" 2>"$tmp/n4.err"
rc=$?
[ "$rc" = 4 ] || fail "night 4 exited $rc, expected 4"
[ "$(cat "$tmp/state/baseline")" = "$night2" ] || fail "night 4 moved the baseline"
[ "$(wc -l <"$tmp/state/nightly.jsonl")" = 4 ] || fail "expected 4 records"
echo "nightly: ok"
