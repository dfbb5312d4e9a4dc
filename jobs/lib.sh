# Shared part of the Slurm batch scripts in jobs/ (sourced, not run). It finds the program, picks the launcher,
# names the job's output directory and launches one run of the program into its own run directory.
#
# Every knob is an environment variable with a default, so one script serves every experiment:
#   sbatch --export=ALL,EPOCHS=1,DENSITY=0.001 jobs/train.sbatch
# The same scripts run without Slurm (`bash jobs/train.sbatch`): then they launch `mpiexec -n ${NTASKS:-2}`.
#
# Knobs common to all scripts (each script documents its own in its header):
#   SPARSEMPI_HOME      the checkout. Default: $SLURM_SUBMIT_DIR (so submit from the repository root); without
#                       Slurm, the directory above jobs/.
#   SPARSEMPI           the program. Default: $SPARSEMPI_HOME/bin/sparsempi (made by `make build`).
#   LAUNCHER            srun | mpiexec. Default: srun inside Slurm, mpiexec outside.
#   SLURM_MPI_TYPE      srun's --mpi plugin (srun's own variable, so a site's setting holds). Default: pmix.
#   EXTRA_SRUN_ARGS     more srun options, e.g. "--cpu-bind=cores". Default: none.
#   MPIEXEC             the mpiexec to run, e.g. mpiexec.mpich or a module's path. Default: mpiexec.
#   EXTRA_MPIEXEC_ARGS  more mpiexec options. Default: none in Slurm; outside Slurm, for Open MPI,
#                       "--oversubscribe --bind-to none" (a workstation or test VM).
#   NTASKS              ranks, outside Slurm only. Default: 2. Inside Slurm: the allocation's SLURM_NTASKS.
#   OUT_ROOT            where job directories go. Default: runs (relative to the submit directory).
#   RUN_TIMEOUT         seconds one run may take. Default: none (in Slurm, --time bounds the job).
#   ABORT_GRACE         seconds the launcher may outlive the program's first "sparsempi: error:" line before it
#                       is killed (TERM, then KILL 5 s later). Default: 30; 0 turns it off. Why: when a node's
#                       link is cut, the ranks notice (--stall-timeout) and exit, but Open MPI's mpiexec keeps
#                       waiting for the cut node's daemon until the kernel gives up on the TCP connection
#                       (net.ipv4.tcp_retries2: about 15 minutes by default), and the job would hold its nodes.
#   EXTRA_ARGS          more program options, appended to the train command line (e.g. "--max-steps 100").
#   VERB_ARGS           replaces the program's whole argument list; e.g. VERB_ARGS=check-mpi checks the MPI
#                       setup of an allocation through the same launcher, without training.
#   REQUEUE_ON_USR1     1 (default): when SIGUSR1 (#SBATCH --signal=B:USR1@120, the time limit's advance notice)
#                       stopped the run with a checkpoint, `scontrol requeue` the job; the requeued job finds the
#                       checkpoint in its run directory and resumes. 0: just stop.
# Lists (EXTRA_*, VERB_ARGS, DENSITIES, RANKS) are split at spaces; quotes inside them are not honoured.
#
# Launchers (both work on Debian 12: Open MPI 4.1.4, Slurm 22.05 with PMIx 4):
#   srun --mpi=pmix  Slurm starts the ranks itself; the program then loads Open MPI, which reads PMIx.
#                    `srun --mpi=list` must show pmix. --mpi=pmi2 does not work with Debian's Open MPI (its
#                    ranks fail in MPI_Init); it does work for MPICH: SLURM_MPI_TYPE=pmi2 (the program loads MPICH
#                    when PMI_* variables are set).
#   mpiexec          Open MPI's mpiexec reads the Slurm allocation (nodes and slots) by itself; no hostfile.
#                    As root, Open MPI also needs OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
#                    in the environment (not set here: jobs should not run as root on a real cluster).
# On several nodes, the checkout (bin/sparsempi and the build it points at) and OUT_ROOT must be on a file
# system every node sees.

# Fails the job with one clear line.
sm_die() { echo "sparsempi-job: error: $*" >&2; exit 2; }

