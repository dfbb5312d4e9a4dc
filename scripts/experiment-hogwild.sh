#!/usr/bin/env bash
# Hogwild experiment (results and commands: docs/results/hogwild/README.md). 4 ranks of one node, MLP on
# Fashion-MNIST, the same total number of updates for every run:
#   dense async | top-k async (density 0.01, error feedback) | dense async with staleness-aware lr (lr / tau)
#   at three staleness levels: nothing injected (mean ~ RANKS - 1), and deferred writes with L = 2 and 7 updates
#   in flight per rank (mean ~ RANKS * (L + 1) - 1 = 11 and 31 on 4 ranks, whatever the machine's speed);
# plus, for the record, what injected *time* delays do on this machine (sleep-mode stragglers, deferred writes
# of 7 and 35 ms), synchronous `train` references with the same number of samples, and a throughput comparison
# of racy vs atomic writes, dense vs sparse.
# Every run's summary.json and launch.cmd are copied to OUT/runs (the table is made from them).
# Runs on a cluster node too: set MPIEXEC (e.g. MPIEXEC="srun --mpi=pmix" or plain "mpiexec") and RANKS.
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${RANKS:-4}
UPDATES=${UPDATES:-4000}
SEEDS=${SEEDS:-1 2}
IN_FLIGHT=${IN_FLIGHT:-0 2 7}
DEFER_DELAYS=${DEFER_DELAYS:-7 35}
STRAGGLER_DELAY=${STRAGGLER_DELAY:-10}
THROUGHPUT_UPDATES=${THROUGHPUT_UPDATES:-2000}
THROUGHPUT_REPEATS=${THROUGHPUT_REPEATS:-5}
RUNS=${RUNS:-runs/experiment-hogwild}
OUT=${OUT:-docs/results/hogwild}
MPIEXEC=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
BIN=${BIN:-bin/sparsempi}
PARTS=${PARTS:-accuracy delays throughput report} # run a subset, e.g. PARTS="throughput report"
export TERM=dumb OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$RUNS" "$OUT"

common="--model mlp --lr 0.05 --batch-size 64 --updates $UPDATES --eval-every $((UPDATES / 10)) --eval-samples 2000 --update atomic"
declare -A method=(
  [dense]="--compressor none"
  [topk]="--compressor topk --density 0.01 --error-feedback true"
  [dense-lrtau]="--compressor none --lr-policy staleness-aware"
)
run() { # directory, verb and options...
  local dir=$1; shift
  echo "== $dir: $*"
  local cmd=($MPIEXEC -n "$RANKS" "$BIN" "$@" --out "$RUNS/$dir")
  "${cmd[@]}" | tail -n 1
  printf '%q ' "${cmd[@]}" >"$RUNS/$dir/launch.cmd"; echo >>"$RUNS/$dir/launch.cmd"   # the exact command
}

part() { [[ " $PARTS " == *" $1 "* ]]; }
first=${SEEDS%% *}

part accuracy && for seed in $SEEDS; do
  for depth in $IN_FLIGHT; do
    for m in dense topk dense-lrtau; do
      if [ "$depth" = 0 ]; then delay=""; else delay="--delay-mode defer --in-flight $depth"; fi
      run "${m}_inflight${depth}_s${seed}" hogwild $common ${method[$m]} $delay --seed "$seed"
    done
  done
  # Synchronous references with the same samples: UPDATES / RANKS steps of RANKS x 64. Same lr, and the lr scaled
  # with the RANKS-times larger batch (linear scaling rule), both without momentum like the asynchronous runs.
  for lr in 0.05 0.2; do
    run "sync-lr${lr}_s${seed}" train --compressor none --momentum 0 --lr "$lr" --epochs 1000 --max-steps $((UPDATES / RANKS)) --seed "$seed"
  done
done

# Injected time delays (dense, first seed): sleep-mode stragglers cannot raise the mean staleness above RANKS - 1
# (docs/ARCHITECTURE.md); deferred writes can, by an amount that depends on the machine's speed.
part delays && {
run "dense_sleep${STRAGGLER_DELAY}exp_s$first" hogwild $common ${method[dense]} --delay-ms "$STRAGGLER_DELAY" --delay-dist exp --seed "$first"
for delay in $DEFER_DELAYS; do
  run "dense_defer${delay}ms_s$first" hogwild $common ${method[dense]} --delay-ms "$delay" --delay-mode defer --seed "$first"
done
}

# Throughput: racy vs atomic, dense vs top-k, no delay, no evaluation during the loop.
# Repeated and interleaved, since other work on the machine shifts the absolute numbers.
part throughput && for rep in $(seq "$THROUGHPUT_REPEATS"); do
  for m in dense topk; do
    for u in atomic racy; do
      run "throughput_${m}_${u}_r${rep}" hogwild --model mlp --updates "$THROUGHPUT_UPDATES" --eval-every 1000000000 ${method[$m]} --update "$u"
    done
  done
done

# Plots: accuracy against updates per staleness level (first seed, with the synchronous references); staleness
# histograms of all levels and of the time-delay runs.
part report || exit 0
for depth in $IN_FLIGHT; do
  "$BIN" plot "$RUNS/dense_inflight${depth}_s$first" "$RUNS/topk_inflight${depth}_s$first" "$RUNS/dense-lrtau_inflight${depth}_s$first" \
    "$RUNS/sync-lr0.05_s$first" "$RUNS/sync-lr0.2_s$first" --out "$OUT" --prefix "inflight${depth}-"
done
"$BIN" plot $(for d in $IN_FLIGHT; do echo "$RUNS/dense_inflight${d}_s$first"; done) "$RUNS/dense_sleep${STRAGGLER_DELAY}exp_s$first" \
  $(for d in $DEFER_DELAYS; do echo "$RUNS/dense_defer${d}ms_s$first"; done) --out "$OUT" --prefix "levels-"
# What the tables come from, into the repository (each run's summary.json and launch.cmd, not its metrics); the
# table is made from those copies, so `make check-results-tables` regenerates it from the repository alone.
scripts/keep-runs.sh "$RUNS" "$OUT/runs"
python3 scripts/hogwild-table.py "$OUT/runs" > "$OUT/results.md"
echo "results: $OUT/results.md, $OUT/*.png, the runs' summaries in $OUT/runs"
