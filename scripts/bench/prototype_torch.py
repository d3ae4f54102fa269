#!/usr/bin/python3
"""The training loop rlab's core runs, written in PyTorch (Debian's 1.13) for
scripts/bench/prototype.sh: same classifier, batch, optimiser, data path and thread count.
Prints one JSON line: images/s over the training steps and the data-loading share."""
import gzip
import json
import sys
import time

import numpy as np
import torch

steps, batch, threads, channels, hidden = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
FM = "/usr/share/datasets/fashion-mnist/"
raw = gzip.open(FM + "train-images-idx3-ubyte.gz").read()
x_all = torch.from_numpy(np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 1, 28, 28).copy())
y_all = torch.from_numpy(np.frombuffer(gzip.open(FM + "train-labels-idx1-ubyte.gz").read()[8:],
                                       dtype=np.uint8).astype(np.int64))
mean = float((x_all.float() / 255).mean())
std = float((x_all.float() / 255).std())

layers, prev, h = [], 1, 28
for c in [channels, 2 * channels]:
    layers += [torch.nn.Conv2d(prev, c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
    prev, h = c, h // 2
model = torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(prev * h * h, hidden),
                            torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
perm = torch.randperm(x_all.shape[0])
data_s = step_s = 0.0
images = 0
for s in range(steps):
    t0 = time.perf_counter()
    idx = perm[s * batch:(s + 1) * batch]
    x = (x_all.index_select(0, idx).float().div_(255) - mean) / std
    y = y_all.index_select(0, idx)
    t1 = time.perf_counter()
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.item()
    loss.backward()
    opt.step()
    t2 = time.perf_counter()
    data_s += t1 - t0
    step_s += t2 - t0
    images += x.shape[0]
print(json.dumps({"images_per_s": images / step_s, "data_share": data_s / step_s}))
