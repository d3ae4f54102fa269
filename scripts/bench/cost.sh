#!/usr/bin/env bash
# Speed of `rlab cost --simulate`: 10^5 simulated jobs must take under a second. rlab's
# simulation (timed inside rlab, reported with -v) against the same model written with numpy
# (vectorised over jobs, tests/reference/cost_reference.py's monte_carlo), timed in the same
# run on the same machine; ratios printed.
# Usage: scripts/bench/cost.sh [JOBS] [REPEATS]   (default 100000 jobs, best of 5; RLAB_BIN
#        names an already built binary, scripts/bench/common.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
JOBS=${1:-100000}
REPEATS=${2:-5}
source scripts/bench/common.sh
B=$(bench_rlab)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Scenario 1: the lab's example (rare interruptions). Scenario 2: frequent interruptions
# (MTBF 20 h, 200 instance-h all on spot, Daly interval ~3 h: ~67 segments, ~12 interruptions).
cp configs/examples/cost.yaml "$TMP/lab.yaml"
cat > "$TMP/frequent.yaml" <<'YAML'
cost:
  work_instance_hours: 200
  instance: p3.2xlarge
  region: us-east-1
  on_demand_usd_per_hour: 10
  spot_usd_per_hour: 3
  spot_share: 1.0
  interruption_rate_per_hour: 0.05
  checkpoint_write_minutes: 15
  restart_minutes: 30
  billing_granularity_seconds: 0
YAML
export RLAB_TODAY=2025-07-01
/usr/bin/python3 - "$B" "$TMP" "$JOBS" "$REPEATS" <<'PY'
import math, re, subprocess, sys, time
sys.path.insert(0, "tests/reference")
import numpy as np
import cost_reference as ref

b, tmp, jobs, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def rlab(name):
    best_sim, best_wall = math.inf, math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = subprocess.run([b, "-v", "cost", "plan", f"{tmp}/{name}.yaml", "--simulate", str(jobs),
                            "--seed", "1", "--format", "json"], capture_output=True, text=True)
        wall = (time.perf_counter() - t0) * 1000
        if p.returncode != 0:
            sys.exit(p.stderr)
        ms = float(re.search(r"simulation of \d+ jobs took ([0-9.]+) ms", p.stderr).group(1))
        best_sim, best_wall = min(best_sim, ms), min(best_wall, wall)
    return best_sim, best_wall

def numpy_case(name):
    if name == "lab":
        lam = ref.rate_of("5-10")
        c = dict(work_instance_hours=500, mtbf=1 / lam, delta=5 / 60, restart=10 / 60)
        c["tau"] = ref.daly(c["delta"], c["mtbf"])
        s = 0.7
    else:
        c = dict(work_instance_hours=200, mtbf=20.0, delta=0.25, restart=0.5)
        c["tau"] = ref.daly(c["delta"], c["mtbf"])
        s = 1.0
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        ref.monte_carlo(c, s, jobs, 1)
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best

print(f"simulated jobs: {jobs}; best of {repeats} runs; rlab time measured inside rlab (-v)")
print(f"{'scenario':34} {'rlab sim ms':>11} {'rlab whole cmd ms':>17} {'numpy ms':>9} {'numpy/rlab':>10}")
ok = True
for name, label in [("lab", "lab example (rare interruptions)"), ("frequent", "MTBF 20 h, 200 h on spot")]:
    sim, wall = rlab(name)
    npy = numpy_case(name)
    ok = ok and sim < 1000
    print(f"{label:34} {sim:11.1f} {wall:17.1f} {npy:9.1f} {npy / sim:10.1f}")
print(f"target: {jobs} simulated jobs < 1000 ms: {'met' if ok else 'NOT met'}")
PY
