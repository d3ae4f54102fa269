#!/usr/bin/env bash
# rlab bayesopt against the measured peers, in one run:
#   * quality: final simple regret after 50 calls, 10 seeds, five test functions, with the
#     harness `peers.py` (shared/bench/bo): rlab (as an --external optimiser writing the
#     harness's trial format) and Optuna TPE + random search run now, side by side;
#     scikit-optimize's gp_minimize figures come from the committed peers-full.json (skopt is
#     not installable here; peers.py skips it when it cannot import it);
#   * overhead: optimiser seconds per call at 50 calls (from the same runs), and the time of one
#     proposal with 200 and 500 observations already in the study, for rlab and Optuna TPE.
# Usage: scripts/bench/bayesopt.sh [SEEDS]   (default 10; BO_BENCH_DIR=path/to/shared/bench/bo,
#        RLAB_BIN=path/to/rlab to skip the release build; BO_PART=scaling: only the proposal
#        times at 50/200/500 observations)
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-10}
BENCH=${BO_BENCH_DIR:-}
for d in ../shared/bench/bo ../../shared/bench/bo /work/shared/bench/bo; do
  if [ -z "$BENCH" ] && [ -f "$d/peers.py" ]; then BENCH=$d; fi
done
[ -n "$BENCH" ] || { echo "bench: cannot find peers.py; set BO_BENCH_DIR" >&2; exit 4; }
source scripts/bench/common.sh
RLAB=$(bench_rlab)
OUT=build/release/bench/bayesopt
rm -rf "$OUT" && mkdir -p "$OUT"

if [ "${BO_PART:-all}" != scaling ]; then
echo "== quality and overhead at 50 calls: $SEEDS seeds x 5 functions (rlab, optuna_tpe, random now; skopt from peers-full.json)"
/usr/bin/python3 "$BENCH/peers.py" --seeds "$SEEDS" --methods optuna_tpe,random \
  --external "rlab=$RLAB bayesopt --builtin {function} --n-calls {n_calls} --n-initial-points {n_initial} --random-state {seed} --study {out} -q" \
  --out "$OUT/rlab-vs-peers.json" >"$OUT/harness.log"
fi

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== one proposal with 200 and 500 observations in the study (hartmann6, random observations)"
/usr/bin/python3 - "$RLAB" "$OUT" <<'PY' >"$OUT/scaling.json"
import json, math, os, subprocess, sys, time
import numpy as np
rlab, out = sys.argv[1], sys.argv[2]
A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
al = np.array([1.0, 1.2, 3.0, 3.2])
h6 = lambda x: float(-np.sum(al * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))
res = {}
for n in (50, 200, 500):
    rng = np.random.default_rng(n)
    X = rng.uniform(0, 1, (n, 6))
    space = [{"name": "x%d" % i, "type": "real", "low": 0.0, "high": 1.0, "prior": "uniform"} for i in range(1, 7)]
    every = 1
    while n > 100 and every * 2 <= n // 25:
        every *= 2
    phases = {}
    # Two phases of a search: the hedge's (EI and LCB over the whole space; the local phase
    # turned off by a config with local_phase: 1) and the local phase (the default config: with
    # n + 5 calls, the last five are past n_calls / 2).
    for phase in ("hedge", "local"):
        path = os.path.join(out, "scale-%d-%s.jsonl" % (n, phase))
        with open(path, "w") as fh:
            fh.write(json.dumps({"meta": {"tool": "rlab", "space": space, "random_state": 0}}) + "\n")
            for i, x in enumerate(X):
                fh.write(json.dumps({"trial": i, "params": {"x%d" % (k + 1): float(v) for k, v in enumerate(x)},
                                     "value": h6(x), "status": "ok", "elapsed_s": 0.0, "objective_s": 0.0}) + "\n")
        cfg = os.path.join(out, "scale-%s.yaml" % phase)
        with open(cfg, "w") as fh:
            fh.write("bayesopt:\n  objective: {type: builtin, name: hartmann6}\n")
            if phase == "hedge":
                fh.write("  local_phase: 1\n")
        subprocess.run([rlab, "bayesopt", cfg, "--study", path, "--n-calls", str(n + 5),
                        "--random-state", "0", "-q"], check=True, stdout=subprocess.DEVNULL)
        lines = [json.loads(l) for l in open(path) if l.strip()]
        assert all((l["acq"] == "EI-local") == (phase == "local") for l in lines[-5:]), phase
        # The first proposal of the resumed run fits the hyperparameters; beyond 100 observations
        # the next ones reuse them (refit every k = largest power of 2 <= n/25 observations).
        first = lines[-5]["suggest_s"]
        rest = sorted(l["suggest_s"] for l in lines[-4:])
        rest = (rest[1] + rest[2]) / 2
        phases[phase] = (first if every == 1 else (first + (every - 1) * rest) / every, first, rest)
    # Optuna TPE: the same observations added to a study, then the time of one ask+suggest.
    import optuna, warnings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=10))
    dists = {"x%d" % i: optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(1, 7)}
    for x in X:
        st.add_trial(optuna.trial.create_trial(params={"x%d" % (k + 1): float(v) for k, v in enumerate(x)},
                                               distributions=dists, value=h6(x)))
    ts = []
    for _ in range(3):
        t0 = time.perf_counter()
        tr = st.ask()
        for k in dists:
            tr.suggest_float(k, 0.0, 1.0)
        ts.append(time.perf_counter() - t0)
        st.tell(tr, 0.0)
    rl, first, rest = phases["hedge"]
    res[n] = {"rlab_s": rl, "rlab_refit_s": first, "rlab_reuse_s": rest if every > 1 else None,
              "rlab_local_s": phases["local"][0], "rlab_local_refit_s": phases["local"][1],
              "refit_every": every, "optuna_tpe_s": sorted(ts)[1]}
