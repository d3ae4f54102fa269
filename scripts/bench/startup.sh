#!/usr/bin/env bash
# Start-up time of commands that do not train, against /bin/true and against a binary that is
# linked to libtorch (what every command would cost if rlab linked it directly).
# Usage: scripts/bench/startup.sh [RUNS]   (default 20; median and peak RSS per command)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}
if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi
cmake --preset release >/dev/null
cmake --build --preset release --target rlab rlab_train_core rlab_bench_torch_linked >/dev/null
B=build/release/bin
cc -O2 -o build/release/spawn_rss scripts/bench/spawn_rss.c
/usr/bin/python3 - "$RUNS" "$B" <<'PY'
import os, statistics, subprocess, sys, time
runs, b = int(sys.argv[1]), sys.argv[2]
def peak_rss_mib(argv):
    out = subprocess.run(["build/release/spawn_rss", *argv], capture_output=True, text=True)
    return int(out.stdout) / 1024
cases = [
    ("/bin/true", ["/bin/true"]),
    ("rlab prioritize --help", [f"{b}/rlab", "prioritize", "--help"]),
    ("rlab prioritize example", [f"{b}/rlab", "prioritize", "configs/examples/prioritize.yaml"]),
    ("rlab doctor (loads libtorch)", [f"{b}/rlab", "doctor"]),
    ("binary linked to libtorch", [f"{b}/rlab_bench_torch_linked"]),
]
rows = []
for name, argv in cases:
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, _ = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{name}: exit {os.waitstatus_to_exitcode(status)}")
        if i > 0:  # first run warms the page cache
            times.append(dt * 1000)
    rows.append((name, statistics.median(times), min(times), peak_rss_mib(argv)))
base = rows[0][1]
torch = rows[-1][1]
print(f"runs per command: {runs} (median wall time, peak RSS)")
print(f"{'command':32} {'median ms':>10} {'min ms':>8} {'RSS MiB':>8} {'x /bin/true':>11} {'x torch-linked':>14}")
for name, med, mn, r in rows:
    print(f"{name:32} {med:10.1f} {mn:8.1f} {r:8.1f} {med/base:11.1f} {med/torch:14.3f}")
ok = all(med < 30 for name, med, *_ in rows if name.startswith("rlab prioritize"))
print(f"target: rlab prioritize < 30 ms median: {'met' if ok else 'NOT met'}")
PY
