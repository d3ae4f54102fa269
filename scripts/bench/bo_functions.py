"""Test functions of the bayesopt benchmark suite (scripts/bench/bo_suite.py).

Standard functions from the literature (Virtual Library of Simulation Experiments, Surjanovic &
Bingham; BBOB/COCO, Hansen et al.), a few mixed spaces with integers and categoricals, and noisy
variants. Pure Python (no numpy), so `bo_functions.py eval NAME V1 V2 ...` starts fast enough to
be a command objective. Every function takes a dict {name: value} and is minimised; `f_min` is
the known optimum (from the literature, or the value at the known argmin).
"""
import math
import struct
import sys

PI = math.pi


def _x(p, n):
    return [float(p["x%d" % i]) for i in range(1, n + 1)]


def sixhump(p):
    x1, x2 = _x(p, 2)
    return (4 - 2.1 * x1 ** 2 + x1 ** 4 / 3) * x1 ** 2 + x1 * x2 + (-4 + 4 * x2 ** 2) * x2 ** 2


def goldstein_price(p):
    x1, x2 = _x(p, 2)
    a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1 ** 2 - 14 * x2 + 6 * x1 * x2 + 3 * x2 ** 2)
    b = 30 + (2 * x1 - 3 * x2) ** 2 * (18 - 32 * x1 + 12 * x1 ** 2 + 48 * x2 - 36 * x1 * x2 + 27 * x2 ** 2)
    return a * b


def beale(p):
    x1, x2 = _x(p, 2)
    return ((1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2 ** 2) ** 2
            + (2.625 - x1 + x1 * x2 ** 3) ** 2)


def dropwave(p):
    x1, x2 = _x(p, 2)
    r2 = x1 * x1 + x2 * x2
    return -(1 + math.cos(12 * math.sqrt(r2))) / (0.5 * r2 + 2)


def michalewicz(x, m=10):
    return -sum(math.sin(xi) * math.sin((i + 1) * xi * xi / PI) ** (2 * m) for i, xi in enumerate(x))


_H3_A = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
_H3_P = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
         [0.1091, 0.8732, 0.5547], [0.03815, 0.5743, 0.8828]]
_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann3(p):
    x = _x(p, 3)
    return -sum(a * math.exp(-sum(A[j] * (x[j] - P[j]) ** 2 for j in range(3)))
                for a, A, P in zip(_ALPHA, _H3_A, _H3_P))


def schwefel(x):
    return 418.9829 * len(x) - sum(xi * math.sin(math.sqrt(abs(xi))) for xi in x)


def colville(p):
    x1, x2, x3, x4 = _x(p, 4)
    return (100 * (x1 ** 2 - x2) ** 2 + (x1 - 1) ** 2 + (x3 - 1) ** 2 + 90 * (x3 ** 2 - x4) ** 2
            + 10.1 * ((x2 - 1) ** 2 + (x4 - 1) ** 2) + 19.8 * (x2 - 1) * (x4 - 1))


