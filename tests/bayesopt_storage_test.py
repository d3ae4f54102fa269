#!/usr/bin/env python3
"""Shared study storages of `rlab bayesopt` against real databases.

    bayesopt_storage_test.py RLAB sqlite     # SQLite file, 4 local worker processes
    bayesopt_storage_test.py RLAB postgres   # starts PostgreSQL on loopback (scripts/local_postgres.sh)

Each backend: 4 workers share one study of N trials of a command objective that logs every
evaluation to a file; one worker is killed with SIGKILL while its objective runs. Checked from
the database itself (sqlite3 module, psql) and the log: no trial evaluated twice, none lost
(every evaluation is a finished trial or the killed one, whose point is evaluated again),
exactly N finished trials, no trial left running. Then the faults: a storage from a newer
schema, a study from another space, ask/tell, and (PostgreSQL) wrong credentials with the
password never printed. Exit 0 when everything holds, 1 with the failures listed otherwise.
"""
import collections
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N = 12
WORKERS = 4
PASSWORD = "Pw-s3cret-9f2k"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def rlab(rlab_bin, *args, timeout=120):
    r = subprocess.run([rlab_bin, *args], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, NO_COLOR="1"))
    return r.returncode, r.stdout, r.stderr


def write_config(d, log):
    # The objective logs its start (trial, point, worker pid) and end; its value is x.
    script = (f'echo "start {{trial}} {{x}} {{y}} $PPID" >> {log}; sleep 0.3; '
              f'echo "done {{trial}}" >> {log}; echo "value {{x}}"')
    cfg = os.path.join(d, "study.yaml")
    with open(cfg, "w") as f:
        f.write("bayesopt:\n"
                "  space:\n"
                "    x: {type: real, low: 0, high: 1}\n"
                "    y: {type: real, low: 0, high: 1}\n"
                "  objective:\n"
                "    type: command\n"
                f"    argv: [sh, -c, '{script}']\n"
                f"  n_calls: {N}\n"
                "  n_initial_points: 4\n"
                "  n_candidates: 64\n")
    return cfg


def run_workers(rlab_bin, url, d, rows_of, label):
    """4 workers, one killed mid-trial; rows_of() -> list of dicts from the database."""
    log = os.path.join(d, "evals.log")
    cfg = write_config(d, log)
    args = [rlab_bin, "bayesopt", cfg, "--storage", url, "--heartbeat-interval", "0.2",
            "--heartbeat-timeout", "3", "--format", "json"]
    procs = []
    for i in range(WORKERS):
        procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=dict(os.environ, NO_COLOR="1")))
    victim = procs[0]
    # Kill the first worker while one of its objectives runs (its pid is the objective's $PPID).
    deadline = time.time() + 60
    killed = False
    while time.time() < deadline and not killed:
        if os.path.exists(log):
            with open(log) as f:
                for line in f:
                    p = line.split()
                    if p[0] == "start" and int(p[4]) == victim.pid:
                        victim.send_signal(signal.SIGKILL)
                        killed = True
                        break
        time.sleep(0.02)
    check(killed, f"{label}: the first worker started an objective")
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outs.append((p.returncode, out, err))
    check(outs[0][0] == -signal.SIGKILL,
          f"{label}: worker 0 was killed ({outs[0][0]}; stderr: {outs[0][2][-400:]!r})")
    for i, (code, out, err) in enumerate(outs[1:], 1):
        if check(code == 0, f"{label}: worker {i} exit {code}: {err}"):
            rep = json.loads(out)
            check(rep["n_trials"] == N, f"{label}: worker {i} reports {rep['n_trials']} trials")
            check(PASSWORD not in out + err, f"{label}: worker {i} printed the password")
    time.sleep(0.6)  # the killed worker's orphaned objective finishes its log line
    rows = rows_of()
    by_id = {r["id"]: r for r in rows}
    finished = [r for r in rows if r["state"] in ("ok", "failed") and not r["lost"]]
    lost = [r for r in rows if r["lost"]]
    check(len(finished) == N, f"{label}: {len(finished)} finished trials, expected {N}")
    check(all(r["state"] == "ok" for r in finished), f"{label}: a trial failed")
    check(not any(r["state"] == "running" for r in rows), f"{label}: a trial is left running")
    check(len(lost) == 1, f"{label}: {len(lost)} lost trials, expected 1 (the killed worker's)")
    for r in finished:
        check(abs(r["value"] - r["params"]["x"]) < 1e-12,
              f"{label}: trial {r['id']} value {r['value']} != its x {r['params']['x']}")
    points = [(r["params"]["x"], r["params"]["y"]) for r in finished]
    check(len(set(points)) == len(points), f"{label}: a point was evaluated by two trials")
    for r in lost:
        retry = [t for t in rows if t["retry_of"] == r["id"]]
        check(len(retry) == 1 and retry[0]["state"] == "ok" and retry[0]["params"] == r["params"],
              f"{label}: the lost trial {r['id']} was not proposed again and finished")
        check("lost" in (r["error"] or ""), f"{label}: lost trial error: {r['error']}")
    starts = collections.Counter()
    start_point = {}
    with open(log) as f:
        for line in f:
            p = line.split()
            if p[0] == "start":
                starts[int(p[1])] += 1
                start_point[int(p[1])] = (float(p[2]), float(p[3]))
    twice = [t for t, c in starts.items() if c > 1]
    check(not twice, f"{label}: trials evaluated twice: {twice}")
    for t in starts:  # every evaluation is in the study: finished, or the killed one
        r = by_id.get(t)
        check(r is not None and (r["state"] == "ok" or r["lost"]),
              f"{label}: evaluation of trial {t} is not in the study")
        if r is not None:
            check(start_point[t] == (r["params"]["x"], r["params"]["y"]),
                  f"{label}: trial {t} evaluated at {start_point[t]}, stored {r['params']}")
    for r in finished:
        check(r["id"] in starts, f"{label}: finished trial {r['id']} was never evaluated")
    print(f"{label}: {len(rows)} trials ({len(finished)} finished, {len(lost)} lost), "
          f"{sum(starts.values())} evaluations", flush=True)


