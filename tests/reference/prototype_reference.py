#!/usr/bin/python3
"""Reference values for tests/prototype_test.cpp and tests/prototype_torch_test.cpp.

Run with Debian's Python (numpy, torch 1.13): /usr/bin/python3 tests/reference/prototype_reference.py
Writes small data files and a TorchScript module to tests/data/prototype/ and the expected values
to tests/reference/prototype_reference.json. Everything here is computed independently of rlab:
numpy reads the IDX/CIFAR bytes, PyTorch trains the same model on the same batch.
"""
import gzip
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "prototype")
os.makedirs(DATA, exist_ok=True)
ref = {}


def idx_images(arr):
    n, r, c = arr.shape
    return struct.pack(">IIII", 0x803, n, r, c) + arr.astype(np.uint8).tobytes()


def idx_labels(lab):
    return struct.pack(">II", 0x801, len(lab)) + np.asarray(lab, dtype=np.uint8).tobytes()


rng = np.random.default_rng(7)

# 1. A small IDX pair, raw and gzip.
imgs = rng.integers(0, 256, size=(20, 6, 5), dtype=np.uint8)
labs = rng.integers(0, 10, size=20)
labs[3] = 9
open(os.path.join(DATA, "small-images-idx3-ubyte"), "wb").write(idx_images(imgs))
open(os.path.join(DATA, "small-labels-idx1-ubyte"), "wb").write(idx_labels(labs))
with gzip.open(os.path.join(DATA, "small-images-idx3-ubyte.gz"), "wb") as f:
    f.write(idx_images(imgs))
with gzip.open(os.path.join(DATA, "small-labels-idx1-ubyte.gz"), "wb") as f:
    f.write(idx_labels(labs))
ref["small_idx"] = {
    "count": 20, "height": 6, "width": 5, "classes": int(labs.max()) + 1,
    "pixel_sum": int(imgs.astype(np.int64).sum()),
    "image7": imgs[7].reshape(-1).tolist(),
    "labels": labs.tolist(),
    "mean": float((imgs / 255.0).mean()),
    "std": float((imgs / 255.0).std()),
}

# 2. A small CIFAR-10 batch (5 records).
cif_lab = np.array([3, 0, 9, 1, 5], dtype=np.uint8)
cif_img = rng.integers(0, 256, size=(5, 3, 32, 32), dtype=np.uint8)
with open(os.path.join(DATA, "cifar_batch.bin"), "wb") as f:
    for k in range(5):
        f.write(bytes([cif_lab[k]]) + cif_img[k].tobytes())
ref["cifar"] = {
    "count": 5, "labels": cif_lab.tolist(),
    "pixel_sum": int(cif_img.astype(np.int64).sum()),
    "channel_mean": [float((cif_img[:, c] / 255.0).mean()) for c in range(3)],
    "channel_std": [float((cif_img[:, c] / 255.0).std()) for c in range(3)],
}

