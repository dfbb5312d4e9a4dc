#!/usr/bin/env bash
# Experiment of issue "dynamic sparsity" (Khirirat et al. 2020): the dynamic k rule under each cost model
# (payload, packet, mpi) against fixed densities 0.0001, 0.001, 0.01, 0.1, on logreg (convex) and mlp, RANKS
# ranks. The mpi cost model is fitted once per model (fit-mpi-cost) and given to every run, and every run logs
# every step and accounts all three cost models, so the cost of reaching the target loss is comparable across
# runs. Writes runs to RUNS and the tables and plots to OUT/<model>. Plain SGD (momentum 0), the setting of the paper's analysis.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program=${SPARSEMPI:-$root/bin/sparsempi}
ranks=${RANKS:-4}; seed=${SEED:-1}
runs=${RUNS:-$root/runs/experiment-dynamic}; out=${OUT:-$root/docs/results/dynamic}
mpiexec=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
# Per model: epochs, learning rate, momentum, and the smoothed training loss that counts as "reached".
declare -A epochs=([logreg]=${LOGREG_EPOCHS:-3} [mlp]=${MLP_EPOCHS:-3})
declare -A lr=([logreg]=0.05 [mlp]=0.1)
declare -A target=([logreg]=${LOGREG_TARGET:-0.55} [mlp]=${MLP_TARGET:-0.45})

for model in ${MODELS:-logreg mlp}; do
  # One fit of alpha + beta*bytes for all runs of this model (each run fitting its own would compare noise).
  fit=$($mpiexec -n "$ranks" "$program" fit-mpi-cost --model "$model" | grep '^use:' | sed 's/^use: --cost-model mpi //')
  echo "$model: mpi cost model $fit"
  # With error feedback (the rule ranks the error-corrected vector), and without (the setting of the paper's
  # descent argument, where what is not sent is lost).
  for ef in ${ERROR_FEEDBACK:-true false}; do
    name=$model; [ "$ef" = true ] || name=$model-no-ef
    dirs=(); labels=()
    common=(--model "$model" --epochs "${epochs[$model]}" --lr "${lr[$model]}" --momentum 0 --seed "$seed" --log-every 1
            --error-feedback "$ef" $fit --cost-model mpi)
    run() { # name, extra options...
      local label=$1; shift
      echo "== $name $label"
      $mpiexec -n "$ranks" "$program" train "${common[@]}" "$@" --out "$runs/$name/$label" | tail -n 1
      dirs+=("$runs/$name/$label"); labels+=("$label")
    }
    rm -rf "${runs:?}/$name"
    for density in 0.0001 0.001 0.01 0.1; do run "fixed-$density" --compressor topk --density "$density"; done
    for cost in payload packet mpi; do
      # The rule runs under this cost model; the accounting of all three models is the same for every run.
      common[-1]=$cost
      run "dynamic-$cost" --compressor topk --k-rule dynamic
      common[-1]=mpi
    done
    mkdir -p "$out/$name"
    "$program" plot "${dirs[@]}" --labels "$(IFS=,; echo "${labels[*]}")" --out "$out/$name" --target-loss "${target[$model]}" \
      --title "Dynamic sparsity against fixed densities ($model, error feedback $ef, $ranks ranks, ${epochs[$model]} epochs)" >/dev/null
    echo "table and plots in $out/$name"
  done
done
