#!/usr/bin/env bash
# Slurm across nodes on one machine: jobs/train.sbatch with -N 2 on a 2-node cluster of network namespaces
# (scripts/cluster.sh), under `srun --mpi=pmix` and under Open MPI's `mpiexec` inside the allocation.
#
#  1. a 2-node cluster (node1, node2; 2 ranks per node) plus the controller's namespace (ctl);
#  2. munge shared by all (its UNIX socket is a file, so every namespace reaches it): the system munged if one
#     answers, else a private one (in the ctl namespace);
#  3. slurm.conf in a temporary directory: SlurmctldHost=ctl(10.199.0.250), NodeName=node[1-2]
#     NodeAddr=10.199.0.[1-2], per-node spool, pid and log paths (%n); each namespace has its own ports, so the
#     standard ports are used and nothing collides with another Slurm;
#  4. slurmctld in ctl, one slurmd per node namespace (with its hostname: `cluster.sh run --node I`);
#  5. submits train.sbatch from node1 (-N 2 -n 4) with LAUNCHER=srun and LAUNCHER=mpiexec, waits (bounded);
#  6. checks: COMPLETED, SLURM_JOB_NODELIST of the job = node[1-2], the run's summary.json says 2 nodes with
#     2 ranks each and tcp between them (scripts/check-run.sh for the rest);
#  7. stops what it started (by PID), then removes the cluster (which kills anything left in its namespaces):
#     on success, failure and Ctrl-C. A killed run is swept by the next `scripts/cluster.sh up` or `down`.
# Needs root. Knobs: SLURM_TEST_TIMEOUT (seconds for daemons and jobs, default 150), SLURM_TEST_OUT (keep the
# run directories there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$EPOCHSECONDS
TIMEOUT=${SLURM_TEST_TIMEOUT:-150}
for v in $(compgen -e); do
  case "$v" in SLURM_*|SBATCH_*|SRUN_*|SALLOC_*) unset "$v" ;; esac
done
unset LAUNCHER NTASKS RANKS DENSITIES OUT_ROOT RUN_TIMEOUT MPIEXEC EXTRA_MPIEXEC_ARGS EXTRA_SRUN_ARGS DATA SPARSEMPI_HOME SPARSEMPI_CLUSTER

