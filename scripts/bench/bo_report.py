"""Win/tie/loss table and regret curves (plain SVG) for the bayesopt suite (bo_suite.py report).

    bo_suite.py report A.json B.json ... [--md OUT.md] [--svg-dir DIR] [--method rlab]

Runs from several result files are merged (a later file wins for the same function, method and
seed). For every function: the median final regret of each method, rlab's ratio to the better of
skopt_gp and optuna_tpe, and the verdict: `win` (rlab's median below the better peer's by more
than 5 % of it), `tie` (within 5 %, or both medians below 1e-6) or `loss`. The target: rlab at or
below the better peer (win or tie) on at least 80 % of the functions and on all of the first
five, and no function above twice the better peer.
"""
import gzip
import json
import math
import os

import numpy as np

PEERS = ("skopt_gp", "optuna_tpe")
COLORS = {"rlab": "#d62728", "skopt_gp": "#1f77b4", "optuna_tpe": "#2ca02c", "random": "#7f7f7f"}
FIRST = ["branin", "hartmann6", "ackley5", "rosenbrock4", "mixed4"]


def load_runs(paths):
    """Runs of harness result files (.json, or .json.gz as the stored lever results are)."""
    seen = {}
    for p in paths:
        with (gzip.open(p, "rt") if p.endswith(".gz") else open(p)) as fh:
            d = json.load(fh)
        for r in d["runs"]:
            if r.get("error") or not r.get("best_so_far"):
                continue
            seen[(r["function"], r["method"], r["seed"])] = r
    return list(seen.values())


def verdict(r, best):
    if r is None or best is None:
        return "n/a"
    if abs(r) < 1e-6 and abs(best) < 1e-6:
        return "tie"
    if r < best - 0.05 * abs(best):
        return "win"
    if r <= best + 0.05 * abs(best):
        return "tie"
    return "loss"


def _g(x):
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e4:
        return "%.2e" % x
    return "%.3g" % x


def table(runs, functions, families, rlab="rlab"):
    by = {}
    for r in runs:
        by.setdefault((r["function"], r["method"]), []).append(r["final_regret"])
    rows, counts = [], {"win": 0, "tie": 0, "loss": 0, "n/a": 0}
    worst = []
    for f in functions:
        med = {m: (float(np.median(by[(f, m)])) if by.get((f, m)) else None)
               for m in (rlab,) + PEERS + ("random",)}
        ns = {m: len(by.get((f, m), [])) for m in med}
        peers = [med[m] for m in PEERS if med[m] is not None]
        best = min(peers) if peers else None
        v = verdict(med[rlab], best)
        counts[v] += 1
        ratio = None
        if med[rlab] is not None and best is not None:
            ratio = med[rlab] / best if best > 0 else (1.0 if med[rlab] <= 1e-6 else math.inf)
        if v == "loss":
            worst.append((f, ratio))
        rows.append((f, families.get(f, ""), med, ns, ratio, v))
    return rows, counts, worst


def markdown(rows, counts, worst, rlab="rlab"):
    L = ["| function | family | rlab | skopt_gp | optuna_tpe | random | rlab / better peer | verdict |",
         "|---|---|---:|---:|---:|---:|---:|---|"]
    for f, fam, med, ns, ratio, v in rows:
        cell = lambda m: "%s (n=%d)" % (_g(med[m]), ns[m]) if med[m] is not None else "n/a"
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            f, fam, cell(rlab), cell("skopt_gp"), cell("optuna_tpe"), cell("random"),
            _g(ratio) if ratio is not None else "n/a", v))
    n = sum(counts[k] for k in ("win", "tie", "loss"))
    ok = counts["win"] + counts["tie"]
    L.append("")
    L.append("rlab at or below the better peer on %d of %d functions (%.0f %%): %d wins, %d ties, %d losses."
             % (ok, n, 100.0 * ok / max(n, 1), counts["win"], counts["tie"], counts["loss"]))
    first = [r for r in rows if r[0] in FIRST]
    fl = [r[0] for r in first if r[5] == "loss"]
    L.append("First five: %s." % ("all at or below the better peer" if not fl else "losses on " + ", ".join(fl)))
    over2 = [(f, q) for f, q in worst if q is not None and q > 2]
    L.append("Above 2x the better peer: %s." % (", ".join("%s (%.3gx)" % x for x in over2) if over2 else "none"))
    return "\n".join(L) + "\n"


