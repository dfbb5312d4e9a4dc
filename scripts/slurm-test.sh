#!/usr/bin/env bash
# make slurm-test: runs the batch scripts in jobs/ under a real, throw-away, one-node Slurm on this machine.
#
#  1. installs Slurm and munge from Debian packages if missing (scripts/deps.sh: only what is missing);
#  2. writes a one-node configuration into a temporary directory (SLURM_CONF; all state, spool, logs and pid
#     files there; free ports, so it neither needs nor disturbs a system Slurm);
#  3. uses the system munged if one answers, else starts a private one (as user munge, socket in the temp dir);
#  4. starts slurmctld and slurmd in the foreground mode, in the background (no systemd), waits for the node;
#  5. submits train.sbatch (4 tasks, srun --mpi=pmix), scaling-strong.sbatch (1, 2, 4 ranks, Open MPI's mpiexec
#     inside the allocation), scaling-weak.sbatch (1, 2 ranks, srun) and sweep-density.sbatch (a 2-task array,
#     mpiexec), all with the tiny test configuration of scripts/job-test-env.sh;
#  6. waits for them (bounded), checks their Slurm states, job directories and every run (scripts/check-run.sh);
#  7. stops what it started, by PID, and removes the temporary directory: on success, failure and Ctrl-C.
# On failure it prints the job outputs and the daemons' log tails, and exits non-zero.
#
# Needs root (slurmd starts jobs as their user, as on a real node). The node is declared with this machine's
# CPUs (2 on the CI VM); 4 tasks fit on it with --overcommit (plain --oversubscribe leaves the job pending).
# Knobs: SLURM_TEST_TIMEOUT (seconds for the daemons and all jobs, default 150), SLURM_TEST_OUT (keep the run
# directories there instead of in the temporary directory), SLURM_TEST_KEEP=1 (keep the temporary directory).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$EPOCHSECONDS
TIMEOUT=${SLURM_TEST_TIMEOUT:-150}
OUT_KEEP=${SLURM_TEST_OUT:-}
KEEP=${SLURM_TEST_KEEP:-0}
# Run inside a real Slurm job (a CI runner on a cluster), the caller's SLURM_*/SBATCH_*/SRUN_* variables would
# point our clients at the wrong job and controller: drop them all.
for v in $(compgen -e); do
  case "$v" in SLURM_*|SBATCH_*|SRUN_*|SALLOC_*) unset "$v" ;; esac
done
# Likewise the job scripts' knobs from the caller's shell (e.g. a RANKS left over from a scaling study) would
# change what the jobs run; the test sets the ones it needs. SPARSEMPI is kept: it tests another build.
unset LAUNCHER NTASKS RANKS DENSITIES OUT_ROOT RUN_TIMEOUT MPIEXEC EXTRA_MPIEXEC_ARGS EXTRA_SRUN_ARGS DATA SPARSEMPI_HOME

say() { echo "slurm-test: $*"; }
die() { echo "slurm-test: FAILED: $*" >&2; exit 1; }
# Every Slurm client call is bounded: a controller that stops answering must fail the test, not hang it.
sc() { timeout 20 "$@"; }

[ "$(id -u)" -eq 0 ] || die "needs root: it starts munged, slurmctld and slurmd, and slurmd runs jobs as their user"
[ -x bin/sparsempi ] || die "bin/sparsempi is missing: run 'make build' first"
scripts/deps.sh slurmctld slurmd slurm-client munge
for c in slurmctld slurmd sbatch srun scontrol sinfo munged munge unmunge setpriv; do
  command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || die "$c not found after installing Slurm and munge"
done
export PATH=$PATH:/usr/sbin

# A short path, not $TMPDIR: munged and slurmstepd's PMIx server put UNIX sockets in here (the spool), and a
# socket path must stay under 108 bytes.
T=$(mktemp -d /tmp/sparsempi-slurm.XXXXXX)
chmod 755 "$T" # munged (user munge) must reach its socket directory inside
mkdir -p "$T"/{state,spool,log,run,out,tmp}
chmod 1777 "$T/tmp"
OUT=${OUT_KEEP:-$T/runs}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

STARTED_PIDS=() # pids of daemons we started, in start order
STARTED_NAMES=()
JOB_IDS=()
FAILURES=()