def sqlite_rows(path):
    def rows():
        con = sqlite3.connect(path)
        out = []
        for r in con.execute("SELECT id, state, lost, retry_of, params, value, error "
                             "FROM rlab_trials ORDER BY id"):
            out.append({"id": r[0], "state": r[1], "lost": bool(r[2]), "retry_of": r[3],
                        "params": json.loads(r[4]), "value": r[5], "error": r[6]})
        con.close()
        return out
    return rows


def psql(port, db, sql, password=PASSWORD):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "rlab", "-d", db,
                        "-AtqX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=password),
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"psql {sql}: {r.stderr}")
    return r.stdout


def pg_rows(port, db):
    def rows():
        text = psql(port, db, "SELECT json_build_object('id', id, 'state', state, 'lost', lost, "
                              "'retry_of', retry_of, 'params', params, 'value', value, 'error', "
                              "error) FROM rlab_trials ORDER BY id")
        out = []
        for line in text.splitlines():
            r = json.loads(line)
            r["params"] = json.loads(r["params"])
            r["lost"] = bool(r["lost"])
            out.append(r)
        return out
    return rows


def common_faults(rlab_bin, url, shown, d, set_version, label):
    """Newer schema, another space, ask/tell on a fresh storage `url`."""
    space = ["--builtin", "branin", "--n-initial-points", "2"]
    code, out, err = rlab(rlab_bin, "bayesopt", "ask", *space, "--storage", url, "-n", "2",
                          "--format", "json")
    if check(code == 0, f"{label}: ask: {err}"):
        asks = json.loads(out)
        check([a["ask"] for a in asks] == [0, 1], f"{label}: ask ids {out}")
        code, out, err = rlab(rlab_bin, "bayesopt", "tell", "--storage", url, "--ask", "0",
                              "--value", "1.5")
        check(code == 0 and out == "trial 0 recorded (1.5)\n", f"{label}: tell: {code} {out}{err}")
        code, out, err = rlab(rlab_bin, "bayesopt", "tell", "--storage", url, "--ask", "0",
                              "--value", "2")
        check(code == 3 and err == f"rlab: error: {shown}: ask 0 was already told\n",
              f"{label}: tell twice: {code} {err}")
        code, out, err = rlab(rlab_bin, "bayesopt", "ask", "--storage", url, "--format", "json")
        check(code == 0 and json.loads(out)[0]["ask"] == 2, f"{label}: ask without config: {err}")
    code, out, err = rlab(rlab_bin, "bayesopt", "--builtin", "hartmann6", "--n-calls", "3",
                          "--n-initial-points", "3", "--storage", url)
    check(code == 3 and err == f"rlab: error: {shown}: the study was made with a different "
          "space: the study has 2 dimension(s), this space has 6\n",
          f"{label}: other space: {code} {err}")
    set_version(99)
    code, out, err = rlab(rlab_bin, "bayesopt", "--builtin", "branin", "--n-calls", "3",
                          "--n-initial-points", "3", "--storage", url)
    check(code == 4 and err.startswith(f"rlab: error: {shown}: the study storage has schema "
                                       "version 99 (written by rlab ")
          and err.rstrip().endswith("reads version 1: upgrade rlab"),
          f"{label}: newer schema: {code} {err}")


