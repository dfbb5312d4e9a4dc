#!/usr/bin/env bash
# Experiment of issue "sparsified training": top-k with and without error feedback against dense training
# (Alistarh et al., NeurIPS 2018). MLP on Fashion-MNIST, RANKS ranks, EPOCHS epochs, densities 1 (dense),
# 0.01, 0.001, 0.0001, each with error feedback on and off. Writes the runs to RUNS, the table and plots to
# OUT, and each run's summary.json and launch.cmd (what the table comes from; `make check-results-tables`
# regenerates it from them) to OUT/runs. Runs anywhere mpiexec runs (a workstation, or inside a Slurm allocation: sbatch -n 4 jobs/experiment-topk.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program=${SPARSEMPI:-$root/bin/sparsempi}
ranks=${RANKS:-4}; epochs=${EPOCHS:-5}; seed=${SEED:-1}
runs=${RUNS:-$root/runs/experiment-topk}; out=${OUT:-$root/docs/results/topk}
mpiexec=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
common=(--model mlp --epochs "$epochs" --seed "$seed" --log-every 5)

train() { # name, extra options...
  local name=$1; shift
  echo "== $name"
  local cmd=($mpiexec -n "$ranks" "$program" train "${common[@]}" "$@" --out "$runs/$name")
  "${cmd[@]}" | tail -n 2
  printf '%q ' "${cmd[@]}" >"$runs/$name/launch.cmd"; echo >>"$runs/$name/launch.cmd"   # the exact command
  dirs+=("$runs/$name"); labels+=("$name")
}
dirs=(); labels=()
rm -rf "$runs"
train dense --compressor none
for density in 0.01 0.001 0.0001; do
  train "topk-$density-ef" --compressor topk --density "$density" --error-feedback true
  train "topk-$density-no-ef" --compressor topk --density "$density" --error-feedback false
done
mkdir -p "$out"
"$program" plot "${dirs[@]}" --labels "$(IFS=,; echo "${labels[*]}")" --out "$out" \
  --title "Top-k sparsification with and without error feedback (MLP, $ranks ranks, $epochs epochs)" >/dev/null
"$root/scripts/keep-runs.sh" "$runs" "$out/runs"
echo "table and plots in $out"