# Processes of our cluster, found by the unique SLURM_CONF path in their environment: the daemons (started
# with it), what they fork (slurmstepd, slurmscriptd) and the jobs' processes. The safety net for a step that
# outlives a cancelled job. $1=jobs: only job processes (they also carry SLURM_JOB_ID); $1=all: everything but
# the daemons we stop by PID.
our_processes() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ " $$ $BASHPID ${STARTED_PIDS[*]} " != *" $p "* ]] || continue
    grep -qzx "SLURM_CONF=$T/slurm.conf" "/proc/$p/environ" 2>/dev/null || continue
    [ "$1" = all ] || grep -qz "^SLURM_JOB_ID=" "/proc/$p/environ" 2>/dev/null || continue
    echo "$p"
  done
  return 0
}

stop_pid() { # pid name: TERM, up to 10 s to exit, then KILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "$name ($pid) ignored SIGTERM, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

diagnostics() {
  echo "================ slurm-test diagnostics (temporary directory $T) ================"
  if [ ${#JOB_IDS[@]} -gt 0 ] && [ -n "${CTLD_PID:-}" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    echo "---- scontrol show job"
    for id in "${JOB_IDS[@]}"; do sc scontrol show job -o "$id" 2>&1 || true; done
  fi
  local f
  for f in "$T"/out/*; do
    [ -f "$f" ] || continue
    echo "---- job output $(basename "$f") (last 60 lines)"; tail -n 60 "$f"
  done
  # Each daemon logs to <name>.log; <name>.out has its stderr, which repeats the log under -D but is all
  # there is when it died before opening its log.
  for f in "$T"/log/*.out; do
    local log=${f%.out}.log
    [ -s "$log" ] || log=$f
    echo "---- $(basename "$log") (last 40 lines)"; tail -n 40 "$log"
  done
  echo "================================================================================"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ "$rc" -eq 0 ] || diagnostics >&2
  if [ ${#JOB_IDS[@]} -gt 0 ] && [ -n "${CTLD_PID:-}" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    sc scancel "${JOB_IDS[@]}" 2>/dev/null
    for _ in $(seq 40); do
      [ -z "$(sc squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  # From here on our own children must not carry SLURM_CONF, so the scan below cannot match them.
  export -n SLURM_CONF
  local leftovers
  leftovers=$(our_processes jobs)
  if [ -n "$leftovers" ]; then say "killing leftover job processes: $(echo $leftovers)"; kill -KILL $leftovers 2>/dev/null; fi
  local i
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED_PIDS[i]}" "${STARTED_NAMES[i]}"; done
  # The daemons' own children (slurmscriptd, slurmstepd) end with them; give them a moment first.
  for _ in $(seq 20); do [ -z "$(our_processes all)" ] && break; sleep 0.1; done
  leftovers=$(our_processes all)
  if [ -n "$leftovers" ]; then say "killing leftover Slurm processes: $(echo $leftovers)"; kill -KILL $leftovers 2>/dev/null; fi
  if [ "$KEEP" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
  if [ "$rc" -eq 0 ]; then say "passed in $((EPOCHSECONDS - T0)) s"; else say "FAILED (exit $rc) after $((EPOCHSECONDS - T0)) s"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

deadline=$((EPOCHSECONDS + TIMEOUT))
check_daemons() { # fail at once when a daemon we started has died
  local i
  for i in "${!STARTED_PIDS[@]}"; do
    kill -0 "${STARTED_PIDS[i]}" 2>/dev/null || die "${STARTED_NAMES[i]} (pid ${STARTED_PIDS[i]}) died; see its log below"
  done
}
# start NAME CMD...: starts a daemon in the background in a session of its own (so a Ctrl-C at the terminal
# reaches only this script, whose trap then stops the daemon in order). In a non-interactive shell the
# background child is no process-group leader, so setsid execs without forking and $! is the daemon itself.
start() {
  local name=$1; shift
  setsid "$@" >"$T/log/$name.out" 2>&1 </dev/null &
  STARTED_PIDS+=($!); STARTED_NAMES+=("$name")
}

# --- munge: the system's daemon if it answers, else our own on a private socket ---
authinfo=""
if timeout 10 munge -n 2>/dev/null | timeout 10 unmunge >/dev/null 2>&1; then
  say "using the running munged"
else
  mkdir -p "$T/munge"; chown munge:munge "$T/munge"; chmod 755 "$T/munge"
  [ -r /etc/munge/munge.key ] || die "no /etc/munge/munge.key (the munge package creates it; try: mungekey -c)"
  start munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
    --socket="$T/munge/munge.socket" --pid-file="$T/munge/munged.pid" --log-file="$T/log/munged.log" \
    --seed-file="$T/munge/munged.seed"
  for _ in $(seq 100); do
    timeout 5 munge -S "$T/munge/munge.socket" -n 2>/dev/null | timeout 5 unmunge -S "$T/munge/munge.socket" >/dev/null 2>&1 && break
    check_daemons; sleep 0.1
  done
  timeout 5 munge -S "$T/munge/munge.socket" -n 2>/dev/null | timeout 5 unmunge -S "$T/munge/munge.socket" >/dev/null 2>&1 ||
    die "our munged does not answer on $T/munge/munge.socket"
  authinfo="socket=$T/munge/munge.socket"
  say "started munged (pid ${STARTED_PIDS[-1]})"
fi

# --- configuration: two free TCP ports, this host as the one node ---
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  port=$((20000 + RANDOM % 40000))
  port_free "$port" && port_free $((port + 1)) && break
done
node=$(hostname -s)
first_job_id=$((100000 + (RANDOM * 32768 + RANDOM) % 50000000))
cat >"$T/slurm.conf" <<EOF
# One-node test cluster of scripts/slurm-test.sh; everything lives in $T.
ClusterName=sparsempi-test
# Job ids start at a random number: the PMIx namespace of a step is slurm.pmix.<job>.<step>, and Open MPI
# derives its own job id from it, so the srun --mpi=pmix steps of two test clusters on one host that both
# count from job 1 (CI and a developer at once) collide: measured here as segfaulting ranks and a hung step.
FirstJobId=$first_job_id
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (120 s by default).
AuthInfo=${authinfo:+$authinfo,}cred_expire=10
# No cgroups, no accounting: nothing here needs systemd or a database.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
# Slurm's PMIx plugin makes /tmp/spmix_appdir_<uid>_<job>.<step> by default: job ids restart at 1 in every
# test cluster, so two concurrent tests would share it. TmpFS moves it here.
TmpFS=$T/tmp
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ReturnToService=2
# Finished jobs stay visible to scontrol this long (there is no accounting storage for sacct).
MinJobAge=600
KillWait=5
# Containers often forbid raising some limits; do not let steps fail on propagating the caller's.
PropagateResourceLimits=NONE
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=10 State=UP
EOF
export SLURM_CONF=$T/slurm.conf

start slurmctld slurmctld -D -i -f "$SLURM_CONF"
CTLD_PID=${STARTED_PIDS[-1]}
start slurmd slurmd -D -f "$SLURM_CONF" -N "$node"
until [ "$(sc sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ]; do
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "node $node not idle within ${TIMEOUT}s: $(sc sinfo 2>&1)"
  sleep 0.2
done
say "slurmctld and slurmd up (ports $port, $((port + 1))) after $((EPOCHSECONDS - T0)) s"

mpi_list=$(sc srun --mpi=list 2>&1) || die "srun --mpi=list failed: $mpi_list"
grep -qw pmix <<<"$mpi_list" || die "srun --mpi=list shows no pmix plugin (Debian: slurm-wlm-basic-plugins, libpmix2): $mpi_list"

# --- the jobs ---
set -a; source scripts/job-test-env.sh; set +a
export OUT_ROOT=$OUT
# The jobs' temporary files (Open MPI's session directories, ...) go into our temporary directory too.
export TMPDIR=$T/tmp
# Open MPI refuses root unless told; the test runs as root. Users' jobs do not (see jobs/lib.sh).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
submit() { # sbatch-options... script: sets SUBMITTED to the job id
  local out
  out=$(sc sbatch --parsable --time=3 -o "$T/out/%x-%j.out" "$@" 2>&1) || die "sbatch $* failed: $out"
  SUBMITTED=${out%%;*}
  [[ "$SUBMITTED" =~ ^[0-9]+$ ]] || die "sbatch $* answered '$out', not a job id"
  JOB_IDS+=("$SUBMITTED")
}
# Each script once, each launcher twice. Knobs reach the jobs as users pass them (sbatch --export=ALL,...) or
# through the submitting environment (sbatch's default --export=ALL).
submit -N 1 -n 4 --overcommit --export=ALL,LAUNCHER=srun,EPOCHS=1 jobs/train.sbatch; train=$SUBMITTED
LAUNCHER=mpiexec submit -N 1 -n 4 --overcommit jobs/scaling-strong.sbatch; strong=$SUBMITTED
LAUNCHER=srun submit -N 1 -n 2 --overcommit jobs/scaling-weak.sbatch; weak=$SUBMITTED
LAUNCHER=mpiexec DENSITIES="1 0.01" submit -N 1 -n 2 --overcommit --array=0-1 -o "$T/out/%x-%A_%a.out" \
  jobs/sweep-density.sbatch; sweep=$SUBMITTED
say "submitted train $train (srun), scaling-strong $strong (mpiexec), scaling-weak $weak (srun), sweep-density $sweep (array, mpiexec)"

# Wait until every job (every array task) has reached a final state, or the deadline.
final='^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$'
declare -A STATE EXIT
while :; do
  pending=0; STATE=(); EXIT=()
  for id in "${JOB_IDS[@]}"; do
    lines=$(sc scontrol show job -o "$id" 2>&1) || die "scontrol show job $id failed: $lines"
    while read -r line; do
      task=$(sed -n 's/.* ArrayTaskId=\([0-9]*\) .*/\1/p' <<<"$line")
      key=$id${task:+_$task}
      STATE[$key]=$(sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p' <<<"$line")
      EXIT[$key]=$(sed -n 's/.* ExitCode=\([0-9:]*\) .*/\1/p' <<<"$line")
      [[ "${STATE[$key]}" =~ $final ]] || pending=$((pending + 1))
    done <<<"$lines"
  done
  [ "$pending" -eq 0 ] && break
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "$pending jobs not finished within ${TIMEOUT}s: $(sc squeue 2>&1)"
  sleep 0.5
done
say "all jobs finished after $((EPOCHSECONDS - T0)) s"

# --- checks: collect every problem, then fail once ---
problem() { FAILURES+=("$*"); echo "slurm-test: problem: $*" >&2; }
expect_tasks() { # key... : each must exist, be COMPLETED with exit 0:0
  local k
  for k in "$@"; do
    if [ -z "${STATE[$k]:-}" ]; then problem "job $k: scontrol knows no such job"; continue; fi
    [ "${STATE[$k]}" = COMPLETED ] && [ "${EXIT[$k]}" = 0:0 ] ||
      problem "job $k ended ${STATE[$k]} with exit code ${EXIT[$k]}"
  done
}
expect_tasks "$train" "$strong" "$weak" "${sweep}_0" "${sweep}_1"
[ ${#STATE[@]} -eq 5 ] || problem "expected 5 jobs (one array of 2), scontrol shows ${#STATE[@]}: ${!STATE[*]}"

check() { # run-dir ranks launcher-pattern
  local out
  out=$(scripts/check-run.sh "$1" "$2" 2>&1) && echo "$out" || { problem "$out"; return; }
  grep -qE -- "$3" "$1/launch.cmd" || problem "$1 was not launched by $3: $(cat "$1/launch.cmd")"
}
check_tsv() { # job-dir expected-lines (ranks batch_per_rank global_batch exit_code, one per line)
  local got
  got=$(tail -n +2 "$1/scaling.tsv" 2>/dev/null | cut -f1-4 | tr '\t' ' ')
  [ "$got" = "$2" ] || problem "$1/scaling.tsv: expected points '$(echo $2)', found '$(echo $got)'"
}
srun_pat='(^| )srun --ntasks=[0-9]+ --mpi=pmix '
mpiexec_pat='(^| )mpiexec -n [0-9]+ '
check "$OUT/sparsempi-train-$train" 4 "$srun_pat"
for r in 1 2 4; do check "$OUT/sparsempi-scaling-strong-$strong/ranks-$r" "$r" "$mpiexec_pat"; done
# Strong scaling keeps GLOBAL_BATCH=64 and divides it; weak keeps BATCH=32 per rank (scripts/job-test-env.sh).
check_tsv "$OUT/sparsempi-scaling-strong-$strong" $'1 64 64 0\n2 32 64 0\n4 16 64 0'
for r in 1 2; do check "$OUT/sparsempi-scaling-weak-$weak/ranks-$r" "$r" "$srun_pat"; done
check_tsv "$OUT/sparsempi-scaling-weak-$weak" $'1 32 32 0\n2 32 64 0'
check "$OUT/sparsempi-sweep-density-$sweep-0/density-1" 2 "$mpiexec_pat"
check "$OUT/sparsempi-sweep-density-$sweep-1/density-0.01" 2 "$mpiexec_pat"
# Each array task ran only its own density.
for t in 0 1; do
  n=$(find "$OUT/sparsempi-sweep-density-$sweep-$t" -mindepth 1 -maxdepth 1 -type d -name 'density-*' | wc -l)
  [ "$n" -eq 1 ] || problem "sweep task $t ran $n densities, not 1"
done

# --- a stop and a requeue (issue: SIGTERM from Slurm loses nothing) ---
# train.sbatch (it asks for --requeue) is requeued while it trains: Slurm sends SIGTERM to the batch shell and
# the step, the ranks finish their step and checkpoint, the job goes back to the queue, runs again, finds the
# checkpoint in its run directory and resumes; it must end with exactly the parameters of a run never stopped.
requeue_args="--log-every 20"
submit -N 1 -n 2 --overcommit "--export=ALL,LAUNCHER=srun,EPOCHS=1,EXTRA_ARGS=$requeue_args" jobs/train.sbatch; requeued=$SUBMITTED
rq_dir=$OUT/sparsempi-train-$requeued
until [ "$(wc -l <"$rq_dir/metrics.jsonl" 2>/dev/null || echo 0)" -ge 3 ]; do
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "job $requeued did not start training within ${TIMEOUT}s"
  sleep 0.2
done
sc scontrol requeue "$requeued" || die "scontrol requeue $requeued failed"
say "requeued job $requeued while it trained"
until [ "$(sc scontrol show job -o "$requeued" | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p')" = COMPLETED ]; do
  check_daemons
  [ "$EPOCHSECONDS" -lt "$deadline" ] || die "requeued job $requeued not COMPLETED within ${TIMEOUT}s: $(sc scontrol show job -o "$requeued")"
  sleep 0.5
done
# The same run, never stopped, on as many ranks (placement does not change the math).
reference=$T/reference
mpiexec --oversubscribe --bind-to none -n 2 bin/sparsempi train --model "$MODEL" --epochs 1 --batch-size "$BATCH" --lr "$LR" \
  --compressor "$COMPRESSOR" --density "$DENSITY" --seed "$SEED" $requeue_args --out "$reference" >"$T/log/reference.out" 2>&1 ||
  die "the uninterrupted reference run failed: $(tail -n 5 "$T/log/reference.out")"
json_field() { sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -n 1; }
rq_out=$(ls "$T"/out/*-"$requeued".out)
grep -q "stopped by SIGTERM after step" "$rq_out" || problem "job $requeued: no 'stopped by SIGTERM' line in its output"
grep -q "holds a checkpoint: resuming it" "$rq_out" || problem "job $requeued: the requeued run did not resume"
resumed=$(json_field "$rq_dir/summary.json" resumed_from_step)
[[ "$resumed" =~ ^[1-9][0-9]*$ ]] || problem "job $requeued: summary.json resumed_from_step is '$resumed', not a step"
got=$(json_field "$rq_dir/summary.json" parameter_hash); want=$(json_field "$reference/summary.json" parameter_hash)
[ -n "$want" ] && [ "$got" = "$want" ] || problem "job $requeued: parameter_hash $got after the requeue, $want without it"
say "requeued job $requeued resumed from step $resumed and ended with the uninterrupted parameters ($got)"

[ ${#FAILURES[@]} -eq 0 ] || die "${#FAILURES[@]} problems (listed above)"