def test_sqlite(rlab_bin):
    d = tempfile.mkdtemp(prefix="rlab-sqlite-")
    try:
        db = os.path.join(d, "study.db")
        url = "sqlite:///" + db  # absolute: sqlite:////tmp/...
        run_workers(rlab_bin, url, d, sqlite_rows(db), "sqlite")
        db2 = os.path.join(d, "faults.db")
        url2 = "sqlite:///" + db2

        def set_version(v):
            con = sqlite3.connect(db2)
            con.execute("UPDATE rlab_schema SET version = ?", (v,))
            con.commit()
            con.close()
        common_faults(rlab_bin, url2, url2, d, set_version, "sqlite")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def server_bindir():
    """The folder of initdb and pg_ctl: Debian's /usr/lib/postgresql/VERSION/bin (newest first),
    else wherever initdb is on PATH; None when the server is not installed. The same search as
    scripts/local_postgres.sh."""
    base = "/usr/lib/postgresql"
    versions = os.listdir(base) if os.path.isdir(base) else []

    def key(v):
        return [int(p) if p.isdigit() else 0 for p in v.split(".")]

    for v in sorted(versions, key=key, reverse=True):
        d = os.path.join(base, v, "bin")
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    found = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(found)) if found else None


def test_postgres(rlab_bin):
    if server_bindir() is None:
        why = ("PostgreSQL server binaries (initdb, pg_ctl) not found under "
               "/usr/lib/postgresql/*/bin or on PATH (scripts/setup.sh installs postgresql)")
        if os.environ.get("CI") == "true":
            # CI must run this test: a missing server is a broken setup, not a reason to skip.
            print("FAIL:", why)
            sys.exit(1)
        print("SKIP:", why)
        sys.exit(77)
    d = tempfile.mkdtemp(prefix="rlab-pg-")
    os.chmod(d, 0o711)  # the server runs as another user when this runs as root
    pgdir = os.path.join(d, "pg")
    helper = os.path.join(ROOT, "scripts", "local_postgres.sh")
    started = subprocess.run(["bash", helper, "start", pgdir, PASSWORD], capture_output=True,
                             text=True, timeout=120)
    if started.returncode != 0:
        print("cannot start PostgreSQL:", started.stderr)
        sys.exit(1)
    port = int(started.stdout.strip())
    try:
        psql(port, "postgres", "CREATE DATABASE workers")
        psql(port, "postgres", "CREATE DATABASE faults")
        url = f"postgresql://rlab:{PASSWORD}@127.0.0.1:{port}/workers"
        run_workers(rlab_bin, url, d, pg_rows(port, "workers"), "postgres")
        url2 = f"postgresql://rlab:{PASSWORD}@127.0.0.1:{port}/faults"
        shown2 = f"postgresql://rlab:***@127.0.0.1:{port}/faults"
        common_faults(rlab_bin, url2, shown2, d,
                      lambda v: psql(port, "faults", f"UPDATE rlab_schema SET version = {v}"),
                      "postgres")
        # Wrong credentials: exit 4, the server's reason, the password nowhere.
        wrong = "Wr0ng-pass-7731"
        code, out, err = rlab(rlab_bin, "bayesopt", "--builtin", "branin", "--n-calls", "3",
                              "--n-initial-points", "3", "--storage",
                              f"postgresql://rlab:{wrong}@127.0.0.1:{port}/faults")
        check(code == 4 and err == f"rlab: error: postgresql://rlab:***@127.0.0.1:{port}/faults: "
              f"cannot connect: connection to server at \"127.0.0.1\", port {port} failed: FATAL: "
              "password authentication failed for user \"rlab\"\n",
              f"postgres: wrong password: {code} {err}")
        check(wrong not in out + err, "postgres: the wrong password was printed")
        # A password given as a query parameter is hidden too.
        code, out, err = rlab(rlab_bin, "bayesopt", "--builtin", "branin", "--n-calls", "3",
                              "--n-initial-points", "3", "--storage",
                              f"postgresql://rlab@127.0.0.1:{port}/faults?password={wrong}")
        check(code == 4 and wrong not in out + err and "password=***" in err,
              f"postgres: password parameter: {code} {err}")
    finally:
        subprocess.run(["bash", helper, "stop", pgdir], timeout=60)
        shutil.rmtree(d, ignore_errors=True)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("sqlite", "postgres"):
        print(__doc__)
        sys.exit(2)
    rlab_bin = sys.argv[1]
    (test_sqlite if sys.argv[2] == "sqlite" else test_postgres)(rlab_bin)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