# Sets up everything the scripts share. $1: the job name to use outside Slurm (the #SBATCH --job-name).
sm_init() {
  local default_name=$1
  if [ -n "${SLURM_JOB_ID:-}" ]; then IN_SLURM=1; else IN_SLURM=0; fi

  # SPARSEMPI_HOME (the checkout) was set by the batch script before it sourced this file.
  SPARSEMPI=${SPARSEMPI:-$SPARSEMPI_HOME/bin/sparsempi}
  command -v "$SPARSEMPI" >/dev/null ||
    sm_die "program $SPARSEMPI not found or not executable: run 'make build' in the checkout and submit from its root, or set SPARSEMPI"

  if [ "$IN_SLURM" = 1 ]; then
    NTASKS=${SLURM_NTASKS:-${SLURM_NPROCS:?Slurm set no task count}}
    LAUNCHER=${LAUNCHER:-srun}
  else
    NTASKS=${NTASKS:-2}
    LAUNCHER=${LAUNCHER:-mpiexec}
  fi
  [[ "$NTASKS" =~ ^[1-9][0-9]*$ ]] || sm_die "NTASKS must be a positive integer (got '$NTASKS')"
  MPIEXEC=${MPIEXEC:-mpiexec}
  case "$LAUNCHER" in
    srun)
      [ "$IN_SLURM" = 1 ] || sm_die "LAUNCHER=srun needs a Slurm allocation: submit with sbatch, or use LAUNCHER=mpiexec"
      command -v srun >/dev/null || sm_die "srun not found on PATH" ;;
    mpiexec)
      command -v "$MPIEXEC" >/dev/null || sm_die "$MPIEXEC not found on PATH (load your MPI module, or set MPIEXEC)"
      if [ -z "${EXTRA_MPIEXEC_ARGS+set}" ] && [ "$IN_SLURM" = 0 ]; then
        # Outside Slurm this is a workstation or test VM: let Open MPI ("mpiexec (OpenRTE) 4.1.4") start more
        # ranks than cores, and not pin the ranks of concurrent runs onto the same cores. MPICH needs neither.
        case "$("$MPIEXEC" --version 2>/dev/null || true)" in
          *OpenRTE*|*"Open MPI"*) EXTRA_MPIEXEC_ARGS="--oversubscribe --bind-to none" ;;
        esac
      fi ;;
    *) sm_die "LAUNCHER must be srun or mpiexec (got '$LAUNCHER')" ;;
  esac

  # One directory per job: <name>-<job id>, and for a job array <name>-<array job id>-<task id>, so the tasks
  # of one sweep sort together. Without Slurm a local id from the time and PID stands in for the job id.
  JOB_NAME=${SLURM_JOB_NAME:-$default_name}
  if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
    JOB_TAG=${SLURM_ARRAY_JOB_ID:?}-${SLURM_ARRAY_TASK_ID}
  elif [ "$IN_SLURM" = 1 ]; then
    JOB_TAG=$SLURM_JOB_ID
  else
    JOB_TAG=local-$(date +%Y%m%d-%H%M%S)-$$
  fi
  OUT_ROOT=${OUT_ROOT:-runs}
  JOB_DIR=$OUT_ROOT/$JOB_NAME-$JOB_TAG
  mkdir -p "$JOB_DIR" || sm_die "cannot create $JOB_DIR"
  JOB_DIR=$(cd "$JOB_DIR" && pwd)
  read -ra SM_EXTRA <<<"${EXTRA_ARGS:-}"
  echo "sparsempi-job: $JOB_NAME: $NTASKS ranks via $LAUNCHER, results in $JOB_DIR"
}

# Records the job's configuration (every knob given as arguments, plus where and how it ran) in job.env, so a
# run directory says how it was made.
sm_record() {
  {
    printf '# %s, %s\n' "$JOB_NAME" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    local v
    for v in SPARSEMPI LAUNCHER NTASKS OUT_ROOT VERB_ARGS EXTRA_ARGS SLURM_MPI_TYPE EXTRA_SRUN_ARGS MPIEXEC EXTRA_MPIEXEC_ARGS "$@" \
             SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_JOB_NODELIST SLURM_NTASKS SLURM_SUBMIT_DIR; do
      printf '%s=%q\n' "$v" "${!v:-}"
    done
  } >"$JOB_DIR/job.env"
}

