#!/usr/bin/env bash
# Throughput of `rlab bayesopt` workers sharing one study: trials/s of a trivial objective
# (`echo {x}`) for 1, 2 and 4 worker processes on SQLite and on PostgreSQL (a throw-away server
# on loopback, scripts/local_postgres.sh), with Optuna (TPE, its RDB storage, same number of
# worker processes and trials) beside it on the same database kinds. Then the same for rlab
# with an objective that takes 0.2 s (`sleep 0.2`), where workers pay off. Every figure is the
# wall time from starting the workers to the last one finishing; speed-up is against 1 worker.
# Usage: scripts/bench/bo_workers.sh [N_CALLS]   (default 60; RLAB_BIN=path/to/rlab skips the
#        release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-60}
source scripts/bench/common.sh
RLAB=$(bench_rlab)
WORK=$(mktemp -d /tmp/rlab-bo-workers.XXXXXX)
chmod 711 "$WORK"
PW=bench-$$-pw
cleanup() { bash scripts/local_postgres.sh stop "$WORK/pg" || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(bash scripts/local_postgres.sh start "$WORK/pg" "$PW")
export PGPASSWORD=$PW

cat >"$WORK/cfg.yaml" <<YAML
bayesopt:
  space:
    x: {type: real, low: 0, high: 1}
    y: {type: real, low: 0, high: 1}
  objective: {type: command, argv: [echo, "{x}"]}
  n_calls: $N
  n_initial_points: 10
YAML

cat >"$WORK/optuna_worker.py" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, n = sys.argv[1], int(sys.argv[2])
study = optuna.load_study(study_name="bench", storage=url)
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState
def objective(t):
    return t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1)
study.optimize(objective, n_trials=n, callbacks=[MaxTrialsCallback(n, states=(TrialState.COMPLETE,))])
PY

sed -e 's/argv: \[echo, "{x}"\]/argv: [sh, -c, "sleep 0.2; echo {x}"]/' "$WORK/cfg.yaml" >"$WORK/slow.yaml"

# run_rlab URL WORKERS [CONFIG] -> seconds
run_rlab() {
  local url=$1 w=$2 cfg=${3:-$WORK/cfg.yaml} start end
  start=$(date +%s.%N)
  for i in $(seq "$w"); do "$RLAB" bayesopt "$cfg" --storage "$url" -q >/dev/null & done
  wait
  end=$(date +%s.%N)
  awk "BEGIN{print $end - $start}"
}
run_optuna() {
  local url=$1 w=$2 start end
  /usr/bin/python3 -c "import optuna; optuna.create_study(study_name='bench', storage='$url', sampler=optuna.samplers.TPESampler(seed=0))" 2>/dev/null
  start=$(date +%s.%N)
  for i in $(seq "$w"); do /usr/bin/python3 "$WORK/optuna_worker.py" "$url" "$N" & done
  wait
  end=$(date +%s.%N)
  awk "BEGIN{print $end - $start}"
}
have_psycopg2=$(/usr/bin/python3 -c 'import psycopg2' 2>/dev/null && echo yes || echo no)

echo "$N trials of a trivial objective (echo {x}), 2-dimensional space, 10 initial points"
printf '%-10s %7s %10s %8s %8s %12s %8s %12s\n' storage workers "rlab s" "trials/s" speedup "optuna s" trials/s "rlab/optuna"
for kind in sqlite postgresql; do
  base=""
  for w in 1 2 4; do
    if [ "$kind" = sqlite ]; then
      url="sqlite:///$WORK/rlab-$w.db"
      ourl="sqlite:///$WORK/optuna-$w.db"
    else
      psql -h 127.0.0.1 -p "$PORT" -U rlab -d postgres -qc "CREATE DATABASE rlab_$w" -qc "CREATE DATABASE optuna_$w"
      url="postgresql://rlab:$PW@127.0.0.1:$PORT/rlab_$w"
      ourl="postgresql://rlab:$PW@127.0.0.1:$PORT/optuna_$w"
    fi
    t=$(run_rlab "$url" "$w")
    tps=$(awk "BEGIN{print $N / $t}")
    [ -n "$base" ] || base=$tps
    if [ "$kind" = sqlite ] || [ "$have_psycopg2" = yes ]; then
      ot=$(run_optuna "$ourl" "$w")
      otps=$(awk "BEGIN{print $N / $ot}")
      printf '%-10s %7d %10.2f %8.1f %7.2fx %12.2f %8.1f %11.2fx\n' "$kind" "$w" "$t" "$tps" "$(awk "BEGIN{print $tps / $base}")" "$ot" "$otps" "$(awk "BEGIN{print $tps / $otps}")"
    else
      printf '%-10s %7d %10.2f %8.1f %7.2fx %12s %8s %12s\n' "$kind" "$w" "$t" "$tps" "$(awk "BEGIN{print $tps / $base}")" "-" "-" "(no psycopg2)"
    fi
  done
done

echo
echo "$N trials of a 0.2 s objective (sh -c 'sleep 0.2; echo {x}'), rlab only"
printf '%-10s %7s %10s %8s %8s\n' storage workers "rlab s" "trials/s" speedup
for kind in sqlite postgresql; do
  base=""
  for w in 1 2 4; do
    if [ "$kind" = sqlite ]; then
      url="sqlite:///$WORK/slow-$w.db"
    else
      psql -h 127.0.0.1 -p "$PORT" -U rlab -d postgres -qc "CREATE DATABASE slow_$w"
      url="postgresql://rlab:$PW@127.0.0.1:$PORT/slow_$w"
    fi
    t=$(run_rlab "$url" "$w" "$WORK/slow.yaml")
    tps=$(awk "BEGIN{print $N / $t}")
    [ -n "$base" ] || base=$tps
    printf '%-10s %7d %10.2f %8.1f %7.2fx\n' "$kind" "$w" "$t" "$tps" "$(awk "BEGIN{print $tps / $base}")"
  done
done
