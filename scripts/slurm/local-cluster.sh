#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, from Debian's packages (munge, slurmctld, slurmd), for the tests and for
# trying the batch scripts on a laptop. Everything lives under DIR: its own munge key and socket, slurm.conf,
# state, logs and pid files; nothing of the machine's /etc/slurm or /etc/munge is used or changed.
#
#   scripts/slurm/local-cluster.sh start DIR    writes DIR/slurm.conf, starts munged, slurmctld, slurmd and waits
#                                               until the node is idle; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm/local-cluster.sh stop DIR     stops the three daemons (TERM, then KILL after 10 s)
#
# env: SLURM_CPUS (default: what slurmd -C finds), SLURM_OVERSUBSCRIBE=8 (jobs per core: the pipeline's watch
# jobs mostly sleep), SLURM_PORT (slurmctld; slurmd uses +1; default a free port pair above 20000).
# Must run as root (slurmd starts jobs as their users; munged runs as root here with --force).
set -euo pipefail

cmd=${1:?usage: local-cluster.sh start|stop DIR}
DIR=$(realpath -m "${2:?usage: local-cluster.sh start|stop DIR}")

stop() {
  local f pid
  for f in slurmd slurmctld munged; do
    [[ -f "$DIR/$f.pid" ]] || continue
    pid=$(cat "$DIR/$f.pid")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

free_port() {
  python3 - <<'PY'
import socket
for p in range(20000 + (__import__('os').getpid() * 7) % 20000, 60000, 2):
    try:
        a, b = socket.socket(), socket.socket()
        a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass
PY
}

start() {
  [[ $(id -u) == 0 ]] || { echo "local-cluster.sh: needs root (slurmd, munged)" >&2; exit 2; }
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || { echo "local-cluster.sh: $b is missing (apt-get install munge slurmctld slurmd slurm-client)" >&2; exit 2; }
  done
  mkdir -p "$DIR"/{munge,state,slurmd,log}
  chmod 700 "$DIR/munge"
  # Our own key: 1 KiB of randomness, as mungekey writes it.
  [[ -f "$DIR/munge/munge.key" ]] || { head -c 1024 /dev/urandom > "$DIR/munge/munge.key"; chmod 400 "$DIR/munge/munge.key"; }
  munged --force --socket="$DIR/munge/munge.sock" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/seed"

  local node port cpus
  node=frispool1
  port=${SLURM_PORT:-$(free_port)}
  # The hardware line slurmd itself detects, so the node is never drained for a mismatch.
  local hw
  hw=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
  if [[ -n "${SLURM_CPUS:-}" ]]; then hw="CPUs=$SLURM_CPUS RealMemory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"; fi
  cat > "$DIR/slurm.conf" <<CONF
# Written by scripts/slurm/local-cluster.sh: one node on loopback.
ClusterName=frispool-test
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/slurmd
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: a plain process tracker, no task containment (a VM or container may have no cgroup v2 delegation).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Seconds between SIGTERM and SIGKILL when a job is cancelled or hits its limit: a prover finishes its proof.
KillWait=30
# Finished jobs stay visible to scontrol this long (no accounting database here).
MinJobAge=600
# The time-limit checks run often, so --signal warnings come on time.
SchedulerParameters=bf_interval=5
NodeName=$node NodeHostname=$(hostname) NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=frispool Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:${SLURM_OVERSUBSCRIBE:-8}
CONF
  export SLURM_CONF="$DIR/slurm.conf"
  slurmctld -i -f "$SLURM_CONF"
  slurmd -N "$node" -f "$SLURM_CONF"
  for _ in $(seq 600); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.1
  done
  echo "local-cluster.sh: node not idle after 60 s; sinfo: $(sinfo -N -l 2>&1)" >&2
  tail -n 20 "$DIR"/log/*.log >&2
  exit 1
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: local-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
