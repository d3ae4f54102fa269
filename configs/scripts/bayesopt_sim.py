#!/usr/bin/env python3
"""The lab's simulated objective: validation loss of a small network as a function of its
learning rate, hidden size and dropout (a smooth bowl with a little seeded noise), printed as
JSON. Standard library only, so it runs anywhere in milliseconds."""
import argparse
import json
import math
import random

ap = argparse.ArgumentParser()
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--dropout", type=float, required=True)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

# Best near lr = 1e-3, hidden = 256, dropout = 0.25.
loss = (0.25
        + 0.08 * (math.log10(a.lr) + 3.0) ** 2
        + 0.05 * math.log2(a.hidden / 256.0) ** 2
        + 0.6 * (a.dropout - 0.25) ** 2)
loss += random.Random(a.seed).gauss(0.0, 0.002)
print(json.dumps({"val_loss": round(loss, 6), "epochs": 10}))