# 3. Debian's Fashion-MNIST, read with numpy.
FM = "/usr/share/datasets/fashion-mnist"
if os.path.exists(FM):
    def read_idx(path, header):
        raw = gzip.open(path).read()
        return np.frombuffer(raw[header:], dtype=np.uint8)
    tr = read_idx(os.path.join(FM, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    tl = read_idx(os.path.join(FM, "train-labels-idx1-ubyte.gz"), 8)
    te = read_idx(os.path.join(FM, "t10k-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    tel = read_idx(os.path.join(FM, "t10k-labels-idx1-ubyte.gz"), 8)
    ref["fashion_mnist"] = {
        "train_count": int(tr.shape[0]), "test_count": int(te.shape[0]),
        "train_label_counts": np.bincount(tl, minlength=10).tolist(),
        "test_label_counts": np.bincount(tel, minlength=10).tolist(),
        "train_image0_sum": int(tr[0].astype(np.int64).sum()),
        "test_image9999_sum": int(te[-1].astype(np.int64).sum()),
        "train_mean": float((tr / 255.0).mean()),
        "train_std": float((tr / 255.0).std()),
    }

# 4. Architectures: parameter counts and latent shapes of the built-in models, built in PyTorch.
def autoencoder(c, ch, h, w):
    enc, sizes, prev = [], [(h, w)], c
    for k in ch:
        enc.append(torch.nn.Conv2d(prev, k, 3, stride=2, padding=1))
        prev = k
        sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
    dec = []
    for i in reversed(range(len(ch))):
        out_c = c if i == 0 else ch[i - 1]
        op = (sizes[i][0] - (2 * sizes[i + 1][0] - 1), sizes[i][1] - (2 * sizes[i + 1][1] - 1))
        dec.append(torch.nn.ConvTranspose2d(ch[i], out_c, 3, stride=2, padding=1, output_padding=op))
    return torch.nn.ModuleList(enc + dec), enc


def ae_facts(c, ch, h, w):
    mods, enc = autoencoder(c, ch, h, w)
    x = torch.zeros(1, c, h, w)
    z = x
    for m in enc:
        z = torch.relu(m(z))
    y = z
    for m in mods[len(enc):]:
        y = m(y)
    assert tuple(y.shape) == (1, c, h, w)
    return {"parameters": sum(p.numel() for p in mods.parameters()),
            "latent_shape": list(z.shape[1:]),
            "compression_ratio": (c * h * w) / z[0].numel()}


def classifier_params(c, ch, hidden, classes, h, w):
    layers, prev = [], c
    for k in ch:
        layers.append(torch.nn.Conv2d(prev, k, 3, padding=1))
        prev, h, w = k, h // 2, w // 2
    layers += [torch.nn.Linear(prev * h * w, hidden), torch.nn.Linear(hidden, classes)]
    return sum(p.numel() for m in layers for p in m.parameters())


ref["autoencoder_1x28x28_16_32"] = ae_facts(1, [16, 32], 28, 28)
ref["autoencoder_3x32x32_16_32"] = ae_facts(3, [16, 32], 32, 32)
ref["autoencoder_1x13x11_8_8_8"] = ae_facts(1, [8, 8, 8], 13, 11)
ref["classifier_1x28x28_32_64_h128_c10"] = {"parameters": classifier_params(1, [32, 64], 128, 10, 28, 28)}
ref["classifier_1x16x16_8_h16_c4"] = {"parameters": classifier_params(1, [8], 16, 4, 16, 16)}

# 5. A TorchScript classifier trained for 3 full-batch steps, as rlab does it: inputs scaled to
#    [0, 1] and normalised with the training split's mean/std, cross-entropy, then the test set.
torch.manual_seed(11)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 8 * 8, 4)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


model = Tiny()
torch.jit.script(model).save(os.path.join(DATA, "tiny_classifier.pt"))
open(os.path.join(DATA, "not_a_module.pt"), "wb").write(b"this is not a TorchScript archive\n")
tx = rng.integers(0, 256, size=(32, 8, 8), dtype=np.uint8)
ty = rng.integers(0, 4, size=32)
vx = rng.integers(0, 256, size=(16, 8, 8), dtype=np.uint8)
vy = rng.integers(0, 4, size=16)
open(os.path.join(DATA, "tiny-train-images"), "wb").write(idx_images(tx))
open(os.path.join(DATA, "tiny-train-labels"), "wb").write(idx_labels(ty))
open(os.path.join(DATA, "tiny-test-images"), "wb").write(idx_images(vx))
open(os.path.join(DATA, "tiny-test-labels"), "wb").write(idx_labels(vy))
mean = (tx / 255.0).mean()
std = (tx / 255.0).std()


def prep(a):
    return ((torch.tensor(a, dtype=torch.float32).unsqueeze(1) / 255.0) - float(mean)) / float(std)


def train(optimizer_name):
    m = torch.jit.load(os.path.join(DATA, "tiny_classifier.pt"))
    params = list(m.named_parameters())
    if optimizer_name == "adam":
        opt = torch.optim.Adam([p for _, p in params], lr=0.01)
    elif optimizer_name == "sgd":
        opt = torch.optim.SGD([p for _, p in params], lr=0.05, momentum=0.9)
    else:  # layerwise-adam: lr / (1 + 0.1 * depth), depth = order of the layer
        layers = []
        for n, p in params:
            layer = n.rsplit(".", 1)[0]
            if not layers or layers[-1][0] != layer:
                layers.append((layer, []))
            layers[-1][1].append(p)
        opt = torch.optim.Adam([{"params": ps, "lr": 0.01 / (1 + 0.1 * d)}
                                for d, (_, ps) in enumerate(layers)], lr=0.01)
    x, y = prep(tx), torch.tensor(ty, dtype=torch.long)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(m(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = m(prep(vx))
        test_loss = torch.nn.functional.cross_entropy(out, torch.tensor(vy, dtype=torch.long)).item()
        acc = (out.argmax(1).numpy() == vy).mean()
    return {"losses": losses, "test_loss": test_loss, "test_accuracy": float(acc)}


ref["torchscript_adam"] = train("adam")
ref["torchscript_sgd"] = train("sgd")
ref["torchscript_layerwise_adam"] = train("layerwise-adam")

with open(os.path.join(HERE, "prototype_reference.json"), "w") as f:
    json.dump(ref, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.join(HERE, "prototype_reference.json"))
