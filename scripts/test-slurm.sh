#!/usr/bin/env bash
# rlab against a REAL single-node Slurm started here (scripts/slurm-local.sh: munged, slurmctld
# and slurmd on loopback, everything in a temporary folder, stopped at the end):
#   - rlab bayesopt --executor slurm: trials as job arrays, results collected;
#   - SIGINT during a trial: the array is cancelled (scancel), exit 130, the queue is empty;
#   - rlab prototype --emit-sbatch: the script submitted with sbatch, one record per seed;
#   - the same with --nproc 2: two data-parallel ranks per task started by srun.
# scripts/test.sh runs it when Slurm is installed (it needs root for slurmd).
#   scripts/test-slurm.sh [path/to/rlab]
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rlab=$(realpath "${1:-$src/build/ci/bin/rlab}")
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "test-slurm: Slurm is not installed (slurm-wlm, munge); skipped"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-slurm: slurmd needs root; skipped"
  exit 0
fi
tmp=$(mktemp -d /tmp/rlab-slurm.XXXXXX)
cleanup() { bash "$src/scripts/slurm-local.sh" stop "$tmp/cluster"; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "test-slurm: FAIL: $*" >&2; exit 1; }

eval "$(bash "$src/scripts/slurm-local.sh" start "$tmp/cluster")" || fail "the cluster did not start"
export SLURM_CONF NO_COLOR=1
cd "$tmp"
echo "test-slurm: cluster up: $(sinfo -h -o '%P %D %T %c CPUs')"

wait_empty() { # job name; up to 60 s
  for _ in $(seq 1 300); do
    [ -z "$(squeue -h -n "$1" -o %i)" ] && return 0
    sleep 0.2
  done
  return 1
}

# 1. bayesopt trials as job arrays.
cat >bo.yaml <<'EOF'
bayesopt:
  space:
    x: {type: real, low: -2, high: 2}
  objective:
    type: command
    argv: [/usr/bin/python3, -c, "import sys; x = float(sys.argv[1]); print(repr(x * x))", "{x}"]
    timeout: 120
  n_calls: 6
  n_initial_points: 4
  jobs: 3
  random_state: 1
  executor: slurm
  slurm: {workdir: slurm-trials, poll: 0.3, cpus_per_task: 1, mem: 100M}
EOF
"$rlab" bayesopt bo.yaml --format json >bo.json 2>bo.err || fail "bayesopt exited $?: $(cat bo.err)"
/usr/bin/python3 - <<'EOF' || fail "bayesopt results"
import json
r = json.load(open("bo.json"))
assert len(r["trials"]) == 6, r["trials"]
for t in r["trials"]:
    assert t["status"] == "ok", t
    assert abs(t["value"] - t["params"]["x"] ** 2) < 1e-12, t
print("test-slurm: bayesopt: 6 trials in 2 job arrays, values match")
EOF
[ "$(ls -d slurm-trials/trials-* | wc -l)" = 2 ] || fail "expected 2 job arrays"

# 2. SIGINT while a trial runs: scancel, exit 130, nothing left in the queue.
sed -e 's/argv: .*/argv: [sleep, "300"]/' -e 's/n_calls: 6/n_calls: 2/' -e 's/jobs: 3/jobs: 2/' \
  -e 's/n_initial_points: 4/n_initial_points: 2/' bo.yaml >slow.yaml
"$rlab" bayesopt slow.yaml >slow.out 2>slow.err &
pid=$!
for _ in $(seq 1 300); do
  squeue -h -n rlab-bayesopt -o %T | grep -q RUNNING && break
  sleep 0.2
done
squeue -h -n rlab-bayesopt -o %T | grep -q RUNNING || fail "the slow trials never ran"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || fail "bayesopt after SIGINT exited $rc: $(cat slow.err)"
grep -q "^rlab: error: interrupted: cancelled Slurm job array [0-9]* (scancel)$" slow.err ||
  fail "no cancel message: $(cat slow.err)"
wait_empty rlab-bayesopt || fail "the cancelled array is still queued: $(squeue)"
echo "test-slurm: SIGINT: array cancelled, exit 130"

# 3. prototype --emit-sbatch, submitted as it is: one run per seed.
cat >proto.yaml <<'EOF'
experiment: {name: slurm-check, seeds: [0, 1]}
prototype:
  data: {dataset: synthetic, samples: 64, size: 8}
  model: {type: classifier, channels: [4], hidden: 8}
  budget: {max_batches: 5}
  batch_size: 16
  slurm: {cpus_per_task: 1, time: "5", output: "proto-%a.out"}
EOF
"$rlab" prototype proto.yaml --emit-sbatch job.sh --out runs >/dev/null || fail "--emit-sbatch"
jid=$(sbatch --parsable job.sh) || fail "sbatch job.sh"
wait_empty slurm-check || fail "the prototype array did not finish"
[ "$(ls runs | wc -l)" = 2 ] || fail "expected 2 runs: $(ls runs) $(cat proto-*.out)"
for s in 0 1; do
  grep -rlq "\"seed\": $s$" runs/*/record.yaml || fail "no run with seed $s"
done
grep -h '"status"' runs/*/record.yaml | grep -vq completed && fail "a run did not complete"
echo "test-slurm: prototype --emit-sbatch: array $jid ran seeds 0 and 1"

# 4. Data-parallel under srun: --nproc 2 in the job script -> 2 ranks per task.
sed -e 's/seeds: \[0, 1\]/seeds: [5]/' -e 's/name: slurm-check/name: slurm-dp/' proto.yaml >dp.yaml
"$rlab" prototype dp.yaml --emit-sbatch dp.sh --nproc 2 --out dpruns >/dev/null || fail "dp script"
grep -q "^#SBATCH --ntasks-per-node=2$" dp.sh || fail "dp.sh: $(cat dp.sh)"
sbatch --parsable dp.sh >/dev/null || fail "sbatch dp.sh"
wait_empty slurm-dp || fail "the data-parallel job did not finish"
[ "$(ls dpruns | wc -l)" = 1 ] || fail "expected 1 run (rank 0 writes): $(ls dpruns) $(cat proto-5.out)"
grep -q '"world_size": 2' dpruns/*/record.yaml || fail "the run was not data-parallel"
grep -q '"status": "completed"' dpruns/*/record.yaml || fail "the data-parallel run failed"
echo "test-slurm: prototype under srun: 2 ranks, one record"
echo "test-slurm: ok"
