#!/usr/bin/python3
"""Reference values for tests/bayesopt_test.cpp, computed independently of rlab.

* Built-in test functions, written from their published definitions (Branin, Hartmann-6,
  Ackley, Rosenbrock; mixed4 as defined for the benchmark harness), evaluated at fixed points.
* Gaussian-process log marginal likelihood, its gradient and the posterior mean / sd, from
  scikit-learn's GaussianProcessRegressor with ConstantKernel * Matern(nu=2.5, ARD) +
  WhiteKernel and normalize_y=True (the same model rlab fits), at fixed hyperparameters.
* EI / PI / LCB from scipy.stats.norm.

Run: /usr/bin/python3 tests/reference/bayesopt_reference.py > tests/reference/bayesopt_reference.json
"""
import json
import math

import numpy as np
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel


def branin(x):
    x1, x2 = x
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
H_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
H_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann6(x):
    x = np.asarray(x)
    return float(-np.sum(H_ALPHA * np.exp(-np.sum(H_A * (x - H_P) ** 2, axis=1))))


def ackley(x):
    x = np.asarray(x)
    d = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt(np.sum(x ** 2) / d)) - np.exp(np.sum(np.cos(2 * np.pi * x)) / d)
                 + 20 + np.e)


def rosenbrock(x):
    x = np.asarray(x)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


SHIFT = {"red": 1.5, "green": -2.0, "blue": 0.5}
OFFSET = {"red": 0.5, "green": 0.0, "blue": 1.0}
COLORS = ["red", "green", "blue"]


def mixed4(x):
    x_real, x_log, k, color = x
    c = COLORS[int(color)]
    u = x_real - SHIFT[c]
    v = math.log10(x_log) + 1
    return u * u + 0.1 * u * v + 2 * v * v + 0.5 * (1 - math.cos(2 * math.pi * u)) + 0.05 * (k - 7) ** 2 + OFFSET[c]


rng = np.random.default_rng(20261129)
out = {"builtins": []}
cases = {
    "branin": (branin, [[-math.pi, 12.275], [math.pi, 2.275], [9.42478, 2.475], [0.0, 0.0], [10, 15]]
               + [list(rng.uniform([-5, 0], [10, 15])) for _ in range(3)]),
    "hartmann6": (hartmann6, [[0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054]]
                  + [list(rng.uniform(0, 1, 6)) for _ in range(3)]),
    "ackley5": (ackley, [[0.0] * 5, [1, -2, 3, -4, 5]] + [list(rng.uniform(-32.768, 32.768, 5)) for _ in range(3)]),
    "rosenbrock4": (rosenbrock, [[1.0] * 4, [0.0] * 4] + [list(rng.uniform(-5, 10, 4)) for _ in range(3)]),
    "mixed4": (mixed4, [[-2.0, 0.1, 7, 1], [1.5, 0.1, 7, 0], [0.5, 1.0, 3, 2], [4.2, 0.003, 20, 0]]),
}
for name, (fn, pts) in cases.items():
    for p in pts:
        out["builtins"].append({"name": name, "x": [float(v) for v in p], "value": fn(p)})

# GP reference: 14 points in [0,1]^3, targets from a smooth function plus a step.
X = rng.uniform(0, 1, (14, 3))
y = np.sin(3 * X[:, 0]) + (X[:, 1] - 0.4) ** 2 * 4 + 0.3 * X[:, 2] + 10.0
Xs = rng.uniform(0, 1, (6, 3))
out["gp"] = {"X": X.tolist(), "y": y.tolist(), "Xs": Xs.tolist(), "cases": []}
for amp, ls, noise in [(1.0, [0.5, 0.5, 0.5], 1e-3), (2.5, [0.2, 0.9, 3.0], 0.05), (0.4, [1.5, 0.1, 0.7], 1e-5)]:
    kernel = ConstantKernel(amp, "fixed") * Matern(length_scale=ls, nu=2.5, length_scale_bounds="fixed") \
        + WhiteKernel(noise, "fixed")
    gp = GaussianProcessRegressor(kernel=kernel, optimizer=None, normalize_y=True, alpha=0.0)
    gp.fit(X, y)
    theta = np.log([amp] + ls + [noise])
    k2 = ConstantKernel(amp) * Matern(length_scale=ls, nu=2.5) + WhiteKernel(noise)
    gp2 = GaussianProcessRegressor(kernel=k2, optimizer=None, normalize_y=True, alpha=0.0).fit(X, y)
    lml, grad = gp2.log_marginal_likelihood(theta, eval_gradient=True)
    mean, sd = gp.predict(Xs, return_std=True)
    # sklearn's sd includes the white-noise term; rlab reports the latent function's sd.
    sd_latent = np.sqrt(np.maximum(sd ** 2 - noise * np.std(y) ** 2, 0))
    out["gp"]["cases"].append({"packed": theta.tolist(), "neg_log_likelihood": -float(lml),
                               "gradient": (-grad).tolist(), "mean": mean.tolist(),
                               "sd": sd_latent.tolist()})

# Acquisitions on normalised values (minimisation): best, mu, sd, xi, kappa.
acq = []
for mu, sd in [(0.1, 0.3), (-0.5, 1.2), (0.8, 0.05), (0.0, 2.0)]:
    best, xi, kappa = -0.2, 0.01, 1.96
    z = (best - mu - xi) / sd
    acq.append({"mu": mu, "sd": sd, "best": best, "xi": xi, "kappa": kappa,
                "EI": (best - mu - xi) * norm.cdf(z) + sd * norm.pdf(z), "PI": norm.cdf(z),
                "negLCB": -(mu - kappa * sd)})
out["acquisition"] = acq
print(json.dumps(out, indent=1))
