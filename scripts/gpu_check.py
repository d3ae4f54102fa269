#!/usr/bin/env python3
"""The GPU check of rlab's training core (run through scripts/gpu-check.sh).

On a machine whose Python has PyTorch (CUDA), a C++ compiler, CMake (and ninja):
  1. builds librlab_train_core.so against that PyTorch's libtorch (lib/train/core alone);
  2. makes the rlab binary runnable: the one from the bundle of scripts/gpu-bundle.sh (the
     machine lacks rlab's other libraries), linking only the bundled libraries it lacks;
  3. runs the checks: `rlab doctor` naming the GPU; the lab's quick check on the device; the
     same with --amp (bf16); classifier throughput against the same model in PyTorch eager
     (same steps, both warm); time to the target Fashion-MNIST test accuracy; a run killed
     (SIGINT) at a step and resumed, against the uninterrupted run; a bayesopt study with a
     prototype objective; data-parallel training (Gloo on CPU; NCCL only with two GPUs);
  4. writes gpu-check.json, gpu-check.md and gpu-check.log under --out.

--device cpu runs the same logic on a CPU libtorch (with --quick: small step counts), which is
how it is tested without a GPU. Standard library only. Exit 0 when every check passed, 1 when
one failed, 4 when the environment lacks what the check needs.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FM_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# Library names that always come from the machine (the C library and its loader).
SYSTEM_LIBS = re.compile(r"^(libc|libm|libpthread|libdl|librt|libresolv|libutil)\.so|^ld-linux")


class EnvError(Exception):
    """The machine lacks something the check needs (exit 4)."""


def g5(v):
    """A number as rlab prints metrics (%.5g)."""
    return "%.5g" % v


class Checker:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.deadline = self.t0 + a.budget
        os.makedirs(a.out, exist_ok=True)
        self.log_f = open(os.path.join(a.out, "gpu-check.log"), "w", encoding="utf-8")
        self.work = a.work or tempfile.mkdtemp(prefix="rlab-gpu-check-")
        os.makedirs(self.work, exist_ok=True)
        self.checks = []
        self.targets = []
        self.env = {}
        self.build = {}
        self.rlab_env = dict(os.environ)
        self.rlab_env["NO_COLOR"] = "1"
        self.rlab = None
        self.cuda_count = 0
        self.bundle_root = ""

    # -- plumbing -------------------------------------------------------------------------
    def log(self, text):
        self.log_f.write(text.rstrip("\n") + "\n")
        self.log_f.flush()

    def say(self, text):
        print(text, flush=True)
        self.log(text)

    def left(self):
        return self.deadline - time.monotonic()

    def run(self, cmd, timeout=600, env=None, cwd=None, quiet=False):
        """Runs cmd (a list); returns (rc, stdout, stderr, seconds). rc 124: timed out."""
        timeout = max(1.0, min(timeout, self.left()))
        self.log("$ " + " ".join(cmd))
        t = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               env=env or self.rlab_env, cwd=cwd or self.work)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc = 124
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = (e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or ""))
            err += "\n(timed out after %.0f s)" % timeout
        except OSError as e:
            rc, out, err = 127, "", str(e)
        dt = time.monotonic() - t
        if not quiet:
            self.log(out[-6000:])
        self.log(err[-6000:])
        self.log("-> exit %d in %.1f s" % (rc, dt))
        return rc, out, err, dt

    def rlab_json(self, args, timeout=300):
        rc, out, err, dt = self.run([self.rlab] + args + ["--format", "json", "-q"], timeout)
        j = None
        try:
            j = json.loads(out) if out.strip() else None
        except ValueError:
            pass
        return rc, j, err, dt

    def record(self, cid, title, status, summary, **data):
        c = {"id": cid, "title": title, "status": status, "summary": summary}
        c.update(data)
        self.checks.append(c)
        self.say("[%s] %s: %s" % (status.upper(), title, summary))
        return c

    def target(self, name, met, detail):
        self.targets.append({"target": name, "met": met, "detail": detail})
        self.say("  target %s: %s (%s)" % (name, "met" if met else ("not met" if met is False
                                                                     else "n/a"), detail))

    def guarded(self, cid, title, fn, need_s=20):
        if self.rlab is None:
            return self.record(cid, title, "skip", "no runnable rlab (see the build step)")
        if self.left() < need_s:
            return self.record(cid, title, "skip", "time budget (--budget) spent")
        try:
            return fn()
        except Exception as e:  # a check's own bug must not lose the others' results
            return self.record(cid, title, "fail", "check raised %s: %s" % (type(e).__name__, e))

    # -- configs ----------------------------------------------------------------------------
    def classifier_yaml(self, name, batch, log_every=10, validation=0, test_limit=0, limit=0):
        a = self.a
        text = ("prototype:\n"
                "  data: {dataset: fashion-mnist, path: %s, validation: %s, test_limit: %d, "
                "limit: %d}\n"
                "  model: {type: classifier, channels: [32, 64], hidden: 128}\n"
                "  optimizer: {name: adam, lr: 0.001}\n"
                "  schedule: constant\n"
                "  batch_size: %d\n"
                "  log_every: %d\n"
                "  seed: 0\n"
                "  device: %s\n"
                % (json.dumps(a.data), validation, test_limit, limit, batch, log_every, a.device))
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def out_dir(self, name):
        d = os.path.join(self.work, "runs-" + name)
        os.makedirs(d, exist_ok=True)
        return d

    @staticmethod
    def run_dir_of(result):
        rec = result.get("record", "")
        return os.path.dirname(rec) if rec else ""

    def record_results(self, run_dir):
        """The core's full result as the run's record holds it (`rlab exp show DIR`): amp,
        steps_this_run and the rest that --format json leaves out."""
        rc, rec, _, _ = self.rlab_json(["exp", "show", run_dir], 60)
        return (rec or {}).get("results", {}) if rc == 0 else {}

    @staticmethod
    def metrics_lines(run_dir):
        lines = []
        try:
            with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        lines.append(json.loads(line))
        except (OSError, ValueError):
            pass
        return lines

    # -- 0. the machine -----------------------------------------------------------------------
    def environment(self):
        a = self.a
        env = {"device_mode": a.device, "host": platform.node(), "kernel": platform.release(),
               "python": a.python}
        try:
            with open("/etc/os-release", encoding="utf-8") as f:
                env["os"] = dict(line.rstrip("\n").split("=", 1) for line in f
                                 if "=" in line).get("PRETTY_NAME", "").strip('"')
        except OSError:
            pass
        env["glibc"] = " ".join(platform.libc_ver())
        if shutil.which("nvidia-smi"):
            rc, out, _, _ = self.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                      "--format=csv,noheader"], 60, env=os.environ)
            if rc == 0:
                env["gpus"] = [dict(zip(("name", "driver", "memory"),
                                        (x.strip() for x in line.split(","))))
                               for line in out.strip().splitlines() if line.strip()]
        probe = ("import json, sys, glob, os\n"
                 "import torch\n"
                 "d = {'torch': torch.__version__, 'cuda': torch.version.cuda,\n"
                 "     'cmake_prefix_path': torch.utils.cmake_prefix_path,\n"
                 "     'cuda_available': torch.cuda.is_available(),\n"
                 "     'cuda_devices': [torch.cuda.get_device_name(i)\n"
                 "                      for i in range(torch.cuda.device_count())]}\n"
                 "inc = []\n"
                 "for p in sys.path:\n"
                 "    inc += glob.glob(os.path.join(p, 'nvidia', '*', 'include', 'nccl.h'))\n"
                 "    inc += glob.glob(os.path.join(p, 'nvidia', 'nccl', 'include', 'nccl.h'))\n"
                 "d['nccl_include'] = os.path.dirname(inc[0]) if inc else ''\n"
                 "print(json.dumps(d))\n")
        rc, out, err, _ = self.run([a.python, "-c", probe], 120, env=os.environ)
        if rc != 0:
            raise EnvError("%s cannot import torch: %s" % (a.python, err.strip()[-300:]))
        env["python_torch"] = json.loads(out.strip().splitlines()[-1])
        for tool, args in (("cmake", ["--version"]), ("ninja", ["--version"]),
                           ("c++", ["--version"]), ("nvcc", ["--version"])):
            path = shutil.which(tool)
            if path:
                rc, out, _, _ = self.run([path] + args, 30, env=os.environ)
                lines = [x for x in out.strip().splitlines() if x.strip()]
                env[tool] = lines[-1] if tool == "nvcc" and lines else (lines[0] if lines else "")
        self.env = env
        self.say("machine: %s; %s; python torch %s (CUDA %s)%s" % (
            env.get("os", "?"), env.get("glibc", "?"), env["python_torch"]["torch"],
            env["python_torch"]["cuda"],
            "; GPU " + ", ".join(g["name"] + " driver " + g["driver"] for g in env["gpus"])
            if env.get("gpus") else ""))

    # -- 1. the training core -----------------------------------------------------------------
    def build_core(self):
        a = self.a
        if a.core:
            self.build = {"status": "given", "core": os.path.abspath(a.core)}
            self.say("training core: %s (given, not built)" % a.core)
            return os.path.abspath(a.core)
        if not shutil.which("cmake"):
            raise EnvError("cmake is not on PATH")
        prefix = a.torch or self.env["python_torch"]["cmake_prefix_path"]
        patterns = ("Torch", "share/cmake/Torch", "lib/cmake/Torch", "lib/*/cmake/Torch")
        if not any(glob.glob(os.path.join(prefix, p, "TorchConfig.cmake")) for p in patterns):
            if a.torch:
                raise EnvError("no TorchConfig.cmake under %s (--torch PREFIX)" % prefix)
            # Debian's python3-torch has no CMake package; libtorch-dev's is found by CMake.
            self.say("no TorchConfig.cmake under %s; CMake searches its default places" % prefix)
            prefix = ""
        bdir = os.path.join(self.work, "core-build")
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        defs = ["-DCMAKE_BUILD_TYPE=Release", "-DRLAB_WARNINGS_AS_ERRORS=OFF"] + (
            ["-DCMAKE_PREFIX_PATH=" + prefix] if prefix else [])
        inc = os.path.join(self.bundle_root, "include") if self.bundle_root else ""
        if inc and os.path.exists(os.path.join(inc, "nlohmann", "json.hpp")):
            defs.append("-DRLAB_NLOHMANN_INCLUDE_DIR=" + inc)
        nccl = self.env["python_torch"].get("nccl_include", "")
        if nccl:
            defs.append("-DRLAB_NCCL_INCLUDE_DIR=" + nccl)
        nvcc = shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc"
                                        if os.path.exists("/usr/local/cuda/bin/nvcc") else "")
        if nvcc:
            defs.append("-DCMAKE_CUDA_COMPILER=" + nvcc)
        build_log = open(os.path.join(a.out, "core-build.log"), "w", encoding="utf-8")
        attempts = []
        for extra in ([], ["-DRLAB_WITH_NCCL=OFF"], ["-DRLAB_WITH_NCCL=OFF",
                                                      "-DRLAB_WITH_GLOO=OFF"]):
            shutil.rmtree(bdir, ignore_errors=True)
            t = time.monotonic()
            cfg = ["cmake", "-S", os.path.join(ROOT, "lib", "train", "core"), "-B", bdir] + gen \
                + defs + extra
            rc, out, err, _ = self.run(cfg, 300, env=os.environ, quiet=True)
            build_log.write("$ %s\n%s\n%s\n-> %d\n" % (" ".join(cfg), out, err, rc))
            if rc == 0:
                bld = ["cmake", "--build", bdir, "-j", str(a.jobs)]
                rc, out2, err2, _ = self.run(bld, 600, env=os.environ, quiet=True)
                build_log.write("$ %s\n%s\n%s\n-> %d\n" % (" ".join(bld), out2, err2, rc))
                out += out2
                err += err2
            build_log.flush()
            text = out + err
            attempt = {"options": extra, "exit": rc, "seconds": round(time.monotonic() - t, 1),
                       "warnings": len(re.findall(r"lib/train/core/[^:\s]+:\d+:\d+: warning:", text)),
                       "status_lines": [x for x in text.splitlines() if x.startswith("-- rlab:")]}
            if rc != 0:
                attempt["errors"] = [x for x in text.splitlines() if "error" in x][:15]
            attempts.append(attempt)
            if rc == 0 or self.left() < 120:
                break
            # Retry without a data-parallel backend only when the failure is in its code.
            errors = " ".join(x for x in text.splitlines() if "error" in x.lower())
            if not re.search(r"nccl|gloo|c10d|distributed", errors, re.I):
                break
        build_log.close()
        core = os.path.join(bdir, "bin", "librlab_train_core.so")
        ok = attempts[-1]["exit"] == 0 and os.path.exists(core)
        self.build = {"status": "ok" if ok else "failed", "torch_prefix": prefix,
                      "attempts": attempts, "core": core if ok else ""}
        last = attempts[-1]
        self.record("build", "training core built against this machine's libtorch",
                    "pass" if ok and len(attempts) == 1 else ("fail" if not ok else "pass"),
                    ("built in %.0f s%s, %d warning(s) in lib/train/core; %s" % (
                        last["seconds"], "" if len(attempts) == 1 else
                        " (only with %s; the first configuration failed, see core-build.log)"
                        % " ".join(last["options"]), last["warnings"],
                        "; ".join(s[len("-- rlab: "):] for s in last["status_lines"])))
                    if ok else "failed; see core-build.log: " + " | ".join(
                        last.get("errors", [])[:3]), attempts=attempts)
        return core if ok else None

    # -- 2. a runnable rlab ---------------------------------------------------------------------
    def unpack_bundle(self):
        """The bundle's rlab, libraries and json.hpp come packed (rlab.tar.xz): unpacked into
        the scratch folder; returns that folder ('' without a bundle)."""
        a = self.a
        packed = os.path.join(a.bundle, "rlab.tar.xz") if a.bundle else ""
        if not packed or not os.path.exists(packed):
            return a.bundle
        dest = os.path.join(self.work, "bundle")
        if not os.path.isdir(dest):
            with tarfile.open(packed) as t:
                t.extractall(dest)
        return dest

    def prepare_rlab(self, core):
        a = self.a
        rlab = a.rlab
        if not rlab:
            for b in ([os.path.join(self.bundle_root, "bin", "rlab")] if self.bundle_root
                      else []) + [os.path.join(ROOT, "build", "release", "bin", "rlab"),
                                  os.path.join(ROOT, "build", "ci", "bin", "rlab")]:
                if os.access(b, os.X_OK):
                    rlab = b
                    break
        rlab = os.path.abspath(rlab) if rlab else ""
        if not rlab or not os.access(rlab, os.X_OK):
            raise EnvError("no rlab binary at %s (--rlab, or make a bundle: scripts/gpu-bundle.sh)"
                           % rlab)
        libdir = os.path.join(self.work, "lib")
        os.makedirs(libdir, exist_ok=True)
        bundled = os.path.join(self.bundle_root, "lib") if self.bundle_root else ""
        linked = []

        def link(name):
            src = os.path.join(bundled, name)
            if not bundled or not os.path.exists(src):
                return False
            dst = os.path.join(libdir, name)
            if not os.path.exists(dst):
                os.symlink(os.path.abspath(src), dst)
                linked.append(name)
            return True

        if a.libs == "all" and bundled:
            for p in sorted(glob.glob(os.path.join(bundled, "*.so*"))):
                name = os.path.basename(p)
                if not name.startswith(("libstdc++", "libgcc_s")):
                    link(name)
        env = dict(os.environ, LD_LIBRARY_PATH=libdir + (
            ":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
        for _ in range(10):
            rc, out, err, _ = self.run(["ldd", rlab], 30, env=env)
            text = out + err
            missing = re.findall(r"^\s*(\S+) => not found", text, re.M)
            versions = re.findall(r"version `([A-Z]+)_[0-9.]+' not found", text)
            if "GLIBC" in versions:
                raise EnvError("this machine's C library is older than the one rlab was built "
                               "against: %s" % " ".join(sorted(set(
                                   re.findall(r"`(GLIBC_[0-9.]+)'", text)))))
            new = False
            if any(v in ("GLIBCXX", "CXXABI", "GCC") for v in versions):
                for name in ("libstdc++.so.6", "libgcc_s.so.1"):
                    new = link(name) or new
            for name in missing:
                if not link(name):
                    raise EnvError("rlab needs %s: not on this machine, not in the bundle" % name)
                new = True
            if not missing and not versions:
                break
            if not new:
                raise EnvError("rlab cannot be made to load: " + text.strip()[-400:])
        self.rlab_env = dict(env, NO_COLOR="1", RLAB_TRAIN_CORE=core)
        self.rlab = rlab
        self.env["rlab_libraries_linked"] = linked
        self.say("rlab: %s; bundled libraries linked: %s" % (rlab, ", ".join(linked) or "none"))

    # -- 3. the checks ---------------------------------------------------------------------------
    def check_doctor(self):
        rc, j, err, _ = self.rlab_json(["doctor"], 120)
        if rc != 0 or not j or not j.get("libtorch"):
            return self.record("doctor", "rlab doctor", "fail",
                               "exit %d: %s" % (rc, (err or "").strip()[-300:]))
        lt = j["libtorch"]
        self.cuda_count = len(lt.get("cuda_devices") or [])
        data = {"libtorch": lt, "rlab": j.get("rlab")}
        if self.a.device == "cuda":
            ok = lt.get("cuda_built") and self.cuda_count > 0 and all(lt["cuda_devices"])
            return self.record("doctor", "rlab doctor names the GPU", "pass" if ok else "fail",
                               "libtorch %s, CUDA %s, devices: %s" % (
                                   lt.get("version"), "built in" if lt.get("cuda_built") else
                                   "not built in", ", ".join(lt.get("cuda_devices") or []) or
                                   "none"), **data)
        return self.record("doctor", "rlab doctor loads the training core", "pass",
                           "libtorch %s, device %s" % (lt.get("version"), lt.get("device")),
                           **data)

    def check_quick(self, amp):
        a = self.a
        cid, title = ("quick_amp", "the lab's quick check, --amp (bf16)") if amp else \
            ("quick", "the lab's quick check")
        args = ["prototype", os.path.join(ROOT, "configs", "examples", "prototype.yaml"),
                "--device", a.device, "--set", "prototype.data.path=" + a.data,
                "--out", self.out_dir(cid)] + (["--amp"] if amp else [])
        rc, j, err, dt = self.rlab_json(args, 300)
        if rc != 0 or not j:
            return self.record(cid, title, "fail", "exit %d: %s" % (rc, err.strip()[-300:]))
        m = j.get("metrics", {})
        exp = j.get("expectation") or {}
        j["amp"] = self.record_results(self.run_dir_of(j)).get("amp")
        ok = exp.get("met") is True and j.get("device", "").startswith(a.device) and \
            (j.get("amp") is True) == (amp and a.device == "cuda")
        return self.record(cid, title + " on " + j.get("device", "?"), "pass" if ok else "fail",
                           "%s (%s), test psnr %s, %s images/s, training %.2f s, amp %s" % (
                               exp.get("text", "?"), "met" if exp.get("met") else "NOT met",
                               g5(m.get("test_psnr", float("nan"))),
                               g5(j.get("images_per_s", 0)), j.get("wall_s", 0),
                               j.get("amp")),
                           device=j.get("device"), amp=j.get("amp"), metrics=m,
                           images_per_s=j.get("images_per_s"), wall_s=j.get("wall_s"),
                           process_s=round(dt, 2))

    def rlab_warm_rate(self, batch, n, amp):
        """images/s of rlab over steps n+1..2n of a 2n-step run (the second metrics line)."""
        cfg = self.classifier_yaml("tp-%d.yaml" % batch, batch, log_every=n, test_limit=1000)
        args = ["prototype", cfg, "--max-batches", str(2 * n), "--out", self.out_dir("tp")]
        rc, j, err, _ = self.rlab_json(args + (["--amp"] if amp else []), 300)
        if rc != 0 or not j:
            raise RuntimeError("rlab exit %d: %s" % (rc, err.strip()[-300:]))
        lines = [x for x in self.metrics_lines(self.run_dir_of(j)) if x.get("step") == 2 * n]
        if not lines:
            raise RuntimeError("no metrics line at step %d" % (2 * n))
        return lines[0]["images_per_s"], j

    def torch_warm_rate(self, batch, n, amp):
        a = self.a
        cmd = [a.python, os.path.join(ROOT, "scripts", "bench", "prototype_torch.py"), str(n),
               str(batch), "0", "32", "128", "--device", a.device, "--warmup", str(n),
               "--data", a.data] + (["--amp"] if amp else [])
        rc, out, err, _ = self.run(cmd, 300, env=os.environ)
        if rc != 0:
            raise RuntimeError("PyTorch exit %d: %s" % (rc, err.strip()[-300:]))
        return json.loads(out.strip().splitlines()[-1])

    def check_throughput(self):
        a = self.a
        n = a.tp_steps
        rows = []
        precisions = [False, True] if a.device == "cuda" else [False]
        for batch in a.batches:
            for amp in precisions:
                r_ips, r = self.rlab_warm_rate(batch, n, amp)
                p = self.torch_warm_rate(batch, n, amp)
                rows.append({"batch": batch, "precision": "bf16" if amp else "fp32",
                             "rlab_images_per_s": r_ips,
                             "pytorch_images_per_s": p["images_per_s"],
                             "ratio": r_ips / p["images_per_s"], "steps_timed": n,
                             "warmup_steps": n, "rlab_device": r.get("device"),
                             "pytorch_device": p.get("device_name"),
                             "pytorch_version": p.get("torch_version")})
                self.say("  batch %d %s: rlab %.0f images/s, PyTorch %.0f, ratio %.2f" % (
                    batch, rows[-1]["precision"], r_ips, p["images_per_s"], rows[-1]["ratio"]))
        fp32 = [x for x in rows if x["precision"] == "fp32"]
        for x in fp32:
            self.target("throughput >= 1.0x PyTorch eager, batch %d" % x["batch"],
                        x["ratio"] >= 1.0 if a.device == "cuda" else None,
                        "ratio %.2f" % x["ratio"])
        if a.device == "cuda":
            for batch in a.batches:
                f = [x for x in rows if x["batch"] == batch and x["precision"] == "fp32"][0]
                b = [x for x in rows if x["batch"] == batch and x["precision"] == "bf16"][0]
                self.target("bf16 faster than fp32 (rlab), batch %d" % batch,
                            b["rlab_images_per_s"] > f["rlab_images_per_s"],
                            "%.0f vs %.0f images/s" % (b["rlab_images_per_s"],
                                                       f["rlab_images_per_s"]))
        return self.record("throughput", "classifier [32, 64] throughput vs PyTorch eager",
                           "pass", "; ".join("batch %d %s %.2fx" % (x["batch"], x["precision"],
                                                                      x["ratio"]) for x in rows),
                           rows=rows)

    def check_accuracy(self):
        """Epoch by epoch (a fresh run, then --resume with --epochs k+1) until the test accuracy
        reaches the target; the training time is the sum of the runs' wall_s (each run's time
        in the core: model and data upload included, the final evaluation excluded)."""
        a = self.a
        cfg = self.classifier_yaml("acc.yaml", a.acc_batch, log_every=1000000, limit=a.acc_limit,
                                   test_limit=a.acc_test_limit)
        out = self.out_dir("acc")
        epochs = []
        total = 0.0
        run_dir = ""
        reached = None
        for k in range(1, a.acc_max_epochs + 1):
            if self.left() < 30:
                break
            args = ["prototype", cfg, "--epochs", str(k), "--out", out]
            if run_dir:
                args += ["--resume", run_dir]
            rc, j, err, _ = self.rlab_json(args, 300)
            if rc != 0 or not j:
                return self.record("accuracy", "time to %.0f %% test accuracy" % (
                    100 * a.acc_target), "fail", "epoch %d: exit %d: %s" % (
                        k, rc, err.strip()[-300:]), epochs=epochs)
            run_dir = run_dir or self.run_dir_of(j)
            total += j.get("wall_s", 0.0)
            acc = j["metrics"]["test_accuracy"]
            epochs.append({"epochs": k, "test_accuracy": acc, "training_s": round(total, 3),
                           "images_per_s": j.get("images_per_s")})
            self.say("  epoch %d: test accuracy %s, training %.2f s" % (k, g5(acc), total))
            if acc >= a.acc_target:
                reached = epochs[-1]
                break
        data = {"epochs": epochs, "target": a.acc_target, "batch": a.acc_batch}
        if a.device == "cuda" and reached:
            # bf16: the same number of epochs in one run, against fp32's accuracy there.
            rc, j, err, _ = self.rlab_json(["prototype", cfg, "--epochs", str(reached["epochs"]),
                                            "--amp", "--out", out], 300)
            if rc == 0 and j:
                data["bf16"] = {"epochs": reached["epochs"],
                                "test_accuracy": j["metrics"]["test_accuracy"],
                                "training_s": j.get("wall_s"),
                                "images_per_s": j.get("images_per_s")}
                gap = 100 * (reached["test_accuracy"] - j["metrics"]["test_accuracy"])
                self.target("bf16 accuracy within 0.5 point of fp32", abs(gap) <= 0.5,
                            "fp32 %s, bf16 %s after %d epochs" % (
                                g5(reached["test_accuracy"]), g5(j["metrics"]["test_accuracy"]),
                                reached["epochs"]))
        if a.device == "cuda":
            self.target("%.0f %% test accuracy in under 30 s of training" % (100 * a.acc_target),
                        bool(reached) and reached["training_s"] < 30,
                        "%.1f s" % reached["training_s"] if reached else "not reached")
        title = "time to %.0f %% Fashion-MNIST test accuracy" % (100 * a.acc_target)
        if reached:
            return self.record("accuracy", title, "pass", "%s after %d epoch(s), %.2f s of "
                               "training (batch %d)" % (g5(reached["test_accuracy"]),
                                                       reached["epochs"],
                                                       reached["training_s"], a.acc_batch),
                               **data)
        return self.record("accuracy", title, "fail", "not reached in %d epoch(s) (best %s)" % (
            len(epochs), g5(max([e["test_accuracy"] for e in epochs] or [0]))), **data)

    def check_resume(self):
        a = self.a
        steps, kill_at = a.resume_steps, a.resume_kill_at
        cfg = self.classifier_yaml("resume.yaml", a.resume_batch, log_every=a.resume_log_every,
                                   limit=a.resume_limit, test_limit=a.resume_test_limit)
        title = "kill at a step (SIGINT) and --resume"
        rc, full, err, _ = self.rlab_json(["prototype", cfg, "--max-batches", str(steps),
                                           "--out", self.out_dir("full")], 300)
        if rc != 0 or not full:
            return self.record("resume", title, "fail", "uninterrupted run: exit %d: %s" % (
                rc, err.strip()[-300:]))
        out = self.out_dir("killed")
        cmd = [self.rlab, "prototype", cfg, "--max-batches", str(steps), "--out", out,
               "--format", "json", "-q"]
        self.log("$ " + " ".join(cmd) + "   (SIGINT once metrics.jsonl reaches step %d)" % kill_at)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=self.rlab_env, cwd=self.work)
        sent_at = None
        end = time.monotonic() + min(300, self.left())
        while p.poll() is None and time.monotonic() < end:
            for mf in glob.glob(os.path.join(out, "*", "metrics.jsonl")):
                lines = self.metrics_lines(os.path.dirname(mf))
                if lines and lines[-1].get("step", 0) >= kill_at:
                    sent_at = lines[-1]["step"]
                    p.send_signal(signal.SIGINT)
                    break
            if sent_at is not None:
                break
            time.sleep(0.01)
        try:
            kout, kerr = p.communicate(timeout=max(10, min(120, self.left())))
        except subprocess.TimeoutExpired:
            p.kill()
            kout, kerr = p.communicate()
        self.log(kout[-3000:] + kerr[-3000:] + "\n-> exit %d" % p.returncode)
        dirs = glob.glob(os.path.join(out, "*", "checkpoint.pt"))
        if sent_at is None or p.returncode != 130 or not dirs:
            return self.record("resume", title, "fail",
                               "the run was not interrupted as asked (signal sent at step %s, "
                               "exit %d%s); more steps (--resume-steps) give the signal time"
                               % (sent_at, p.returncode, "" if dirs else ", no checkpoint"))
        run_dir = os.path.dirname(dirs[0])
        rc, res, err, _ = self.rlab_json(["prototype", cfg, "--resume", run_dir,
                                          "--max-batches", str(steps)], 300)
        if rc != 0 or not res:
            return self.record("resume", title, "fail", "--resume: exit %d: %s" % (
                rc, err.strip()[-300:]))
        said = re.search(r"interrupted at step (\d+)", kerr)
        stopped = int(said.group(1)) if said else \
            steps - self.record_results(run_dir).get("steps_this_run", steps)
        keys = ["train_loss", "test_loss", "test_accuracy"]
        pairs = {k: (g5(full["metrics"][k]), g5(res["metrics"][k])) for k in keys}
        same = all(x == y for x, y in pairs.values())
        exact = full.get("weights_digest") == res.get("weights_digest")
        extra = {}
        if not same:
            # Tell a resume fault from non-deterministic kernels: the uninterrupted run again.
            rc, again, _, _ = self.rlab_json(["prototype", cfg, "--max-batches", str(steps),
                                              "--out", self.out_dir("full-again")], 300)
            if rc == 0 and again:
                extra["uninterrupted_twice_equal"] = all(
                    g5(full["metrics"][k]) == g5(again["metrics"][k]) for k in keys)
        return self.record("resume", title + " on " + res.get("device", "?"),
                           "pass" if same else "fail",
                           "stopped at step %d of %d (exit 130), resumed: %s; weights %s" % (
                               stopped, steps, ", ".join("%s %s %s %s" % (
                                   k, v[0], "==" if v[0] == v[1] else "!=", v[1])
                                   for k, v in pairs.items()),
                               "bit-identical" if exact else "differ in the last bits") + (
                                   "" if same or "uninterrupted_twice_equal" not in extra else
                                   "; two uninterrupted runs %s" % (
                                       "agree, so resuming changed the result"
                                       if extra["uninterrupted_twice_equal"] else
                                       "differ too (non-deterministic kernels)")),
                           stopped_at=stopped, steps=steps, metrics_full=full["metrics"],
                           metrics_resumed=res["metrics"], weights_identical=exact, **extra)

    def check_bayesopt(self):
        a = self.a
        d = os.path.join(self.work, "bo")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "proto.yaml"), "w", encoding="utf-8") as f:
            f.write("prototype:\n"
                    "  data: {dataset: fashion-mnist, path: %s, validation: 0.1, limit: %d, "
                    "test_limit: 1000}\n"
                    "  model: {type: classifier, channels: [16, 32], hidden: 64}\n"
                    "  optimizer: {name: adam, lr: 0.001}\n"
                    "  budget: {max_batches: %d}\n"
                    "  batch_size: %d\n"
                    "  log_every: 1000000\n"
                    "  device: %s\n" % (json.dumps(a.data), a.bo_limit, a.bo_steps, a.bo_batch,
                                        a.device))
        with open(os.path.join(d, "search.yaml"), "w", encoding="utf-8") as f:
            f.write("bayesopt:\n"
                    "  space:\n"
                    "    optimizer.lr: {type: real, low: 1.0e-4, high: 1.0e-2, "
                    "prior: log-uniform}\n"
                    "    model.hidden: [\"32\", \"128\"]\n"
                    "  objective:\n"
                    "    type: prototype\n"
                    "    config: proto.yaml\n"
                    "    metric: val_accuracy\n"
                    "    runs: runs\n"
                    "  n_calls: %d\n"
                    "  n_initial_points: 2\n"
                    "  random_state: 0\n" % a.bo_calls)
        study = os.path.join(d, "study.jsonl")
        rc, j, err, dt = self.rlab_json(["bayesopt", os.path.join(d, "search.yaml"), "--study",
                                         study], 400)
        title = "bayesopt study with a prototype objective"
        if rc != 0 or not j:
            return self.record("bayesopt", title, "fail", "exit %d: %s" % (rc, err.strip()[-300:]))
        trials = []
        with open(study, encoding="utf-8") as f:
            for line in f:
                t = json.loads(line)
                if "status" in t:
                    trials.append(t)
        devices = set()
        for t in trials:
            if t.get("run"):
                rc2, rec, _, _ = self.rlab_json(["exp", "show", t["run"]], 60)
                if rec:
                    devices.add(rec.get("results", {}).get("device", "?"))
        ok = len(trials) == a.bo_calls and all(t.get("status") == "ok" for t in trials) and \
            all(x.startswith(a.device) for x in devices) and devices
        best = max((t.get("value", float("-inf")) for t in trials), default=float("nan"))
        return self.record("bayesopt", title + " on " + ", ".join(sorted(devices) or ["?"]),
                           "pass" if ok else "fail",
                           "%d trial(s), %s ok, best val_accuracy %s, %.1f s" % (
                               len(trials), sum(t.get("status") == "ok" for t in trials),
                               g5(best), dt),
                           trials=[{k: t.get(k) for k in ("params", "value", "status")}
                                   for t in trials], devices=sorted(devices))

    def check_parallel(self):
        a = self.a
        d = os.path.join(self.work, "dp")
        os.makedirs(d, exist_ok=True)
        cfg = os.path.join(d, "dp.yaml")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write("prototype:\n"
                    "  data: {dataset: synthetic, samples: 256, size: 8, classes: 4}\n"
                    "  model: {type: classifier, channels: [4], hidden: 8}\n"
                    "  budget: {max_batches: 8}\n"
                    "  batch_size: 32\n"
                    "  threads: 1\n")
        results = []
        rc, j, err, _ = self.rlab_json(["prototype", cfg, "--nproc", "2", "--device", "cpu",
                                        "--out", os.path.join(d, "runs")], 180)
        if rc == 0 and j and j.get("distributed", {}).get("backend") == "gloo":
            results.append(("gloo", "pass", "2 ranks on cpu (Gloo): completed"))
        elif "without Gloo" in err:
            results.append(("gloo", "skip", "the core was built without Gloo headers"))
        else:
            results.append(("gloo", "fail", "2 ranks on cpu: exit %d: %s" % (
                rc, err.strip()[-300:])))
        if a.device == "cuda" and self.cuda_count >= 2:
            rc, j, err, _ = self.rlab_json(["prototype", cfg, "--nproc", "2", "--device", "cuda",
                                            "--out", os.path.join(d, "runs")], 180)
            ok = rc == 0 and j and j.get("distributed", {}).get("backend") == "nccl"
            results.append(("nccl", "pass" if ok else "fail", "2 ranks on 2 GPUs (NCCL): " + (
                "completed" if ok else "exit %d: %s" % (rc, err.strip()[-300:]))))
        else:
            results.append(("nccl", "skip", "NCCL data parallelism needs two GPUs; this "
                                            "machine has %d" % self.cuda_count))
        status = "fail" if any(r[1] == "fail" for r in results) else (
            "pass" if any(r[1] == "pass" for r in results) else "skip")
        return self.record("parallel", "data-parallel training", status,
                           "; ".join("%s: %s" % (r[0], r[2]) for r in results),
                           parts=[{"backend": r[0], "status": r[1], "detail": r[2]}
                                  for r in results])

    # -- 4. results ----------------------------------------------------------------------------
    def write(self):
        a = self.a
        failed = [c["id"] for c in self.checks if c["status"] == "fail"]
        res = {"tool": "scripts/gpu-check.sh", "started": self.started,
               "seconds": round(time.monotonic() - self.t0, 1), "device": a.device,
               "quick": a.quick, "environment": self.env, "build": self.build,
               "checks": self.checks, "targets": self.targets, "passed": not failed,
               "failed": failed, "work": self.work}
        with open(os.path.join(a.out, "gpu-check.json"), "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        e = self.env
        md = ["# rlab GPU check (%s%s)" % (a.device, ", quick" if a.quick else ""), "",
              "Started %s, %.0f s. %s." % (self.started, res["seconds"],
                                         "Every check passed" if not failed else
                                         "FAILED: " + ", ".join(failed)), "",
              "| machine | |", "|---|---|"]
        pt = e.get("python_torch", {})
        for k, v in (("OS", e.get("os")), ("C library", e.get("glibc")),
                     ("GPU", ", ".join("%s (driver %s, %s)" % (g["name"], g["driver"],
                                                              g["memory"])
                                       for g in e.get("gpus", [])) or "none"),
                     ("PyTorch (Python)", "%s, CUDA %s" % (pt.get("torch"), pt.get("cuda"))),
                     ("compiler", e.get("c++")), ("CMake", e.get("cmake")),
                     ("nvcc", e.get("nvcc", "-")),
                     ("rlab libraries from the bundle", ", ".join(
                         e.get("rlab_libraries_linked", [])) or "none")):
            md.append("| %s | %s |" % (k, v))
        md += ["", "| check | result | detail |", "|---|---|---|"]
        for c in self.checks:
            md.append("| %s | %s | %s |" % (c["title"], c["status"], c["summary"]))
        tp = [c for c in self.checks if c["id"] == "throughput" and c.get("rows")]
        if tp:
            md += ["", "Throughput (images/s over %d warm steps after %d warm-up steps, the "
                   "same model, data path and optimiser):" % (a.tp_steps, a.tp_steps), "",
                   "| batch | precision | rlab | PyTorch eager | ratio |", "|---:|---|---:|---:|---:|"]
            for r in tp[0]["rows"]:
                md.append("| %d | %s | %.0f | %.0f | %.2f |" % (
                    r["batch"], r["precision"], r["rlab_images_per_s"],
                    r["pytorch_images_per_s"], r["ratio"]))
        if self.targets:
            md += ["", "| target | met | measured |", "|---|---|---|"]
            for t in self.targets:
                md.append("| %s | %s | %s |" % (t["target"], {True: "yes", False: "NO",
                                                             None: "n/a (not a GPU run)"}[t["met"]],
                                                t["detail"]))
        with open(os.path.join(a.out, "gpu-check.md"), "w", encoding="utf-8") as f:
            f.write("\n".join(md) + "\n")
        self.say("results: %s/gpu-check.json, gpu-check.md, gpu-check.log" % a.out)
        return 0 if not failed else 1

    def main(self):
        self.started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        code = 0
        try:
            self.bundle_root = self.unpack_bundle()
            self.environment()
            core = self.build_core()
            if core:
                self.prepare_rlab(core)
        except EnvError as e:
            self.say("gpu-check: environment: %s" % e)
            self.env["error"] = str(e)
            code = 4
        self.guarded("doctor", "rlab doctor", self.check_doctor, 10)
        self.guarded("quick", "the lab's quick check", lambda: self.check_quick(False))
        self.guarded("quick_amp", "the lab's quick check, --amp", lambda: self.check_quick(True))
        self.guarded("throughput", "throughput vs PyTorch eager", self.check_throughput, 60)
        self.guarded("accuracy", "time to test accuracy", self.check_accuracy, 40)
        self.guarded("resume", "kill and --resume", self.check_resume, 40)
        self.guarded("bayesopt", "bayesopt study", self.check_bayesopt, 30)
        self.guarded("parallel", "data-parallel training", self.check_parallel, 20)
        rc = self.write()
        return code or rc


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="scripts/gpu-check.sh",
        description="Build rlab's training core against a Python's PyTorch and run the GPU "
                    "checks; results in OUT/gpu-check.{json,md,log}.")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--python", default="python3", help="the Python whose torch is used")
    ap.add_argument("--torch", default="", help="libtorch's CMake prefix (default: the "
                    "Python's torch.utils.cmake_prefix_path)")
    ap.add_argument("--out", default=os.environ.get("OUT") or "gpu-check-results")
    ap.add_argument("--bundle", default="", help="folder made by scripts/gpu-bundle.sh "
                    "(default .gpu-bundle when present; 'none': no bundle)")
    ap.add_argument("--rlab", default="", help="the rlab binary (default: the bundle's, else "
                    "build/release or build/ci)")
    ap.add_argument("--core", default="", help="a built librlab_train_core.so: skip the build")
    ap.add_argument("--data", default="", help="Fashion-MNIST folder (default: the bundle's, "
                    "else /usr/share/datasets/fashion-mnist)")
    ap.add_argument("--libs", choices=["missing", "all"], default="missing",
                    help="bundled libraries to link: those the machine lacks, or all but "
                    "libstdc++/libgcc_s")
    ap.add_argument("--quick", action="store_true", help="small step counts (logic test on CPU)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--budget", type=float, default=540, help="seconds for everything; "
                    "checks that would start later are skipped")
    ap.add_argument("--work", default="", help="scratch folder (default: a new temporary one)")
    a = ap.parse_args(argv)
    if not a.bundle and os.path.isdir(os.path.join(ROOT, ".gpu-bundle")):
        a.bundle = os.path.join(ROOT, ".gpu-bundle")
    a.bundle = os.path.abspath(a.bundle) if a.bundle and a.bundle != "none" else ""
    if not a.data:
        bd = os.path.join(a.bundle, "data", "fashion-mnist") if a.bundle else ""
        a.data = bd if bd and os.path.isdir(bd) else "/usr/share/datasets/fashion-mnist"
    a.data = os.path.abspath(a.data)
    a.out = os.path.abspath(a.out)
    if a.work:
        a.work = os.path.abspath(a.work)
    # Step counts: the GPU run, or a quick logic test on a CPU.
    q = a.quick
    a.batches = [32, 64] if q else [256, 1024]
    a.tp_steps = 3 if q else 200
    a.acc_batch = 64 if q else 256
    a.acc_limit = 2048 if q else 0
    a.acc_test_limit = 500 if q else 0
    a.acc_target = 0.6 if q else 0.9
    a.acc_max_epochs = 3 if q else 15
    a.resume_batch = 32 if q else 256
    a.resume_steps = 60 if q else 600
    a.resume_kill_at = 20 if q else 200
    a.resume_log_every = 5 if q else 20
    a.resume_limit = 1024 if q else 0
    a.resume_test_limit = 200 if q else 2000
    a.bo_calls = 2 if q else 4
    a.bo_steps = 5 if q else 150
    a.bo_batch = 32 if q else 256
    a.bo_limit = 512 if q else 0
    return a


def main():
    a = parse(sys.argv[1:])
    missing = [f for f in FM_FILES if not os.path.exists(os.path.join(a.data, f))]
    if missing:
        print("gpu-check: Fashion-MNIST files missing in %s: %s" % (a.data, ", ".join(missing)),
              file=sys.stderr)
        return 4
    return Checker(a).main()


if __name__ == "__main__":
    sys.exit(main())
