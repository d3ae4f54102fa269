#!/usr/bin/python3
"""The training loop rlab's core runs, written in PyTorch (eager), for scripts/bench/prototype.sh
and scripts/gpu-check.sh: same classifier, batch, optimiser, data path and thread count.

    prototype_torch.py STEPS BATCH THREADS CHANNELS HIDDEN [--device cpu|cuda] [--warmup W]
                       [--data DIR] [--amp]

The whole training split is kept on the device as bytes (as rlab does); each step gathers its
batch there, scales it to [0, 1] and normalises it. With --warmup W, W steps run first and are
not timed (both sides warm). Prints one JSON line: images/s over the timed steps, the
data-loading share, the torch version and the device."""
import argparse
import gzip
import json
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
for name in ("steps", "batch", "threads", "channels", "hidden"):
    ap.add_argument(name, type=int)
ap.add_argument("--device", default="cpu")
ap.add_argument("--warmup", type=int, default=0)
ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
ap.add_argument("--amp", action="store_true", help="bf16 autocast of the forward pass (CUDA)")
a = ap.parse_args()

if a.threads > 0:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)
dev = torch.device(a.device)
cuda = dev.type == "cuda"
FM = a.data.rstrip("/") + "/"
raw = gzip.open(FM + "train-images-idx3-ubyte.gz").read()
x_cpu = torch.from_numpy(np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 1, 28, 28).copy())
y_cpu = torch.from_numpy(np.frombuffer(gzip.open(FM + "train-labels-idx1-ubyte.gz").read()[8:],
                                       dtype=np.uint8).astype(np.int64))
mean = float((x_cpu.float() / 255).mean())
std = float((x_cpu.float() / 255).std())
x_all = x_cpu.to(dev)
y_all = y_cpu.to(dev)
n = x_all.shape[0]

layers, prev, h = [], 1, 28
for c in [a.channels, 2 * a.channels]:
    layers += [torch.nn.Conv2d(prev, c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
    prev, h = c, h // 2
model = torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(prev * h * h, a.hidden),
                            torch.nn.ReLU(), torch.nn.Linear(a.hidden, 10)).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def sync():
    if cuda:
        torch.cuda.synchronize()


perm = torch.randperm(n, device=dev)
pos = 0
data_s = step_s = 0.0
images = 0
for s in range(a.warmup + a.steps):
    if s == a.warmup:  # the timed part starts warm
        sync()
        data_s = step_s = 0.0
        images = 0
    t0 = time.perf_counter()
    if pos + a.batch > n:
        perm = torch.randperm(n, device=dev)
        pos = 0
    idx = perm[pos:pos + a.batch]
    pos += a.batch
    x = (x_all.index_select(0, idx).float().div_(255) - mean) / std
    y = y_all.index_select(0, idx)
    sync()
    t1 = time.perf_counter()
    opt.zero_grad()
    with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.amp and cuda):
        out = model(x)
    loss = torch.nn.functional.cross_entropy(out.float(), y)
    loss.item()
    loss.backward()
    opt.step()
    sync()
    t2 = time.perf_counter()
    data_s += t1 - t0
    step_s += t2 - t0
    images += x.shape[0]
print(json.dumps({"images_per_s": images / step_s, "data_share": data_s / step_s,
                  "steps": a.steps, "warmup": a.warmup, "batch": a.batch, "amp": a.amp and cuda,
                  "torch_version": torch.__version__, "device": str(dev),
                  "device_name": torch.cuda.get_device_name(dev) if cuda else "cpu"}))
