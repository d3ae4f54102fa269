#!/usr/bin/python3
"""Independent reference for `rlab cost` (tests/cost_test.cpp reads cost_reference.json).

Formulas written from their sources, not from rlab's code:
- rate from a Spot Instance Advisor band: lambda = -ln(1 - f) / 720 h (f = band upper bound)
- Young 1974: tau = sqrt(2 delta M)
- Daly 2006: tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta/(2M)) + (1/9) delta/(2M)] - delta
  (delta < 2M, else M); wall time T_w = M e^{R/M} (e^{(tau+delta)/M} - 1) T_s / tau
- exact expectation of the simulated process: segments of tau hours of work + delta, the last
  one shorter (r + delta); per segment of length L: E[time] = M e^{R/M} (e^{L/M} - 1),
  E[interruptions] = (e^{L/M} - 1) e^{R/M}, E[restart time] = (e^{L/M} - 1)(e^{R/M} - 1) M
- budget solver: smallest s with E[cost](s) <= B, by scipy's brentq on the piece of the cost
  curve holding the crossing.
A vectorised numpy Monte-Carlo (its own RNG) checks the exact expectation; the script fails if
its mean is more than 4 standard errors away.

Run: /usr/bin/python3 tests/reference/cost_reference.py > tests/reference/cost_reference.json
"""
import json
import math
import sys

import numpy as np
from scipy.optimize import brentq

BANDS = {"<5": 0.05, "5-10": 0.10, "10-15": 0.15, "15-20": 0.20, ">20": 0.30}


def rate_of(band):
    return -math.log(1 - BANDS[band]) / 720.0


def young(delta, m):
    return math.sqrt(2 * delta * m)


def daly(delta, m):
    if delta >= 2 * m:
        return m
    x = delta / (2 * m)
    return math.sqrt(2 * delta * m) * (1 + math.sqrt(x) / 3 + x / 9) - delta


def seg(length, r, m):
    return m * math.exp(r / m) * (math.exp(length / m) - 1)


def segments(work, tau):
    if work <= 0:
        return []
    n = math.floor(work / tau)
    rem = work - n * tau
    out = [tau] * n
    if rem > tau * 1e-12:
        out.append(rem)
    return out


def expectation(c, s):
    T = c["work_instance_hours"]
    m, d, r, tau = c["mtbf"], c["delta"], c["restart"], c["tau"]
    sw, ow = s * T, (1 - s) * T
    spot = [L + d for L in segments(sw, tau)]
    wall = sum(seg(L, r, m) for L in spot)
    fails = sum((math.exp(L / m) - 1) * math.exp(r / m) for L in spot)
    restart = sum((math.exp(L / m) - 1) * (math.exp(r / m) - 1) * m for L in spot)
    ckpt = d * len(spot)
    od = ow + d * len(segments(ow, tau))
    cost = c["p_sp"] * wall + c["p_od"] * od
    return dict(spot_wall=wall, interruptions=fails, restarts=restart, checkpoints=ckpt,
                lost=wall - sw - ckpt - restart, od_wall=od, cost=cost,
                naive=T * (s * c["p_sp"] + (1 - s) * c["p_od"]),
                daly_spot_wall=(sw / tau) * seg(tau + d, r, m) if sw > 0 else 0.0)


def min_share(c, budget):
    f = lambda s: expectation(c, s)["cost"] - budget
    if f(0) <= 0:
        return 0.0
    grid = np.linspace(0, 1, 2001)
    vals = [f(s) for s in grid]
    for i in range(1, len(grid)):
        if vals[i] <= 0:
            a, b = grid[i - 1], grid[i]
            # The curve jumps at multiples of tau; inside a cell with no jump brentq finds the
            # root, else the crossing is the jump itself.
            if f(a) > 0 and f(b) <= 0:
                try:
                    return brentq(f, a, b, xtol=1e-12)
                except ValueError:
                    return b
    return None


def monte_carlo(c, s, jobs, seed):
    """Vectorised simulation of the spot stream (restarts can be interrupted)."""
    rng = np.random.default_rng(seed)
    m, d, r, tau = c["mtbf"], c["delta"], c["restart"], c["tau"]
    total = np.zeros(jobs)
    for L in [x + d for x in segments(s * c["work_instance_hours"], tau)]:
        pending = np.ones(jobs, dtype=bool)
        first = True
        while pending.any():
            k = int(pending.sum())
            if not first:  # restart phase, repeated until it completes
                need = np.ones(k, dtype=bool)
                add = np.zeros(k)
                while need.any():
                    g = rng.exponential(m, int(need.sum()))
                    ok = g >= r
                    idx = np.flatnonzero(need)
                    add[idx[ok]] += r
                    add[idx[~ok]] += g[~ok]
                    need[idx[ok]] = False
                total[pending] += add
            g = rng.exponential(m, k)
            done = g >= L
            inc = np.where(done, L, g)
            total[pending] += inc
            idx = np.flatnonzero(pending)
            pending[idx[done]] = False
            first = False
    return total.mean(), total.std(ddof=1) / math.sqrt(jobs)


def case(name, work, gpus, unit_gpu, s, p_od, p_sp, delta_h, restart_h, band=None, rate=None,
         tau=None, budget=None):
    lam = rate if rate is not None else rate_of(band)
    m = 1 / lam
    c = dict(name=name, work=work, gpus=gpus, work_in_gpu_hours=unit_gpu, spot_share=s,
             p_od=p_od, p_sp=p_sp, delta=delta_h, restart=restart_h, band=band,
             rate_given=rate, tau_given=tau, budget=budget,
             work_instance_hours=work / gpus if unit_gpu else work,
             rate=lam, mtbf=m, young=young(delta_h, m), daly=daly(delta_h, m))
    c["tau"] = tau if tau is not None else c["daly"]
    c["expected"] = expectation(c, s)
    c["min_share_for_budget"] = min_share(c, budget) if budget is not None else None
    mean, se = monte_carlo(c, s, 100000, 12345)
    ref = c["expected"]["spot_wall"]
    if abs(mean - ref) > 4 * se + 1e-12:
        sys.exit(f"{name}: numpy Monte-Carlo {mean} +- {se} disagrees with {ref}")
    c["numpy_mc_spot_wall"] = [mean, se]
    return c


def main():
    cases = [
        case("lab-example", 500, 1, True, 0.7, 3.06, 0.90, 5 / 60, 10 / 60, band="5-10",
             budget=700),
        case("frequent", 200, 1, False, 1.0, 10.0, 3.0, 0.25, 0.5, rate=0.05, budget=900),
        case("p4d-multi-gpu", 800, 8, True, 0.5, 32.7726, 9.61, 0.1, 0.25, band=">20", tau=2.0,
             budget=2000),
        case("whole-segments", 100, 1, False, 1.0, 4.0, 1.0, 0.1, 0.2, rate=0.02, tau=5.0),
    ]
    # The cheapest possible plan for tests/data/cost/ok.yaml on the shipped catalogue: p3.2xlarge
    # us-east-1 all on spot (0.7657 $/h), band 5-10, 5 min writes, 10 min restarts, per-second
    # billing counted as half a second per instance run (1 + E[interruptions] runs).
    floor = case("ok-all-spot", 500, 1, True, 1.0, 3.06, 0.7657, 5 / 60, 10 / 60, band="5-10")
    e = floor["expected"]
    floor_cost = e["cost"] + 0.7657 * (1 + e["interruptions"]) * (1 / 3600) / 2
    json.dump({"generator": "tests/reference/cost_reference.py", "cases": cases,
               "ok_yaml_cheapest_plan_usd": floor_cost}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
