#!/usr/bin/env bash
# Benchmark of `rlab validate` against scipy.stats doing the same work, in one run:
# 100 metrics x 2 sides x 50 runs; per metric Welch's t, Mann-Whitney U and a 10^4-resample
# percentile bootstrap of the difference of means.
#
#   scripts/bench/validate.sh [REPEATS]     (default 5; the median of REPEATS runs each)
#
# Needs a built rlab (build/release or build/ci, or $RLAB) and Debian's /usr/bin/python3 with
# scipy. Prints both times, the ratio and whether the targets (rlab <= 0.4 s, >= 5x) are met.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-5}
rlab=${RLAB:-}
if [ -z "$rlab" ]; then
  for b in build/release/bin/rlab build/ci/bin/rlab build/dev/bin/rlab; do
    if [ -x "$b" ]; then rlab=$b; break; fi
  done
fi
[ -n "$rlab" ] || { echo "bench: build rlab first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$work" "$rlab" "$repeats" <<'PY'
import os, statistics, subprocess, sys, time
import numpy as np
import scipy
from scipy import stats

work, rlab, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
metrics, runs, resamples = 100, 50, 10_000
rng = np.random.default_rng(1)
base = rng.normal(0.80, 0.02, (metrics, runs))
cand = base.mean(axis=1, keepdims=True) + rng.normal(0.005, 0.02, (metrics, runs))
names = [f"m{i:03d}" for i in range(metrics)]
for side, data in (("baseline", base), ("candidate", cand)):
    with open(os.path.join(work, side + ".csv"), "w") as f:
        f.write("seed," + ",".join(names) + "\n")
        for r in range(runs):
            f.write(f"{r}," + ",".join(repr(float(v)) for v in data[:, r]) + "\n")
with open(os.path.join(work, "validate.yaml"), "w") as f:
    f.write("validate:\n  baseline: baseline.csv\n  candidate: candidate.csv\n")
    f.write("  test: [welch, mwu]\n  bootstrap: 10000\n  fail_on: none\n  metrics:\n")
    for n in names:
        f.write(f"    {n}: higher\n")

def diff_means(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)

def scipy_work():
    out = []
    for i in range(metrics):
        x, y = cand[i], base[i]
        w = stats.ttest_ind(x, y, equal_var=False)
        u = stats.mannwhitneyu(x, y, method="auto")
        b = stats.bootstrap((x, y), diff_means, n_resamples=resamples, method="percentile",
                            vectorized=True, random_state=i)
        out.append((w.pvalue, u.pvalue, b.confidence_interval.low))
    return out

def numpy_work():
    # The same work with the bootstrap written by hand in vectorised numpy (the fastest plain
    # Python way): one index matrix per side, row means, percentiles.
    out = []
    g = np.random.default_rng(0)
    for i in range(metrics):
        x, y = cand[i], base[i]
        w = stats.ttest_ind(x, y, equal_var=False)
        u = stats.mannwhitneyu(x, y, method="auto")
        d = (x[g.integers(0, runs, (resamples, runs))].mean(axis=1)
             - y[g.integers(0, runs, (resamples, runs))].mean(axis=1))
        out.append((w.pvalue, u.pvalue, np.percentile(d, [2.5, 97.5])))
    return out

def timed(fn):
    """Wall seconds and CPU seconds (user + sys, this process and its children) of fn()."""
    import resource
    def cpu():
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
    c0, t0 = cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu() - c0

cmd = [rlab, "validate", "--config", os.path.join(work, "validate.yaml"), "--format", "json",
       "-o", os.path.join(work, "out.json")]
subprocess.run(cmd, check=True)   # warm-up (page cache)
numpy_work()
t_scipy, t_numpy, t_rlab = [], [], []
for _ in range(repeats):
    t_scipy.append(timed(scipy_work))
    t_numpy.append(timed(numpy_work))
    t_rlab.append(timed(lambda: subprocess.run(cmd, check=True)))
med = lambda v, k: statistics.median(x[k] for x in v)
s, q, r = (med(t, 0) for t in (t_scipy, t_numpy, t_rlab))
cs, cq, cr = (med(t, 1) for t in (t_scipy, t_numpy, t_rlab))
load = os.getloadavg()[0]
print(f"workload: {metrics} metrics x 2 x {runs} runs; Welch + U + {resamples} bootstrap resamples each")
print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} (wall times grow with the load; CPU times much less)")
print(f"| implementation | wall s (median of {repeats}) | CPU s (median) | wall × rlab | CPU × rlab |")
print("|---|---:|---:|---:|---:|")
print(f"| scipy {scipy.__version__}: ttest_ind, mannwhitneyu, stats.bootstrap (percentile) | {s:.3f} | {cs:.3f} | {s / r:.1f} | {cs / cr:.1f} |")
print(f"| scipy {scipy.__version__}: ttest_ind, mannwhitneyu + vectorised numpy bootstrap | {q:.3f} | {cq:.3f} | {q / r:.1f} | {cq / cr:.1f} |")
print(f"| rlab validate (whole process: read CSV, tests, bootstrap, JSON) | {r:.3f} | {cr:.3f} | 1.0 | 1.0 |")
best = min(s, q)
print(f"targets: rlab <= 0.4 s wall: {'met' if r <= 0.4 else 'NOT met'} ({r:.3f} s wall, {cr:.3f} s CPU); "
      f">= 5x faster than the faster scipy way: {'met' if best / r >= 5 else 'NOT met'} ({best / r:.1f}x wall)")
PY
