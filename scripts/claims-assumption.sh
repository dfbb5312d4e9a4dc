#!/usr/bin/env bash
# The convergence assumption of top-k SGD (Alistarh et al. 2018), measured during training (results and commands:
# docs/results/claims/assumption/README.md): the MLP on Fashion-MNIST, 4 ranks, top-k at densities 0.01, 0.001 and
# 0.0001, error feedback on and off, EPOCHS epochs each, with --log-assumption (topk_residual_ratio, randomk_bound
# and xi every LOG_EVERY steps). Each run's summary.json, metrics.jsonl and launch.cmd are copied to OUT/runs; the
# plots come from the plot verb (assumption_*.png) and the table from scripts/claims-assumption-table.py.
# On a cluster node: set MPIEXEC (e.g. MPIEXEC="srun --mpi=pmix") and RANKS.
set -euo pipefail
cd "$(dirname "$0")/.."
RANKS=${RANKS:-4}
EPOCHS=${EPOCHS:-1}
LOG_EVERY=${LOG_EVERY:-5}
DENSITIES=${DENSITIES:-0.01 0.001 0.0001}
RUNS=${RUNS:-runs/claims-assumption}
OUT=${OUT:-docs/results/claims/assumption}
MPIEXEC=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
BIN=${BIN:-bin/sparsempi}
PARTS=${PARTS:-train ranks report}
# The "ranks" part: density RANKS_DENSITY with error feedback on more ranks (does xi grow with P?).
RANKS_SWEEP=${RANKS_SWEEP:-8 16}
RANKS_DENSITY=${RANKS_DENSITY:-0.001}
export TERM=dumb OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$RUNS" "$OUT/runs"

names=()
for density in $DENSITIES; do
  for ef in true false; do names+=("d$density-ef$ef"); done
done

launch() { # directory, ranks, density, error feedback
  local dir=$1
  local cmd=($MPIEXEC -n "$2" "$BIN" train --model mlp --compressor topk --density "$3" --error-feedback "$4"
       --epochs "$EPOCHS" --log-every "$LOG_EVERY" --log-assumption true --seed 1 --out "$RUNS/$dir")
  echo "== $dir: ${cmd[*]}"
  rm -rf "$RUNS/$dir"
  "${cmd[@]}" | tail -n 1
  mkdir -p "$OUT/runs/$dir"
  cp "$RUNS/$dir/summary.json" "$RUNS/$dir/metrics.jsonl" "$RUNS/$dir/evaluations.jsonl" "$OUT/runs/$dir/"
  echo "${cmd[*]}" > "$OUT/runs/$dir/launch.cmd"
}

if [[ " $PARTS " == *" train "* ]]; then
  for density in $DENSITIES; do
    for ef in true false; do launch "d$density-ef$ef" "$RANKS" "$density" "$ef"; done
  done
fi

ranks_names=()
for p in $RANKS_SWEEP; do ranks_names+=("p$p-d$RANKS_DENSITY-eftrue"); done
if [[ " $PARTS " == *" ranks "* ]]; then
  for p in $RANKS_SWEEP; do launch "p$p-d$RANKS_DENSITY-eftrue" "$p" "$RANKS_DENSITY" true; done
fi

if [[ " $PARTS " == *" report "* ]]; then
  dirs=(); labels=()
  for n in "${names[@]}"; do dirs+=("$OUT/runs/$n"); labels+=("$n"); done
  "$BIN" plot "${dirs[@]}" --labels "$(IFS=,; echo "${labels[*]}")" --title "Alistarh et al.'s assumption" --prefix assumption_ --out "$OUT/plots"
  # Timings are not results here (the runs shared the machine): drop the plot verb's wall-clock plots and table.
  rm -f "$OUT"/plots/assumption_*_vs_wall.png "$OUT"/plots/assumption_results.md
  python3 scripts/claims-assumption-table.py "${dirs[@]}" > "$OUT/table.md"
  if [[ ${#ranks_names[@]} -gt 0 && -d "$OUT/runs/${ranks_names[0]}" ]]; then
    pdirs=("$OUT/runs/d$RANKS_DENSITY-eftrue"); plabels=("P=$RANKS")
    for n in "${ranks_names[@]}"; do pdirs+=("$OUT/runs/$n"); plabels+=("P=${n%%-*}"); done
    plabels=("${plabels[@]/P=p/P=}")
    "$BIN" plot "${pdirs[@]}" --labels "$(IFS=,; echo "${plabels[*]}")" --title "xi against ranks" --prefix ranks_ --out "$OUT/plots"
    rm -f "$OUT"/plots/ranks_*_vs_wall.png "$OUT"/plots/ranks_results.md
    python3 scripts/claims-assumption-table.py "${pdirs[@]}" > "$OUT/table-ranks.md"
  fi
fi