say() { echo "slurm-cluster-test: $*"; }
die() { echo "slurm-cluster-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root: it makes network namespaces and starts munged, slurmctld and slurmd"
[ -x bin/sparsempi ] || die "bin/sparsempi is missing: run 'make build' first"
scripts/cluster.sh check || exit $?
scripts/deps.sh slurmctld slurmd slurm-client munge
export PATH=$PATH:/usr/sbin

# The cluster first, and everything else inside its state directory and namespaces: if this script is killed
# (SIGKILL, no trap), the next `scripts/cluster.sh up` or `down` removes the daemons (they run in the cluster's
# namespaces, munged too) and this directory with the cluster.
CLUSTER=""
out=$(scripts/cluster.sh up 2 --ranks-per-node 2 --owner $$) || { echo "$out" >&2; exit 1; }
CLUSTER=$(sed -n 's/^cluster: cluster \([0-9a-f]*\) up.*/\1/p' <<<"$out")
[ -n "$CLUSTER" ] || { scripts/cluster.sh down >/dev/null; die "cluster.sh up printed no cluster id: $out"; }
T=${SPARSEMPI_CLUSTER_ROOT:-/tmp/sparsempi-cluster}/$CLUSTER/slurm
mkdir -p "$T"
chmod 755 "$T" "$(dirname "$T")"
mkdir -p "$T"/{state,spool,log,run,out,tmp}
chmod 1777 "$T/tmp"
OUT=${SLURM_TEST_OUT:-$T/runs}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
STARTED_PIDS=(); STARTED_NAMES=(); JOB_IDS=(); FAILURES=()

stop_pid() {
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "$name ($pid) ignored SIGTERM, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
on() { SPARSEMPI_CLUSTER=$CLUSTER scripts/cluster.sh run "$@"; } # on [--node I|ctl] -- CMD...
sc() { on -- timeout 20 env -u OMPI_MCA_orte_default_hostfile -u OMPI_MCA_plm_rsh_agent -u HYDRA_HOST_FILE -u HYDRA_LAUNCHER -u HYDRA_LAUNCHER_EXEC "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$rc" -ne 0 ]; then
    local f
    for f in "$T"/out/*; do [ -f "$f" ] && { echo "---- job output $(basename "$f")"; tail -n 40 "$f"; }; done >&2
    for f in "$T"/log/*.log; do [ -f "$f" ] && { echo "---- $(basename "$f")"; tail -n 25 "$f"; }; done >&2
  fi
  if [ ${#JOB_IDS[@]} -gt 0 ] && [ -n "$CLUSTER" ]; then sc scancel "${JOB_IDS[@]}" 2>/dev/null; fi
  local i
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED_PIDS[i]}" "${STARTED_NAMES[i]}"; done
  # Removing the cluster kills whatever is still running in its namespaces (slurmstepd, job steps).
  rm -rf "$T"
  [ -z "$CLUSTER" ] || scripts/cluster.sh down "$CLUSTER" >/dev/null
  if [ "$rc" -eq 0 ]; then say "passed in $((EPOCHSECONDS - T0)) s"; else say "FAILED (exit $rc) after $((EPOCHSECONDS - T0)) s"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() { # name cmd...
  local name=$1; shift
  setsid "$@" >"$T/log/$name.out" 2>&1 </dev/null &
  STARTED_PIDS+=($!); STARTED_NAMES+=("$name")
}
check_daemons() {
  local i
  for i in "${!STARTED_PIDS[@]}"; do
    kill -0 "${STARTED_PIDS[i]}" 2>/dev/null || die "${STARTED_NAMES[i]} (pid ${STARTED_PIDS[i]}) died: $(tail -n 5 "$T/log/${STARTED_NAMES[i]}.out")"
  done
}

say "cluster $CLUSTER up"

authinfo=""
if timeout 10 munge -n 2>/dev/null | timeout 10 unmunge >/dev/null 2>&1; then
  say "using the running munged"
else
  mkdir -p "$T/munge"; chown munge:munge "$T/munge"; chmod 755 "$T/munge"
  [ -r /etc/munge/munge.key ] || die "no /etc/munge/munge.key (the munge package creates it; try: mungekey -c)"
  start munged nsenter --net="/run/netns/smc-$CLUSTER-ctl" setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
    --socket="$T/munge/munge.socket" --pid-file="$T/munge/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed"
  for _ in $(seq 100); do
    timeout 5 munge -S "$T/munge/munge.socket" -n 2>/dev/null | timeout 5 unmunge -S "$T/munge/munge.socket" >/dev/null 2>&1 && break
    check_daemons; sleep 0.1
  done
  authinfo="AuthInfo=socket=$T/munge/munge.socket"
  say "started munged"
fi

# 4 CPUs declared per node (the machine has 2 cores in all), so both 4-task jobs run at once.
cpus=4
cat >"$T/slurm.conf" <<EOF
# Two-node test cluster of scripts/slurm-cluster-test.sh (namespaces of cluster $CLUSTER); everything in $T.
ClusterName=sparsempi-ctest
FirstJobId=$((100000 + (RANDOM * 32768 + RANDOM) % 50000000))
SlurmctldHost=ctl(10.199.0.250)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
$authinfo
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool/%n
TmpFS=$T/tmp
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd-%n.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd-%n.log
ReturnToService=2
MinJobAge=600
KillWait=5
PropagateResourceLimits=NONE
MailProg=/bin/true
SlurmdParameters=config_overrides
NodeName=node[1-2] NodeAddr=10.199.0.[1-2] CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=node[1-2] Default=YES MaxTime=10 State=UP
EOF
export SLURM_CONF=$T/slurm.conf
# The daemons enter the namespaces with nsenter, not `ip netns exec`: that one also mounts a fresh /sys, where
# /sys/fs/cgroup is empty, and slurmd 22.05 then refuses to start ("No filesystem mounted on /sys/fs/cgroup")
# even with proctrack/linuxproc and task/none. Each gets its node's hostname (unshare --uts), which its jobs inherit.
daemon() { # name namespace hostname cmd...
  local name=$1 ns=$2 host=$3; shift 3
  start "$name" nsenter --net="/run/netns/$ns" unshare --uts sh -c 'hostname "$0"; exec "$@"' "$host" "$@"
}
daemon slurmctld "smc-$CLUSTER-ctl" ctl slurmctld -D -i -f "$SLURM_CONF"
# Each node also has its own temporary directory, as real nodes have their own /tmp: slurmd runs in a mount
# namespace of its own where $T/tmp (TmpFS, and the jobs' TMPDIR) is that node's directory. With one shared
# TmpFS the PMIx plugins of the two slurmstepds of a step both create spmix_appdir_<uid>_<job>.<step> there,
# and the second fails ("File exists"), which fails the srun --mpi=pmix launch.
for i in 1 2; do
  mkdir -p "$T/spool/node$i" "$T/tmp-node$i"; chmod 1777 "$T/tmp-node$i"
  start "slurmd-node$i" nsenter --net="/run/netns/smc-$CLUSTER-node$i" unshare --uts --mount sh -c \
    'hostname "$0"; mount --bind "$1" "$2" && shift 2 && exec "$@"' "node$i" "$T/tmp-node$i" "$T/tmp" \
    slurmd -D -f "$SLURM_CONF" -N "node$i"
done
deadline=$((EPOCHSECONDS + TIMEOUT))
until [ "$(sc sinfo -h -o '%T %D' 2>/dev/null)" = "idle 2" ]; do
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "nodes not idle within ${TIMEOUT}s: $(sc sinfo 2>&1)"
  sleep 0.3
done
say "slurmctld (ctl) and slurmd on node1, node2 up after $((EPOCHSECONDS - T0)) s"

set -a; source scripts/job-test-env.sh; set +a
export OUT_ROOT=$OUT TMPDIR=$T/tmp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
submit() { # sbatch options...; sets SUBMITTED
  local o
  o=$(sc sbatch --parsable --time=3 -o "$T/out/%x-%j.out" "$@" 2>&1) || die "sbatch $* failed: $o"
  SUBMITTED=${o%%;*}
  [[ "$SUBMITTED" =~ ^[0-9]+$ ]] || die "sbatch $* answered '$o'"
  JOB_IDS+=("$SUBMITTED")
}
submit -N 2 -n 4 --ntasks-per-node=2 --export=ALL,LAUNCHER=srun jobs/train.sbatch; srun_job=$SUBMITTED
submit -N 2 -n 4 --ntasks-per-node=2 --export=ALL,LAUNCHER=mpiexec jobs/train.sbatch; mpiexec_job=$SUBMITTED
say "submitted train.sbatch -N 2: $srun_job (srun --mpi=pmix), $mpiexec_job (mpiexec)"

declare -A STATE
while :; do
  pending=0
  for id in "${JOB_IDS[@]}"; do
    line=$(sc scontrol show job -o "$id" 2>&1) || die "scontrol show job $id: $line"
    STATE[$id]=$(sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p' <<<"$line")
    [[ "${STATE[$id]}" =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL)$ ]] || pending=$((pending + 1))
  done
  [ "$pending" -eq 0 ] && break
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "$pending jobs not finished within ${TIMEOUT}s: $(sc squeue 2>&1)"
  sleep 0.5
done
say "jobs finished after $((EPOCHSECONDS - T0)) s"

problem() { FAILURES+=("$*"); echo "slurm-cluster-test: problem: $*" >&2; }
for pair in "$srun_job:srun --ntasks=4 --mpi=pmix" "$mpiexec_job:mpiexec -n 4"; do
  id=${pair%%:*} how=${pair#*:}
  dir=$OUT/sparsempi-train-$id
  [ "${STATE[$id]}" = COMPLETED ] || { problem "job $id ($how) ended ${STATE[$id]}"; continue; }
  r=$(scripts/check-run.sh "$dir" 4 2>&1) || { problem "$r"; continue; }
  grep -q -- "$how" "$dir/launch.cmd" || problem "$dir was not launched by '$how': $(cat "$dir/launch.cmd")"
  grep -qxF 'SLURM_JOB_NODELIST=node\[1-2\]' "$dir/job.env" || problem "job $id: SLURM_JOB_NODELIST is not node[1-2]: $(grep NODELIST "$dir/job.env")"
  body=$(tr -d ' \n' <"$dir/summary.json")
  [[ "$body" == *'"placement":{"nodes":2,"ranks_per_node":[2,2],"hosts":["node1","node2"],"transport_between_nodes":"tcp"'* ]] ||
    problem "job $id: summary.json does not place 2 ranks on each of node1, node2 with tcp between them: $(grep -A8 '"placement"' "$dir/summary.json")"
  say "job $id ($how): COMPLETED on $(sed -n 's/^SLURM_JOB_NODELIST=//p' "$dir/job.env" | tr -d '\\'), summary: 2 nodes x 2 ranks, tcp"
done
[ ${#FAILURES[@]} -eq 0 ] || die "${#FAILURES[@]} problems (listed above)"