# The program's arguments for one training run, into the array SM_ARGS. $1: run directory, $2: per-rank
# batch size, $3: density. VERB_ARGS, when set, replaces them whole.
sm_train_args() {
  local out=$1 batch=$2 density=$3
  if [ -n "${VERB_ARGS:-}" ]; then
    read -ra SM_ARGS <<<"$VERB_ARGS"
    return
  fi
  SM_ARGS=(train --model "$MODEL" --epochs "$EPOCHS" --batch-size "$batch" --lr "$LR" --compressor "$COMPRESSOR")
  # The dense baseline (none) has no density to give.
  if [ "$COMPRESSOR" != none ]; then SM_ARGS+=(--density "$density"); fi
  # A requeued job (or one submitted again into the same directory) continues from its checkpoint: the run
  # directory holds one after a stop signal (the program writes it) or with --checkpoint-every.
  if [ -f "$out/checkpoints/latest.json" ]; then
    echo "sparsempi-job: $out holds a checkpoint: resuming it"
    SM_ARGS+=(--seed "$SEED" --resume "$out")
  else
    SM_ARGS+=(--seed "$SEED" --out "$out")
  fi
  # DATA empty: the program's own default (Debian's dataset-fashion-mnist directory).
  if [ -n "${DATA:-}" ]; then SM_ARGS+=(--data "$DATA"); fi
  SM_ARGS+=("${SM_EXTRA[@]}")
}

# Launches one run on $1 ranks into run directory $2 with the program arguments "${@:3}". The run directory
# gets launch.cmd (the exact command), launch.log (everything the ranks printed, also echoed to the job's
# output) and launch.exit (the launcher's exit code). Returns that exit code.
sm_launch() {
  local ranks=$1 dir=$2; shift 2
  mkdir -p "$dir" || return
  local -a cmd extra
  case "$LAUNCHER" in
    srun)
      read -ra extra <<<"${EXTRA_SRUN_ARGS:-}"
      cmd=(srun --ntasks="$ranks" --mpi="${SLURM_MPI_TYPE:-pmix}" "${extra[@]}" "$SPARSEMPI" "$@") ;;
    mpiexec)
      read -ra extra <<<"${EXTRA_MPIEXEC_ARGS:-}"
      cmd=("$MPIEXEC" -n "$ranks" "${extra[@]}" "$SPARSEMPI" "$@") ;;
  esac
  if [ -n "${RUN_TIMEOUT:-}" ]; then cmd=(timeout --kill-after=30 "$RUN_TIMEOUT" "${cmd[@]}"); fi
  printf '%q ' "${cmd[@]}" >"$dir/launch.cmd"; echo >>"$dir/launch.cmd"
  echo "sparsempi-job: $(cat "$dir/launch.cmd")"
  local rc=0 pid
  # The launcher runs in the background so that this shell can pass on the stop signals Slurm sends it
  # (#SBATCH --signal=B:USR1@120 reaches only the batch shell; scancel and the time limit send TERM): srun and
  # Open MPI's mpiexec hand them to the ranks, which finish their step, checkpoint and exit 128 + signal.
  # tee ignores TERM (inherited through exec): Slurm signals every process of the job, and the ranks' last words
  # (the stop line) come after the signal.
  "${cmd[@]}" > >(trap '' TERM; exec tee "$dir/launch.log") 2>&1 &
  pid=$!
  local guard=""
  if [ "${ABORT_GRACE:-30}" != 0 ]; then sm_abort_guard "$pid" "$dir/launch.log" "${ABORT_GRACE:-30}" & guard=$!; fi
  trap 'kill -USR1 "$pid" 2>/dev/null' USR1
  trap 'kill -TERM "$pid" 2>/dev/null' TERM
  # wait returns early (status > 128) when a trapped signal arrives; wait again for the launcher's own status.
  while :; do
    rc=0; wait "$pid" || rc=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  trap - USR1 TERM
  if [ -n "$guard" ]; then kill "$guard" 2>/dev/null; wait "$guard" 2>/dev/null || true; fi
  echo "$rc" >"$dir/launch.exit"
  if [ "$rc" -eq 138 ] && [ "$IN_SLURM" = 1 ] && [ "${REQUEUE_ON_USR1:-1}" = 1 ]; then
    # SIGUSR1 is the advance notice of the time limit: the run checkpointed; put the job back in the queue, where
    # it resumes from that checkpoint (sm_train_args), unless REQUEUE_ON_USR1=0.
    echo "sparsempi-job: run in $dir stopped by SIGUSR1 with a checkpoint; requeueing job $SLURM_JOB_ID" >&2
    scontrol requeue "$SLURM_JOB_ID" || echo "sparsempi-job: scontrol requeue failed (was the job submitted with --requeue?)" >&2
  elif [ "$rc" -ne 0 ]; then
    echo "sparsempi-job: run in $dir failed with exit code $rc" >&2
  fi
  return "$rc"
}