print(json.dumps(res))
PY

if [ "${BO_PART:-all}" = scaling ]; then
  /usr/bin/python3 -c 'import json, sys
for n, v in json.load(open(sys.argv[1])).items():
    print("%s observations: rlab %.3g s per proposal (fit %.3g s, every %d; local phase %.3g s), optuna_tpe %.3g s, TPE/rlab %.2f"
          % (n, v["rlab_s"], v["rlab_refit_s"], v["refit_every"], v["rlab_local_s"], v["optuna_tpe_s"],
             v["optuna_tpe_s"] / v["rlab_s"]))' "$OUT/scaling.json"
  exit 0
fi
/usr/bin/python3 - "$OUT/rlab-vs-peers.json" "$BENCH/peers-full.json" "$OUT/scaling.json" <<'PY'
import json, os, sys
import numpy as np
now = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))
scale = json.load(open(sys.argv[3]))
def med(runs, f, m, key):
    xs = [r[key] for r in runs if r["function"] == f and r["method"] == m and not r.get("error") and r.get(key) is not None]
    return (float(np.median(xs)), float(np.percentile(xs, 25)), float(np.percentile(xs, 75)), len(xs)) if xs else None
g = lambda x: "%.3g" % x
FUNCTIONS = ["branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4"]
def methods(f, key):
    """Medians of one figure on one function: rlab, optuna_tpe, random (now), skopt_gp (peers-full)."""
    return (med(now["runs"], f, "rlab", key), med(now["runs"], f, "optuna_tpe", key),
            med(now["runs"], f, "random", key), med(ref["runs"], f, "skopt_gp", key))
def table(title, columns):
    print()
    print(title)
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
table("Final simple regret after 50 calls, median [IQR] over seeds (lower is better)",
      ["function", "rlab", "optuna_tpe (now)", "random (now)", "skopt_gp (peers-full)", "rlab/skopt", "rlab/TPE"])
ok_all = True
for f in FUNCTIONS:
    r, t, n, s = methods(f, "final_regret")
    cell = lambda v: "%s [%s, %s] (n=%d)" % (g(v[0]), g(v[1]), g(v[2]), v[3]) if v else "n/a"
    ratio = lambda a, b: g(a[0] / b[0]) if a and b and b[0] > 0 else "n/a"
    print("| %s | %s | %s | %s | %s | %s | %s |" % (f, cell(r), cell(t), cell(n), cell(s), ratio(r, s), ratio(r, t)))
    if f in ("branin", "hartmann6") and not (r and s and r[0] <= s[0]): ok_all = False
    if not (r and t and r[0] <= t[0]): ok_all = False
table("Optimiser overhead, seconds per call at 50 calls (median over seeds)",
      ["function", "rlab", "optuna_tpe (now)", "skopt_gp (peers-full)", "skopt/rlab", "TPE/rlab"])
ov_ok = True
for f in FUNCTIONS:
    r, t, _, s = methods(f, "overhead_per_call_s")
    print("| %s | %s | %s | %s | %s | %s |" % (f, g(r[0]), g(t[0]) if t else "n/a", g(s[0]) if s else "n/a",
                                            g(s[0] / r[0]) if s else "n/a", g(t[0] / r[0]) if t else "n/a"))
    ov_ok = ov_ok and r[0] <= 0.02
print()
print("One proposal with N observations already in the study (hartmann6), seconds")
print("| observations | rlab, with a hyperparameter fit | rlab, reusing them | refit every | rlab per proposal (amortised) | rlab, local phase (amortised) | optuna_tpe | TPE/rlab |")
print("|---|---|---|---|---|---|---|---|")
for n, v in scale.items():
    reuse = g(v["rlab_reuse_s"]) if v.get("rlab_reuse_s") is not None else "-"
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (n, g(v["rlab_refit_s"]), reuse, v["refit_every"], g(v["rlab_s"]),
                                                       g(v["rlab_local_s"]), g(v["optuna_tpe_s"]),
                                                       g(v["optuna_tpe_s"] / v["rlab_s"])))
print()
print("targets: regret <= skopt on branin and hartmann6 and <= TPE on all five: %s" % ("met" if ok_all else "NOT met"))
print("targets: overhead <= 0.02 s per call at 50 calls on every function: %s" % ("met" if ov_ok else "NOT met"))
print("load average while it ran (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
PY
