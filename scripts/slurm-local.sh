#!/usr/bin/env bash
# Starts a single-node Slurm cluster (munged + slurmctld + slurmd) on this machine, owned by
# this script: every file under DIR, daemons on free loopback ports, no system service touched.
#   scripts/slurm-local.sh start DIR   -> prints "export SLURM_CONF=DIR/slurm.conf"
#   scripts/slurm-local.sh stop DIR
# Needs Debian's slurm-wlm and munge (scripts/setup.sh) and root (slurmd runs jobs as their user).
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}

stop() {
  local pids=()
  for f in slurmd slurmctld munged; do
    pid=$(cat "$dir/$f.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

for p in munged slurmctld slurmd sbatch squeue scancel; do
  command -v "$p" >/dev/null || { echo "slurm-local: $p not found (install slurm-wlm and munge)" >&2; exit 4; }
done
mkdir -p "$dir"/{munge,state,spool,log}
chmod 700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
  --force 2>"$dir/log/munged.err"

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
user=$(id -un)
cat >"$dir/slurm.conf" <<CONF
ClusterName=rlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
: >"$dir/cgroup.conf"
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$dir/slurm.conf" 2>"$dir/log/slurmctld.err" || { cat "$dir/log/slurmctld.err" "$dir/log/slurmctld.log" >&2 2>/dev/null; stop; exit 4; }
slurmd -f "$dir/slurm.conf" 2>"$dir/log/slurmd.err" || { cat "$dir/log/slurmd.err" "$dir/log/slurmd.log" >&2 2>/dev/null; stop; exit 4; }
for _ in $(seq 1 100); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$dir/slurm.conf"
    exit 0
  fi
  sleep 0.2
done
echo "slurm-local: the node did not become idle within 20 s; sinfo says: $(sinfo -h 2>&1 | head -3)" >&2
tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
stop
exit 4