_SHEKEL_B = [0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5]
_SHEKEL_C = [[4.0, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4.0, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
             [4.0, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4.0, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]]


def shekel10(p):
    x = _x(p, 4)
    return -sum(1.0 / (sum((x[j] - _SHEKEL_C[j][i]) ** 2 for j in range(4)) + _SHEKEL_B[i])
                for i in range(10))


def powell(x):
    s = 0.0
    for i in range(0, len(x), 4):
        a, b, c, d = x[i:i + 4]
        s += (a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4
    return s


def levy(x):
    w = [1 + (xi - 1) / 4 for xi in x]
    s = math.sin(PI * w[0]) ** 2
    for wi in w[:-1]:
        s += (wi - 1) ** 2 * (1 + 10 * math.sin(PI * wi + 1) ** 2)
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)


def rastrigin(x):
    return 10 * len(x) + sum(xi * xi - 10 * math.cos(2 * PI * xi) for xi in x)


def styblinski_tang(x):
    return 0.5 * sum(xi ** 4 - 16 * xi ** 2 + 5 * xi for xi in x)


def dixon_price(x):
    return (x[0] - 1) ** 2 + sum((i + 1) * (2 * x[i] ** 2 - x[i - 1]) ** 2 for i in range(1, len(x)))


def griewank(x):
    s = sum(xi * xi for xi in x) / 4000
    prod = 1.0
    for i, xi in enumerate(x):
        prod *= math.cos(xi / math.sqrt(i + 1))
    return s - prod + 1


def zakharov(x):
    s1 = sum(xi * xi for xi in x)
    s2 = sum(0.5 * (i + 1) * xi for i, xi in enumerate(x))
    return s1 + s2 ** 2 + s2 ** 4


def sum_powers(x):
    return sum(abs(xi) ** (i + 2) for i, xi in enumerate(x))


def rotated_hyper_ellipsoid(x):
    return sum(sum(xj * xj for xj in x[:i + 1]) for i in range(len(x)))


def ackley(x, a=20.0, b=0.2, c=2 * PI):
    d = len(x)
    return (-a * math.exp(-b * math.sqrt(sum(xi * xi for xi in x) / d))
            - math.exp(sum(math.cos(c * xi) for xi in x) / d) + a + math.e)


def rosenbrock(x):
    return sum(100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2 for i in range(len(x) - 1))


def trid(x):
    return sum((xi - 1) ** 2 for xi in x) - sum(x[i] * x[i - 1] for i in range(1, len(x)))


# BBOB-style rotated ellipsoid (condition 1e6) and step ellipsoid, with a shifted optimum and a
# fixed rotation (a Householder reflection, so the functions stay dependency-free).
_BB_OPT = [1.3, -2.1, 0.7, 3.2, -0.4]
_BB_V = [0.5, -1.0, 2.0, 0.3, -1.5]


def _householder(z, v):
    vv = sum(a * a for a in v)
    dot = sum(a * b for a, b in zip(v, z))
    return [zi - 2 * dot / vv * vi for zi, vi in zip(z, v)]


def bbob_ellipsoid(x):
    d = len(x)
    z = _householder([xi - o for xi, o in zip(x, _BB_OPT)], _BB_V)
    return sum(10 ** (6.0 * i / (d - 1)) * zi * zi for i, zi in enumerate(z))


def step_ellipsoid(x):
    d = len(x)
    z = _householder([xi - o for xi, o in zip(x, _BB_OPT)], _BB_V)
    return sum(10 ** (2.0 * i / (d - 1)) * math.floor(abs(zi) * 2 + 0.5) ** 2 for i, zi in enumerate(z))


_H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
         [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_H6_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
         [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
         [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
         [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(p):
    x = _x(p, 6)
    return -sum(a * math.exp(-sum(A[j] * (x[j] - P[j]) ** 2 for j in range(6)))
                for a, A, P in zip(_ALPHA, _H6_A, _H6_P))


def branin(p):
    x1, x2 = _x(p, 2)
    b, c, t = 5.1 / (4 * PI ** 2), 5.0 / PI, 1.0 / (8 * PI)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


# --- mixed spaces -------------------------------------------------------------------------

def mixed_levy_int(p):
    """Levy 4-D with two integer coordinates (k1, k2 in -10..10); optimum 0 at all ones."""
    return levy([float(p["x1"]), float(p["x2"]), float(int(p["k1"])), float(int(p["k2"]))])


def mixed_rosen_int(p):
    """Rosenbrock 4-D with the middle coordinates integer (-5..10); optimum 0 at all ones."""
    return rosenbrock([float(p["x1"]), float(int(p["k2"])), float(int(p["k3"])), float(p["x4"])])


_HPO = {"adam": (-3.0, 0.0), "rmsprop": (-3.5, 0.05), "sgd": (-1.5, 0.1)}


def mixed_hpo(p):
    """A synthetic hyperparameter response: log-uniform learning rate, integer depth and width,
    categorical optimiser, real dropout. Optimum 0 at adam, lr 1e-3, layers 4, units 128, dropout
    0.25; each optimiser has its own best learning rate and floor."""
    lr_star, floor = _HPO[str(p["optimizer"])]
    u = math.log10(float(p["lr"])) - lr_star
    d = float(p["dropout"]) - 0.25
    return (floor + 0.3 * u * u + 0.1 * u * d + 0.8 * d * d + 0.05 * (1 - math.cos(2 * PI * u))
            + 0.02 * (int(p["layers"]) - 4) ** 2 + 0.05 * (math.log2(int(p["units"])) - 7) ** 2)


_CAT_SHIFT = {"a": (1.0, -1.0, 0.5), "b": (-2.0, 2.0, 0.0), "c": (0.0, 0.0, -3.0), "d": (2.5, 1.5, 2.0)}
_CAT_OFF = {"a": 0.0, "b": 0.4, "c": 0.8, "d": 0.2}


def mixed_cat_ackley(p):
    """Ackley 3-D shifted by a 4-way categorical, plus an integer term; optimum 0 at basin a,
    x = (1, -1, 0.5), k = 3."""
    c = str(p["basin"])
    s = _CAT_SHIFT[c]
    x = [float(p["x%d" % (i + 1)]) - s[i] for i in range(3)]
    return ackley(x) + _CAT_OFF[c] + 0.1 * abs(int(p["k"]) - 3)


# --- noise --------------------------------------------------------------------------------

def _splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def _noise(name, space, p, sd):
    """Gaussian noise that is a fixed function of the point (the same point gives the same draw
    for every optimiser, and the harness' re-evaluation check still holds): FNV-1a 64 over the
    name and each value as a little-endian double (a category as its index), SplitMix64,
    Box-Muller -- the same as bo_functions.c."""
    h = 0xcbf29ce484222325
    data = name.encode()
    for d in space:
        v = p[d["name"]]
        v = d["categories"].index(v) if d["type"] == "categorical" else v
        data += struct.pack("<d", float(v))
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    s, a = _splitmix(h)
    s, b = _splitmix(s)
    u1 = ((a >> 11) + 1.0) * 2.0 ** -53
    u2 = (b >> 11) * 2.0 ** -53
    return sd * math.sqrt(-2 * math.log(u1)) * math.cos(2 * PI * u2)


def _noisy(name, fn, space, sd):
    return lambda p: fn(p) + _noise(name, space, p, sd)


# --- the table ----------------------------------------------------------------------------

def _reals(n, low, high):
    return [{"name": "x%d" % i, "type": "real", "low": low, "high": high, "prior": "uniform"}
            for i in range(1, n + 1)]


def _vecfn(f, n):
    return lambda p: f(_x(p, n))


def _entry(family, fn, space, x_min, f_min=None, noise_sd=None, true_fn=None):
    if f_min is None:
        f_min = (true_fn or fn)(x_min)
    return {"family": family, "fn": fn, "space": space, "f_min": float(f_min), "x_min": [x_min],
            "noise_sd": noise_sd, "true_fn": true_fn}


def _pt(vals):
    return {"x%d" % (i + 1): v for i, v in enumerate(vals)}


SUITE = {
    # smooth, low-dimensional
    "sixhump": _entry("smooth", sixhump, [
        {"name": "x1", "type": "real", "low": -3.0, "high": 3.0, "prior": "uniform"},
        {"name": "x2", "type": "real", "low": -2.0, "high": 2.0, "prior": "uniform"}],
        _pt([0.0898420131, -0.7126564030]), f_min=-1.0316284534898774),
    "hartmann3": _entry("smooth", hartmann3, _reals(3, 0.0, 1.0),
                        _pt([0.114614, 0.555649, 0.852547]), f_min=-3.86278214782076),
    "shekel10": _entry("multimodal", shekel10, _reals(4, 0.0, 10.0),
                       _pt([4.000746868, 3.999509481, 4.000746870, 3.999509481]), f_min=-10.53644315348353),
    "trid10": _entry("smooth", _vecfn(trid, 10), _reals(10, -100.0, 100.0),
                     _pt([(i + 1) * (10 - i) for i in range(10)]), f_min=-210.0),
    "styblinski_tang5": _entry("multimodal", _vecfn(styblinski_tang, 5), _reals(5, -5.0, 5.0),
                               _pt([-2.903534027771177] * 5)),
    # large dynamic range
    "goldstein_price": _entry("dynamic-range", goldstein_price, _reals(2, -2.0, 2.0), _pt([0.0, -1.0]),
                              f_min=3.0),
    "beale": _entry("dynamic-range", beale, _reals(2, -4.5, 4.5), _pt([3.0, 0.5]), f_min=0.0),
    "colville": _entry("dynamic-range", colville, _reals(4, -10.0, 10.0), _pt([1.0] * 4), f_min=0.0),
    "powell4": _entry("dynamic-range", _vecfn(powell, 4), _reals(4, -4.0, 5.0), _pt([0.0] * 4), f_min=0.0),
    "zakharov6": _entry("dynamic-range", _vecfn(zakharov, 6), _reals(6, -5.0, 10.0), _pt([0.0] * 6),
                        f_min=0.0),
    "dixon_price5": _entry("dynamic-range", _vecfn(dixon_price, 5), _reals(5, -10.0, 10.0),
                           _pt([2.0 ** (-(2 ** i - 2) / 2 ** i) for i in range(1, 6)]), f_min=0.0),
    # ill-conditioned
    "rotated_ellipsoid6": _entry("ill-conditioned", _vecfn(rotated_hyper_ellipsoid, 6),
                                 _reals(6, -65.536, 65.536), _pt([0.0] * 6), f_min=0.0),
    "bbob_ellipsoid5": _entry("ill-conditioned", _vecfn(bbob_ellipsoid, 5), _reals(5, -5.0, 5.0),
                              _pt(_BB_OPT), f_min=0.0),
    "sum_powers6": _entry("ill-conditioned", _vecfn(sum_powers, 6), _reals(6, -1.0, 1.0), _pt([0.0] * 6),
                          f_min=0.0),
    # multimodal
    "dropwave": _entry("multimodal", dropwave, _reals(2, -5.12, 5.12), _pt([0.0, 0.0]), f_min=-1.0),
    "michalewicz5": _entry("multimodal", _vecfn(michalewicz, 5), _reals(5, 0.0, PI),
                           _pt([2.202906, 1.570796, 1.284992, 1.923058, 1.720470]), f_min=-4.687658179),
    "schwefel3": _entry("multimodal", _vecfn(schwefel, 3), _reals(3, -500.0, 500.0),
                        _pt([420.968746] * 3)),
    "levy5": _entry("multimodal", _vecfn(levy, 5), _reals(5, -10.0, 10.0), _pt([1.0] * 5), f_min=0.0),
    "rastrigin4": _entry("multimodal", _vecfn(rastrigin, 4), _reals(4, -5.12, 5.12), _pt([0.0] * 4),
                         f_min=0.0),
    "griewank5": _entry("multimodal", _vecfn(griewank, 5), _reals(5, -600.0, 600.0), _pt([0.0] * 5),
                        f_min=0.0),
    # plateaus
    "step_ellipsoid5": _entry("plateau", _vecfn(step_ellipsoid, 5), _reals(5, -5.0, 5.0), _pt(_BB_OPT),
                              f_min=0.0),
    # mixed spaces
    "mixed_levy_int": _entry("mixed", mixed_levy_int, [
        {"name": "x1", "type": "real", "low": -10.0, "high": 10.0, "prior": "uniform"},
        {"name": "x2", "type": "real", "low": -10.0, "high": 10.0, "prior": "uniform"},
        {"name": "k1", "type": "integer", "low": -10, "high": 10},
        {"name": "k2", "type": "integer", "low": -10, "high": 10}],
        {"x1": 1.0, "x2": 1.0, "k1": 1, "k2": 1}, f_min=0.0),
    "mixed_rosen_int": _entry("mixed", mixed_rosen_int, [
        {"name": "x1", "type": "real", "low": -5.0, "high": 10.0, "prior": "uniform"},
        {"name": "k2", "type": "integer", "low": -5, "high": 10},
        {"name": "k3", "type": "integer", "low": -5, "high": 10},
        {"name": "x4", "type": "real", "low": -5.0, "high": 10.0, "prior": "uniform"}],
        {"x1": 1.0, "k2": 1, "k3": 1, "x4": 1.0}, f_min=0.0),
    "mixed_hpo": _entry("mixed", mixed_hpo, [
        {"name": "lr", "type": "real", "low": 1e-5, "high": 1e-1, "prior": "log-uniform"},
        {"name": "layers", "type": "integer", "low": 1, "high": 8},
        {"name": "units", "type": "integer", "low": 16, "high": 512},
        {"name": "optimizer", "type": "categorical", "categories": ["sgd", "adam", "rmsprop"]},
        {"name": "dropout", "type": "real", "low": 0.0, "high": 0.8, "prior": "uniform"}],
        {"lr": 1e-3, "layers": 4, "units": 128, "optimizer": "adam", "dropout": 0.25}, f_min=0.0),
    "mixed_cat_ackley": _entry("mixed", mixed_cat_ackley, [
        {"name": "x1", "type": "real", "low": -5.0, "high": 5.0, "prior": "uniform"},
        {"name": "x2", "type": "real", "low": -5.0, "high": 5.0, "prior": "uniform"},
        {"name": "x3", "type": "real", "low": -5.0, "high": 5.0, "prior": "uniform"},
        {"name": "basin", "type": "categorical", "categories": ["a", "b", "c", "d"]},
        {"name": "k", "type": "integer", "low": 0, "high": 10}],
        {"x1": 1.0, "x2": -1.0, "x3": 0.5, "basin": "a", "k": 3}, f_min=0.0),
}

# Noisy variants: the regret of a run is the *noise-free* value at the point it found best.
_NOISY = {"branin_noisy": ("branin", branin, 1.0, None),
          "hartmann6_noisy": ("hartmann6", hartmann6, 0.1, None),
          "mixed_hpo_noisy": ("mixed_hpo", mixed_hpo, 0.05, None)}
_BASE_SPACES = {
    "branin": ([{"name": "x1", "type": "real", "low": -5.0, "high": 10.0, "prior": "uniform"},
                {"name": "x2", "type": "real", "low": 0.0, "high": 15.0, "prior": "uniform"}],
               _pt([PI, 2.275]), 10.0 / (8.0 * PI)),
    "hartmann6": (_reals(6, 0.0, 1.0), _pt([0.20168952, 0.15001069, 0.47687398, 0.27533243,
                                            0.31165162, 0.65730054]), -3.32236801141551),
}
for _name, (_base, _fn, _sd, _) in _NOISY.items():
    if _base in SUITE:
        _space, _xm, _fm = SUITE[_base]["space"], SUITE[_base]["x_min"][0], SUITE[_base]["f_min"]
    else:
        _space, _xm, _fm = _BASE_SPACES[_base]
    SUITE[_name] = _entry("noisy", _noisy(_name, _fn, _space, _sd), _space, _xm, f_min=_fm, noise_sd=_sd,
                          true_fn=_fn)


def main(argv):
    # eval NAME V1 V2 ...  (values in the order of the space); prints the value.
    if len(argv) >= 2 and argv[0] == "eval":
        spec = SUITE[argv[1]]
        p = {}
        for d, v in zip(spec["space"], argv[2:]):
            p[d["name"]] = float(v) if d["type"] == "real" else (int(v) if d["type"] == "integer" else v)
        print(repr(spec["fn"](p)))
        return 0
    print("usage: bo_functions.py eval NAME VALUES...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
