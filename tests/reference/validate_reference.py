#!/usr/bin/python3
"""Reference vectors for `rlab validate`, computed with scipy.stats (Debian python3-scipy 1.10).

Writes tests/reference/validate_reference.json, which tests/validate_test.cpp reads. Run with
Debian's Python: /usr/bin/python3 tests/reference/validate_reference.py

Conventions (the same as rlab's core): x is the candidate, y the baseline. Independent tests are
scipy.stats.ttest_ind(x, y, equal_var=False|True) and mannwhitneyu(x, y) (method='auto',
use_continuity=True, two-sided); paired tests are ttest_rel(x, y) and wilcoxon(x, y) (defaults:
zero_method='wilcox', correction=False, method='auto'). NaN is written as null, infinities as
the strings "inf" / "-inf"; a test that scipy refuses (raises) is written as {"error": msg}.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
from scipy import stats
from scipy.stats import _stats_py

warnings.simplefilter("ignore")


def enc(v):
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def mwu_method(x, y):
    # scipy 1.10 _mwu_choose_method: asymptotic when both sides > 8 or any tie, else exact.
    from scipy.stats._mannwhitneyu import _mwu_choose_method
    xy = np.concatenate([x, y])
    return _mwu_choose_method(len(x), len(y), xy, "auto")


def describe(v):
    v = np.asarray(v, dtype=float)
    return {
        "n": len(v),
        "mean": enc(np.mean(v)),
        "std": enc(np.std(v, ddof=1)) if len(v) > 1 else None,
        "median": enc(np.median(v)),
        "iqm": enc(stats.trim_mean(v, 0.25)),
    }


def welch_df(x, y):
    df, denom = _stats_py._unequal_var_ttest_denom(np.var(x, ddof=1), len(x), np.var(y, ddof=1), len(y))
    return float(df), float(denom)


def independent(x, y, conf):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = {}
    w = stats.ttest_ind(x, y, equal_var=False)
    df, denom = welch_df(x, y)
    q = stats.t.ppf(0.5 + conf / 2, df)
    diff = np.mean(x) - np.mean(y)
    out["welch"] = {"statistic": enc(w.statistic), "df": enc(df), "p": enc(w.pvalue),
                    "ci": [enc(diff - q * denom), enc(diff + q * denom)]}
    s = stats.ttest_ind(x, y, equal_var=True)
    df = len(x) + len(y) - 2.0
    if df > 0:
        sp = ((len(x) - 1) * np.var(x, ddof=1) + (len(y) - 1) * np.var(y, ddof=1)) / df
        denom = math.sqrt(sp * (1 / len(x) + 1 / len(y)))
        q = stats.t.ppf(0.5 + conf / 2, df)
        ci = [enc(diff - q * denom), enc(diff + q * denom)]
    else:
        ci = [None, None]
    out["student"] = {"statistic": enc(s.statistic), "df": enc(df), "p": enc(s.pvalue), "ci": ci}
    u = stats.mannwhitneyu(x, y, use_continuity=True, alternative="two-sided", method="auto")
    out["mwu"] = {"statistic": enc(u.statistic), "p": enc(u.pvalue), "method": mwu_method(x, y)}
    # Effect sizes, from their definitions.
    gt = sum(1 for a in x for b in y if a > b)
    lt = sum(1 for a in x for b in y if a < b)
    eq = len(x) * len(y) - gt - lt
    out["cliffs_delta"] = (gt - lt) / (len(x) * len(y))
    out["p_superiority"] = (gt + 0.5 * eq) / (len(x) * len(y))
    if len(x) + len(y) > 2:
        # Pooled variance from the sums of squared deviations (a side of one run adds 0).
        ss = np.sum((x - np.mean(x)) ** 2) + np.sum((y - np.mean(y)) ** 2)
        sp = ss / (len(x) + len(y) - 2)
        d = diff / math.sqrt(sp) if sp > 0 else float("nan")
        j = 1 - 3 / (4 * (len(x) + len(y)) - 9)
        out["hedges_g"] = enc(d * j)
    else:
        out["hedges_g"] = None
    return out


def paired(x, y, conf):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = {}
    r = stats.ttest_rel(x, y)
    n = len(x)
    d = x - y
    df = n - 1.0
    if n > 1:
        se = np.std(d, ddof=1) / math.sqrt(n)
        q = stats.t.ppf(0.5 + conf / 2, df)
        ci = [enc(np.mean(d) - q * se), enc(np.mean(d) + q * se)]
    else:
        ci = [None, None]
    out["paired_t"] = {"statistic": enc(r.statistic), "df": enc(df), "p": enc(r.pvalue), "ci": ci}
    try:
        w = stats.wilcoxon(x, y)
        zeros = int(np.sum(d == 0))
        method = "exact" if (n <= 50 and zeros == 0) else "approx"
        out["wilcoxon"] = {"statistic": enc(w.statistic), "p": enc(w.pvalue), "method": method}
    except ValueError as e:
        out["wilcoxon"] = {"error": str(e)}
    return out


def main():
    rng = np.random.default_rng(20240611)
    conf = 0.95
    cases = []

    def add_ind(name, x, y):
        cases.append({"name": name, "kind": "independent", "candidate": list(map(float, x)),
                      "baseline": list(map(float, y)), "confidence": conf,
                      "describe_candidate": describe(x), "describe_baseline": describe(y),
                      "expected": independent(x, y, conf)})

    def add_pair(name, x, y):
        cases.append({"name": name, "kind": "paired", "candidate": list(map(float, x)),
                      "baseline": list(map(float, y)), "confidence": conf,
                      "expected": paired(x, y, conf)})

    r3 = lambda a: np.round(a, 3)
    add_ind("lab_example_accuracy", [0.921, 0.918, 0.925, 0.917, 0.923], [0.852, 0.848, 0.855, 0.849, 0.851])
    add_ind("normal_5_5", rng.normal(0.78, 0.01, 5), rng.normal(0.77, 0.012, 5))
    add_ind("normal_3_3", rng.normal(1, 1, 3), rng.normal(0, 1, 3))
    add_ind("normal_4_4_separated", [5.1, 5.3, 5.2, 5.4], [1.0, 1.2, 1.1, 1.3])
    add_ind("normal_8_20_exact", rng.normal(0.5, 1, 8), rng.normal(0, 1, 20))
    add_ind("rounded_8_20_ties_asymptotic", r3(rng.normal(0.5, 0.01, 8)), r3(rng.normal(0.49, 0.01, 20)))
    add_ind("normal_9_9_asymptotic", rng.normal(0.2, 1, 9), rng.normal(0, 1, 9))
    add_ind("normal_50_50", rng.normal(0.1, 1, 50), rng.normal(0, 1, 50))
    add_ind("unequal_7_30", rng.normal(3, 2, 7), rng.normal(2, 0.5, 30))
    add_ind("ties_small", [1, 2, 2, 3, 3], [2, 2, 3, 4, 4])
    add_ind("exact_1_6", [3.5], [1, 2, 3, 4, 5, 6])
    add_ind("n1_each", [2.0], [1.0])
    add_ind("identical_samples", [0.5, 0.25, 0.75], [0.5, 0.25, 0.75])
    add_ind("all_ties", [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0])
    add_ind("zero_variance_different", [2.0, 2.0, 2.0], [1.0, 1.0, 1.0])
    add_ind("one_side_constant", [1.0, 1.0, 1.0, 1.0], [0.5, 0.75, 1.25, 0.875])
    add_ind("tiny_tail_welch", 1 + rng.normal(0, 0.01, 50), rng.normal(0, 0.01, 50))
    add_ind("tiny_tail_mwu_600", np.arange(600) + 1000.5, np.arange(600) * 1.0)
    add_ind("exact_8_300_separated", np.arange(8) + 1000.0, np.arange(300) * 1.0)
    add_ind("exact_overlap_6_8", [1.5, 3.5, 5.5, 7.5, 9.5, 11.5], [1, 2, 4, 6, 8, 10, 12, 14])

    add_pair("paired_5", [0.79, 0.81, 0.77, 0.8, 0.82], [0.78, 0.795, 0.772, 0.785, 0.81])
    add_pair("paired_10", rng.normal(0.3, 1, 10), rng.normal(0, 1, 10))
    add_pair("paired_zero_diff_approx", [1, 2, 3, 4, 5, 6], [1, 1.5, 2.5, 3, 4, 4])
    add_pair("paired_abs_ties_exact", [2, 3, 4, 5, 6, 7], [1, 4, 3, 4, 5, 8])
    add_pair("paired_60_approx", rng.normal(0.1, 1, 60), rng.normal(0, 1, 60))
    add_pair("paired_all_equal", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    add_pair("paired_n2", [1.0, 2.5], [0.5, 1.0])
    add_pair("paired_tiny_tail_t", np.arange(40) + 5 + rng.normal(0, 1e-3, 40), np.arange(40) * 1.0)

    # Holm and Bonferroni adjustments, from their definitions.
    ps = [0.01, 0.04, 0.03, 0.2, 0.005]
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    holm = [0.0] * len(ps)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        holm[i] = running
    bonf = [min(1.0, p * len(ps)) for p in ps]

    # Smallest two-sided p the exact U test can give (perfect separation), per n.
    mwu_min = {str(n): float(stats.mannwhitneyu(np.arange(n) + 100.0, np.arange(n) * 1.0, method="exact").pvalue)
               for n in range(2, 9)}

    doc = {"generator": "tests/reference/validate_reference.py",
           "scipy": scipy.__version__, "numpy": np.__version__, "cases": cases,
           "adjust": {"p": ps, "holm": holm, "bonferroni": bonf}, "mwu_min_p": mwu_min}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validate_reference.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases (scipy {scipy.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
