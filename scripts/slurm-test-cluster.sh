#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the SlurmProvider tests (Debian 12, as root):
#
#   scripts/slurm-test-cluster.sh start    installs slurmctld, slurmd, slurm-client and munge if missing, then
#                                          starts munged, slurmctld and slurmd for ONE node (this host, with its
#                                          real CPUs and memory) and waits until the node is idle
#   scripts/slurm-test-cluster.sh stop     cancels every job, stops the three daemons, removes the state
#   scripts/slurm-test-cluster.sh status   sinfo and squeue
#
# No cgroups (proctrack/linuxproc, task/none) and no accounting database (accounting_storage/none, so sacct
# does not work: the provider falls back to `scontrol show job` for finished jobs). State, spool, logs and pid
# files live under $VIZ_SLURM_DIR (default /tmp/viz-slurm-test). The configuration is written to
# /etc/slurm/slurm.conf, where every Slurm command looks, unless a slurm.conf that this script did not write is
# there already (a real cluster): then it refuses to start.
set -euo pipefail

root="${VIZ_SLURM_DIR:-/tmp/viz-slurm-test}"
conf=/etc/slurm/slurm.conf
marker="# written by viz-workflow scripts/slurm-test-cluster.sh"

log() { echo "slurm-test-cluster: $*" >&2; }

install_missing() {
    local packages=(slurmctld slurmd slurm-client munge) missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# The pid in a pid file, if that process still runs.
running_pid() {
    local file=$1 pid
    [[ -s $file ]] || return 1
    pid=$(cat "$file")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start_munge() {
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
    [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge /etc/munge/munge.key && chmod 0700 /etc/munge && chmod 0600 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    runuser -u munge -- /usr/sbin/munged
    mkdir -p "$root" && touch "$root/munged.started"
    for _ in $(seq 50); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return
        sleep 0.1
    done
    log "munged did not start"
    exit 1
}

write_configuration() {
    if [[ -e $conf ]] && ! grep -qF "$marker" "$conf"; then
        log "$conf exists and was not written by this script (a real cluster?): not touching it"
        exit 1
    fi
    local node cpus memory
    node=$(hostname -s)
    # `slurmd -C` prints this host as Slurm sees it: CPUs, sockets, cores, threads, RealMemory.
    read -r cpus memory < <(slurmd -C | awk '/^NodeName/ {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["CPUs"], v["RealMemory"] }')
    mkdir -p "$root"/{state,spool,log} /etc/slurm
    cat >"$conf" <<EOF
$marker: a one-node test cluster.
ClusterName=viztest
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$root/state
SlurmdSpoolDir=$root/spool/%n
SlurmctldPidFile=$root/slurmctld.pid
SlurmdPidFile=$root/slurmd.pid
SlurmctldLogFile=$root/log/slurmctld.log
SlurmdLogFile=$root/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
# Quick turnaround for tests: finished jobs stay visible to scontrol for 5 minutes, a killed job is gone in 2 s.
MinJobAge=300
KillWait=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
PartitionName=batch Nodes=$node Default=NO MaxTime=INFINITE State=UP
EOF
    chmod 0644 "$conf"
}

start() {
    install_missing
    start_munge
    write_configuration
    if ! running_pid "$root/slurmctld.pid" >/dev/null; then
        # -i: ignore state files of an earlier test cluster that this one cannot read.
        slurmctld -i
    fi
    if ! running_pid "$root/slurmd.pid" >/dev/null; then
        slurmd
    fi
    local state=""
    for _ in $(seq 150); do
        state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
        case $state in
            idle | mixed | allocated) log "up: node $(hostname -s) is $state (logs in $root/log)"; return ;;
            drain* | down*) scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 0.2
    done
    log "the node did not become idle (last state '${state:-none}'); see $root/log"
    tail -n 20 "$root"/log/*.log >&2 || true
    exit 1
}

stop_daemon() { stop_daemon_file "$root/$1.pid"; }

stop_daemon_file() {
    local pid
    pid=$(running_pid "$1") || return 0
    kill "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    if running_pid "$root/slurmctld.pid" >/dev/null; then
        scancel --full --quiet --state=PENDING 2>/dev/null || true
        squeue -h -o '%i' 2>/dev/null | xargs -r scancel 2>/dev/null || true
        sleep 1
    fi
    stop_daemon slurmd
    stop_daemon slurmctld
    # munged only if this script started it (another Slurm client on the host may use it).
    if [[ -e $root/munged.started ]]; then stop_daemon_file /run/munge/munged.pid; fi
    if [[ -e $conf ]] && grep -qF "$marker" "$conf"; then rm -f "$conf"; fi
    rm -rf "$root"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo; squeue ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