def svg_curves(runs, functions, title, path, methods=("rlab", "skopt_gp", "optuna_tpe", "random"),
               f_mins=None):
    """Small multiples: median regret (best so far - f*) against calls, log scale, one panel per
    function."""
    cols = min(4, len(functions))
    rows_n = int(math.ceil(len(functions) / cols))
    pw, ph, ml, mt = 230, 170, 46, 24
    W, H = cols * pw + 10, rows_n * ph + 50
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="10">' % (W, H), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="8" y="16" font-size="13">%s: median regret vs calls (log scale)</text>' % title]
    lx = 8
    for m in methods:
        out.append('<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (lx, H - 14, COLORS.get(m, "#000"), lx + 16, H - 10, m))
        lx += 20 + 7 * len(m) + 12
    for k, f in enumerate(functions):
        x0 = (k % cols) * pw + ml
        y0 = (k // cols) * ph + mt + 10
        w, h = pw - ml - 10, ph - mt - 22
        curves = {}
        for m in methods:
            bs = [r["best_so_far"] for r in runs if r["function"] == f and r["method"] == m]
            if not bs:
                continue
            n = min(len(b) for b in bs)
            fm = f_mins[f]
            curves[m] = [float(np.median([b[i] - fm for b in bs])) for i in range(n)]
        vals = [v for c in curves.values() for v in c if v > 0 and math.isfinite(v)]
        out.append('<text x="%d" y="%d" font-size="11">%s</text>' % (x0, y0 - 4, f))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (x0, y0, w, h))
        if not vals:
            continue
        lo, hi = math.log10(min(vals)), math.log10(max(vals))
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        lo, hi = math.floor(lo), math.ceil(hi)
        floor = 10 ** lo
        nmax = max(len(c) for c in curves.values())
        sx = lambda i: x0 + w * i / max(nmax - 1, 1)
        sy = lambda v: y0 + h - h * (math.log10(max(v, floor)) - lo) / (hi - lo)
        step = max(1, int(math.ceil((hi - lo) / 4)))
        for e in range(lo, hi + 1, step):
            y = sy(10 ** e)
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (x0, y, x0 + w, y))
            out.append('<text x="%d" y="%.1f" text-anchor="end">1e%d</text>' % (x0 - 3, y + 3, e))
        for i in (0, nmax // 2, nmax - 1):
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (sx(i), y0 + h + 11, i + 1))
        for m, c in curves.items():
            pts = " ".join("%.1f,%.1f" % (sx(i), sy(v)) for i, v in enumerate(c))
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>'
                       % (pts, COLORS.get(m, "#000")))
    out.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")


def main(argv, peers):
    import argparse
    ap = argparse.ArgumentParser(prog="bo_suite.py report")
    ap.add_argument("results", nargs="+")
    ap.add_argument("--md", default=None)
    ap.add_argument("--svg-dir", default=None)
    ap.add_argument("--method", default="rlab", help="the method judged against the peers")
    a = ap.parse_args(argv)
    runs = load_runs(a.results)
    present = {r["function"] for r in runs}
    functions = [f for f in peers.FUNCTIONS if f in present]
    families = {f: peers.FUNCTIONS[f].get("family", "first suite") for f in functions}
    rows, counts, worst = table(runs, functions, families, a.method)
    md = markdown(rows, counts, worst, a.method)
    print(md)
    if a.md:
        with open(a.md, "w") as fh:
            fh.write(md)
    if a.svg_dir:
        os.makedirs(a.svg_dir, exist_ok=True)
        fams = {}
        for f in functions:
            fams.setdefault(families[f], []).append(f)
        f_mins = {f: peers.FUNCTIONS[f]["f_min"] for f in functions}
        for fam, fs in fams.items():
            name = fam.replace(" ", "-")
            svg_curves(runs, fs, fam, os.path.join(a.svg_dir, "bo-suite-%s.svg" % name),
                       methods=[m for m in dict.fromkeys((a.method, "skopt_gp", "optuna_tpe", "random"))
                                if any(r["method"] == m for r in runs)], f_mins=f_mins)
    return 0


# Functions set aside while choosing the optimiser's defaults: a lever is chosen on the others
# (the "choice" set) and then checked here. Every fourth of the suite's functions beyond the
# first five, from the third on (bo_functions.SUITE order), fixed before any lever was measured.
HELD_OUT = ["shekel10", "beale", "dixon_price5", "dropwave", "step_ellipsoid5", "mixed_hpo",
            "hartmann6_noisy"]


def lever_summary(runs, functions, rlab="rlab"):
    """One lever-table row: (at or below, n, first five lost, functions above 2x, geo-mean ratio)."""
    rows, counts, worst = table(runs, functions, {}, rlab)
    ratios = [max(r[4], 1e-3) for r in rows if r[4] is not None and math.isfinite(r[4])]
    geo = math.exp(sum(math.log(q) for q in ratios) / len(ratios)) if ratios else math.nan
    lost = ["%s (%.3gx)" % (r[0], r[4]) for r in rows if r[0] in FIRST and r[5] == "loss"]
    over2 = ["%s %.3gx" % (f, q) for f, q in worst if q is not None and q > 2]
    return counts["win"] + counts["tie"], len(rows), lost, over2, geo


def levers(argv, peers):
    """bo_suite.py levers PEER.json... --rlab A.json [B.json ...] [--held-out]: one row per rlab
    file over the choice set (and, with --held-out, the held-out set)."""
    import argparse
    ap = argparse.ArgumentParser(prog="bo_suite.py levers")
    ap.add_argument("peers", nargs="+")
    ap.add_argument("--rlab", nargs="+", required=True)
    ap.add_argument("--held-out", action="store_true")
    ap.add_argument("--functions", default=None, help="comma list (default: all)")
    a = ap.parse_args(argv)
    base = load_runs(a.peers)
    for path in a.rlab:
        runs = base + [r for r in load_runs([path]) if r["method"] == "rlab"]
        present = {r["function"] for r in runs if r["method"] == "rlab"}
        allf = [f for f in peers.FUNCTIONS if f in present]
        if a.functions:
            allf = [f for f in allf if f in a.functions.split(",")]
        sets = [("choice", [f for f in allf if f not in HELD_OUT])]
        if a.held_out:
            sets.append(("held-out", [f for f in allf if f in HELD_OUT]))
            sets.append(("all", allf))
        for name, fs in sets:
            ok, n, lost, over2, geo = lever_summary(runs, fs)
            print("%-40s %-8s %2d/%-2d geo %.3f  first-lost: %s  >2x(%d): %s" % (
                os.path.basename(path), name, ok, n, geo, ", ".join(lost) or "-", len(over2),
                ", ".join(over2)))
    return 0
