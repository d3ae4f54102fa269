#!/usr/bin/env python3
"""The bayesopt benchmark suite: rlab against scikit-optimize and Optuna TPE on standard functions.

The functions live in bo_functions.py (this folder; bo_functions.c is the same in C, the command
objective rlab runs). This script drives the shared harness
peers.py (its methods, its record format, its --external trial-file interface) with those
functions added to its table, so skopt_gp, optuna_tpe, random and rlab run in the same run:

    bo_suite.py peers [peers.py options]        # e.g. --methods skopt_gp,optuna_tpe --seeds 10
    bo_suite.py rlab  [peers.py options]        # rlab only (as an --external optimiser)
    bo_suite.py all   [peers.py options]        # every method in one run
    bo_suite.py core  [peers.py options]        # the optimiser core in-process (bo_driver.cpp)
    bo_suite.py rlab-run FUNCTION SEED N_CALLS N_INITIAL OUT   # one rlab run (used by `rlab`)
    bo_suite.py report RESULT.json... [--md OUT.md] [--svg-dir DIR]
    bo_suite.py levers PEERS.json... --rlab A.json [B.json...] [--held-out]   # lever-table rows

Environment: BO_BENCH_DIR (folder of peers.py; default: the shared bench next to the checkout),
RLAB_BIN (the rlab binary; default build/release/bin/rlab), RLAB_ARGS (extra rlab flags).
Regret of noisy variants is the noise-free value at the point each run found best.
"""
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import bo_functions  # noqa: E402

CORE_SOURCES = ["space.cpp", "gp.cpp", "surrogate.cpp", "bayesopt.cpp", "builtins.cpp"]  # lib/bayesopt, pure core
FIRST = ["branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4"]
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def find_bench():
    cands = [os.environ.get("BO_BENCH_DIR", "")] + [os.path.join(ROOT, p) for p in (
        "../shared/bench/bo", "../../shared/bench/bo", "shared/bench/bo")] + ["/work/shared/bench/bo"]
    for d in cands:
        if d and os.path.isfile(os.path.join(d, "peers.py")):
            return os.path.abspath(d)
    sys.exit("bo_suite: cannot find peers.py; set BO_BENCH_DIR")


def load_peers():
    """Import peers.py and add the suite's functions to its table."""
    bench = find_bench()
    sys.path.insert(0, bench)
    import peers  # noqa: E402
    for name, s in bo_functions.SUITE.items():
        peers.FUNCTIONS[name] = {"fn": s["fn"], "space": s["space"], "f_min": s["f_min"],
                                 "x_min": s["x_min"], "family": s["family"]}
        if s["noise_sd"]:
            peers.FUNCTIONS[name]["noise_sd"] = s["noise_sd"]
    orig = peers.make_record

    def make_record(function, method, seed, n_calls, values, params, *a, **kw):
        rec = orig(function, method, seed, n_calls, values, params, *a, **kw)
        spec = bo_functions.SUITE.get(function)
        if spec and spec["true_fn"] and values and params and len(params) == len(values):
            # Noisy variant: the best-so-far curve follows the noise-free value at the point with
            # the lowest observed (noisy) value; the observed values stay in "values".
            true_bsf, best_obs, cur = [], math.inf, None
            for v, p in zip(values, params):
                if v < best_obs:
                    best_obs, cur = v, spec["true_fn"](p)
                true_bsf.append(cur)
            rec["observed_best_so_far"] = rec["best_so_far"]
            rec["best_so_far"] = true_bsf
            rec["final_best"] = true_bsf[-1]
            rec["final_regret"] = true_bsf[-1] - spec["f_min"]
        return rec

    peers.make_record = make_record
    return peers


def rlab_bin():
    b = os.environ.get("RLAB_BIN") or os.path.join(ROOT, "build", "release", "bin", "rlab")
    return os.path.abspath(b)


def rlab_template():
    return "%s %s rlab-run {function} {seed} {n_calls} {n_initial} {out}" % (
        shlex.quote(PY), shlex.quote(os.path.abspath(__file__)))


def _yaml_space(space):
    lines = []
    for d in space:
        if d["type"] == "real":
            lines.append("    %s: {type: real, low: %r, high: %r, prior: %s}" % (
                d["name"], float(d["low"]), float(d["high"]), d.get("prior", "uniform")))
        elif d["type"] == "integer":
            lines.append("    %s: {type: integer, low: %d, high: %d}" % (d["name"], d["low"], d["high"]))
        else:
            lines.append("    %s: {type: categorical, categories: [%s]}" % (
                d["name"], ", ".join(json.dumps(c) for c in d["categories"])))
    return "\n".join(lines)