# Kills launcher $1 when it is still running $3 seconds after the program's first error line in log $2: the
# program has said why it ends (a lost rank, a stall, bad input) and its ranks are gone or going, so what is left
# is a launcher waiting for a node it cannot reach (see ABORT_GRACE). Runs in the background of sm_launch.
sm_abort_guard() {
  local pid=$1 log=$2 grace=$3 seen=""
  trap 'exit 0' TERM
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$seen" ] && grep -q '^sparsempi: error:' "$log" 2>/dev/null; then seen=$SECONDS; fi
    if [ -n "$seen" ] && [ $((SECONDS - seen)) -ge "$grace" ]; then
      echo "sparsempi-job: error: the launcher is still running $grace s after the program's error line (it cannot reach a lost node?): killing it (ABORT_GRACE=$grace)" >&2
      kill -TERM "$pid" 2>/dev/null
      sleep 5
      kill -KILL "$pid" 2>/dev/null
      return 0
    fi
    sleep 1
  done
}

# The rank counts of a scaling study: 1, 2, 4, ... up to $1, and $1 itself when it is not a power of two.
# RANKS (e.g. RANKS="1 3 6") replaces the list; each must be at most $1.
sm_rank_list() {
  local n=$1 r
  if [ -n "${RANKS:-}" ]; then
    for r in $RANKS; do
      [[ "$r" =~ ^[1-9][0-9]*$ ]] && [ "$r" -le "$n" ] || sm_die "RANKS entry '$r' is not a rank count between 1 and $n"
    done
    echo "$RANKS"; return
  fi
  local list="" p=1
  while [ "$p" -le "$n" ]; do list+="$p "; p=$((p * 2)); done
  [ $((p / 2)) -eq "$n" ] || list+="$n"
  echo "$list"
}

# A scaling study: the same problem on each rank count of sm_rank_list, one run directory ranks-<r> each, one
# after the other inside the one allocation (so every point sees the same nodes). $1: strong (GLOBAL_BATCH fixed,
# per-rank batch GLOBAL_BATCH / r) or weak (per-rank BATCH fixed, global batch BATCH * r). Runs every point even
# when one fails, writes scaling.tsv (one line per point, with the wall time of each launch) and fails at the end
# if any point failed.
sm_scaling() {
  local mode=$1 r per global list
  list=$(sm_rank_list "$NTASKS") || exit 2
  if [ "$mode" = strong ]; then
    # Check every point before spending compute on the first.
    for r in $list; do
      [ $((GLOBAL_BATCH % r)) -eq 0 ] && [ $((GLOBAL_BATCH / r)) -ge 1 ] ||
        sm_die "GLOBAL_BATCH=$GLOBAL_BATCH is not divisible by $r ranks: strong scaling keeps the global batch exact; choose GLOBAL_BATCH or RANKS"
    done
  fi
  echo "sparsempi-job: $mode scaling over ranks: $list"
  printf 'ranks\tbatch_per_rank\tglobal_batch\texit_code\tseconds\trun_dir\n' >"$JOB_DIR/scaling.tsv"
  local failed="" rc t0 us
  for r in $list; do
    if [ "$mode" = strong ]; then per=$((GLOBAL_BATCH / r)); else per=$BATCH; fi
    global=$((per * r))
    sm_train_args "$JOB_DIR/ranks-$r" "$per" "$DENSITY"
    t0=${EPOCHREALTIME//[.,]/} # microseconds; the separator follows the locale
    rc=0; sm_launch "$r" "$JOB_DIR/ranks-$r" "${SM_ARGS[@]}" || rc=$?
    us=$(( ${EPOCHREALTIME//[.,]/} - t0 ))
    printf '%s\t%s\t%s\t%s\t%d.%03d\t%s\n' "$r" "$per" "$global" "$rc" $((us / 1000000)) $((us / 1000 % 1000)) \
      "ranks-$r" >>"$JOB_DIR/scaling.tsv"
    [ "$rc" -eq 0 ] || failed+=" $r"
  done
  if [ -n "$failed" ]; then sm_die "$mode scaling: the runs on ranks$failed failed (see their launch.log in $JOB_DIR)"; fi
}