def evaluator():
    """bo_functions.c compiled (once) into build/bench/bo_eval: a command objective that starts in
    a millisecond, where a Python one would add its start-up to every trial."""
    src = os.path.join(HERE, "bo_functions.c")
    exe = os.path.join(ROOT, "build", "bench", "bo_eval")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        subprocess.run(["cc", "-O2", "-o", exe + ".tmp", src, "-lm"], check=True)
        os.replace(exe + ".tmp", exe)
    return exe


def driver():
    """bo_driver.cpp built against this checkout's optimiser core (build/bench/bo_driver), or
    the binary BO_DRIVER names."""
    if os.environ.get("BO_DRIVER"):
        return os.environ["BO_DRIVER"]
    exe = os.path.join(ROOT, "build", "bench", "bo_driver")
    header = os.path.join(ROOT, "include", "rlab", "bayesopt.h")
    core = os.path.join(ROOT, "lib", "bayesopt")
    internal = os.path.join(core, "core_internal.h")
    text = os.path.join(ROOT, "lib", "common", "text.cpp")
    functions = os.path.join(HERE, "bo_functions.c")
    newer = lambda out, deps: not os.path.exists(out) or os.path.getmtime(out) < max(
        os.path.getmtime(p) for p in deps)
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    objs = []
    units = [(os.path.join(HERE, "bo_driver.cpp"), [header])] + [
        (os.path.join(core, f), [header, internal]) for f in CORE_SOURCES] + [(text, [])]
    for src, deps in ((src, [src] + deps) for src, deps in units):
        obj = exe + "-" + os.path.basename(src) + ".o"
        if newer(obj, deps):
            subprocess.run(["g++", "-O2", "-std=c++17", "-I" + os.path.join(ROOT, "include"),
                            "-I/usr/include/eigen3", "-c", "-o", obj, src], check=True)
        objs.append(obj)
    fobj = exe + "-functions.o"
    if newer(fobj, [functions]):
        subprocess.run(["cc", "-O2", "-c", "-DBO_EVAL_NO_MAIN", "-o", fobj, functions], check=True)
    if newer(exe, objs + [fobj]):
        subprocess.run(["g++", "-o", exe] + objs + [fobj, "-licuuc", "-lm"], check=True)
    return exe


def rlab_run(function, seed, n_calls, n_initial, out):
    """One rlab run: the first suite's functions are rlab built-ins, the others a command objective
    (this folder's bo_functions.py, one process per evaluation)."""
    rlab = rlab_bin()
    extra = shlex.split(os.environ.get("RLAB_ARGS", ""))
    common = ["--n-calls", str(n_calls), "--n-initial-points", str(n_initial), "--random-state", str(seed),
              "--study", out, "-q"] + extra
    if os.path.exists(out):
        os.unlink(out)
    if function in FIRST:
        cmd = [rlab, "bayesopt", "--builtin", function] + common
        return subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
    spec = bo_functions.SUITE[function]
    argv = [evaluator(), function] + ["{%s}" % d["name"] for d in spec["space"]]
    cfg = "bayesopt:\n  space:\n%s\n  objective:\n    type: command\n    argv: %s\n" % (
        _yaml_space(spec["space"]), json.dumps(argv))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "suite.yaml")
        with open(path, "w") as fh:
            fh.write(cfg)
        return subprocess.run([rlab, "bayesopt", path] + common, stdout=subprocess.DEVNULL).returncode


def all_functions():
    return FIRST + list(bo_functions.SUITE)


def run_harness(mode, argv):
    peers = load_peers()
    if not any(a == "--functions" or a.startswith("--functions=") for a in argv):
        argv = ["--functions", ",".join(all_functions())] + argv
    if mode == "rlab":
        argv = ["--methods", ""] + argv
    if mode in ("rlab", "all"):
        argv = argv + ["--external", "rlab=" + rlab_template()]
    if mode == "core":  # the optimiser core in one process (bo_driver.cpp), named "rlab"
        argv = ["--methods", ""] + argv + ["--external", "rlab=%s {function} {seed} {n_calls} "
                                           "{n_initial} {out} {space_json}" % shlex.quote(driver())]
    if not any(a == "--out" or a.startswith("--out=") for a in argv):
        argv += ["--out", os.path.join(ROOT, "build", "bench", "bo-suite-%s.json" % mode)]
    return peers.main(argv)


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd in ("peers", "rlab", "all", "core"):
        return run_harness(cmd, rest)
    if cmd == "rlab-run":
        f, seed, n_calls, n_init, out = rest
        return rlab_run(f, int(seed), int(n_calls), int(n_init), out)
    if cmd == "report":
        import bo_report
        return bo_report.main(rest, load_peers())
    if cmd == "levers":
        import bo_report
        return bo_report.levers(rest, load_peers())
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
