#!/usr/bin/env bash
# Experiment of issue "dynamic sparsity" (Khirirat et al. 2020): the dynamic k rule under each cost model
# (payload, packet, mpi) against fixed densities 0.0001, 0.001, 0.01, 0.1, on logreg (convex) and mlp, RANKS
# ranks. The mpi cost model is fitted once per model (fit-mpi-cost) and given to every run, and every run logs
# every step and accounts all three cost models, so the cost of reaching the target loss is comparable across
# runs. Plain SGD (momentum 0), the setting of the paper's analysis.
#
# With error feedback the sweep runs for every seed of SEEDS (the cost-to-target ratios move by tens of percent
# from seed to seed, so one seed is not evidence); without error feedback, and the sweep of the rule's message
# header under the payload model, run for the first seed. Writes runs to RUNS and, per model, to OUT/<model>:
# results.md and plots of the first seed, seeds.md (the ratios of every seed), header-sweep.md; and what those
# tables come from (each run's summary.json, launch.cmd and to-target.json, each fit's fit.json; not the
# metrics of every step) to OUT/runs, from which `make check-results-tables` regenerates seeds.md and
# header-sweep.md. The mpi cost model's fit is a timing: it, the mpi columns and the dynamic-mpi runs (whose
# rule weighs k by it) change with the machine and its load; everything else is fixed by seed and rank count.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program=${SPARSEMPI:-$root/bin/sparsempi}
ranks=${RANKS:-4}; seeds=(${SEEDS:-1 2 3})
runs=${RUNS:-$root/runs/experiment-dynamic}; out=${OUT:-$root/docs/results/dynamic}
mpiexec=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
# Per model: epochs, learning rate, and the smoothed training loss that counts as "reached".
declare -A epochs=([logreg]=${LOGREG_EPOCHS:-3} [mlp]=${MLP_EPOCHS:-3})
declare -A lr=([logreg]=0.05 [mlp]=0.1)
declare -A target=([logreg]=${LOGREG_TARGET:-0.55} [mlp]=${MLP_TARGET:-0.45})
densities=(0.0001 0.001 0.01 0.1)

train() { # run directory, options...
  local dir=$1; shift
  echo "== ${dir#"$runs"/}"
  local cmd=($mpiexec -n "$ranks" "$program" train "${common[@]}" "$@" --out "$dir")
  "${cmd[@]}" | tail -n 1
  printf '%q ' "${cmd[@]}" >"$dir/launch.cmd"; echo >>"$dir/launch.cmd"   # the exact command
}

# The fixed densities and the rule under each cost model, into $1/<label>. The accounting of all three cost
# models is the same for every run (the fitted mpi model is always given); only the rule's model changes.
sweep() {
  local dir=$1
  for density in "${densities[@]}"; do train "$dir/fixed-$density" --compressor topk --density "$density" --cost-model mpi; done
  for cost in payload packet mpi; do train "$dir/dynamic-$cost" --compressor topk --k-rule dynamic --cost-model "$cost"; done
}

# One fit of alpha + beta*bytes (timing-dependent: the fit, and with it the mpi column and the runs whose rule
# uses the mpi model, change from machine to machine and with the load) into $fit; its JSON and command into $1.
fit_mpi_cost() {
  local cmd=($mpiexec -n "$ranks" "$program" fit-mpi-cost --model "$model" --json "$1/fit.json")
  rm -rf "$1"; mkdir -p "$1"
  read -r -a fit <<<"$("${cmd[@]}" | grep '^use:' | sed 's/^use: --cost-model mpi //')"
  printf '%q ' "${cmd[@]}" >"$1/launch.cmd"; echo >>"$1/launch.cmd"
}

# The target step and the costs through it of every run under $1 (to-target.json beside its summary.json).
extract() { # run directory, target loss
  find "$1" -name metrics.jsonl -printf '%h\0' | sort -z | xargs -0 python3 "$root/scripts/cost-to-target.py" extract --target "$2"
}

plot() { # run directory of a sweep, output directory, title
  local labels=(); local dirs=()
  for density in "${densities[@]}"; do labels+=("fixed-$density"); dirs+=("$1/fixed-$density"); done
  for cost in payload packet mpi; do labels+=("dynamic-$cost"); dirs+=("$1/dynamic-$cost"); done
  mkdir -p "$2"
  "$program" plot "${dirs[@]}" --labels "$(IFS=,; echo "${labels[*]}")" --out "$2" --target-loss "${target[$model]}" \
    --title "$3" >/dev/null
}

for model in ${MODELS-logreg mlp}; do   # MODELS= (empty): only the large-batch sweep
  # One fit of alpha + beta*bytes for all runs of this model (each run fitting its own would compare noise).
  fit_mpi_cost "$runs/$model-fit"
  echo "$model: mpi cost model ${fit[*]}"
  base=(--model "$model" --epochs "${epochs[$model]}" --lr "${lr[$model]}" --momentum 0 --log-every 1 "${fit[@]}")
  rm -rf "${runs:?}/$model" "${runs:?}/$model-no-ef"

  # With error feedback (the rule ranks the error-corrected vector): every seed.
  for seed in "${seeds[@]}"; do
    common=("${base[@]}" --seed "$seed" --error-feedback true)
    sweep "$runs/$model/seed-$seed"
  done
  plot "$runs/$model/seed-${seeds[0]}" "$out/$model" \
    "Dynamic sparsity against fixed densities ($model, error feedback, $ranks ranks, ${epochs[$model]} epochs, seed ${seeds[0]})"
  extract "$runs/$model" "${target[$model]}"
  python3 "$root/scripts/cost-to-target.py" seeds --runs "$runs" --model "$model" --target "${target[$model]}" >"$out/$model/seeds.md"

  # The rule's only free parameter under the payload model is the per-message header it weighs entries
  # against: a sweep of it, every run priced with the real 28-byte header, shows whether any setting would
  # have matched the best fixed density.
  common=("${base[@]}" --seed "${seeds[0]}" --error-feedback true)
  priced=()
  for density in "${densities[@]}"; do priced+=("fixed-$density=$runs/$model/seed-${seeds[0]}/fixed-$density"); done
  for header in ${HEADERS:-1 4 8 16 28 64}; do
    train "$runs/$model/header-sweep/header-$header" --compressor topk --k-rule dynamic --cost-model payload --header-bytes "$header"
    priced+=("rule-header-$header=$runs/$model/header-sweep/header-$header")
  done
  extract "$runs/$model/header-sweep" "${target[$model]}"
  python3 "$root/scripts/cost-to-target.py" reprice --target "${target[$model]}" --header-bytes 28 "${priced[@]}" >"$out/$model/header-sweep.md"

  # Without error feedback (the setting of the paper's descent argument, where what is not sent is lost).
  common=("${base[@]}" --seed "${seeds[0]}" --error-feedback false)
  sweep "$runs/$model-no-ef/seed-${seeds[0]}"
  plot "$runs/$model-no-ef/seed-${seeds[0]}" "$out/$model-no-ef" \
    "Dynamic sparsity against fixed densities ($model, no error feedback, $ranks ranks, ${epochs[$model]} epochs, seed ${seeds[0]})"
  extract "$runs/$model-no-ef" "${target[$model]}"
  python3 "$root/scripts/cost-to-target.py" seeds --runs "$runs" --model "$model-no-ef" --target "${target[$model]}" \
    >"$out/$model-no-ef/seeds.md"
  echo "tables and plots in $out/$model and $out/$model-no-ef"
done

# Closer to the paper's setting (its descent argument is for full gradients): logreg with 2048 samples per rank
# per step, with error feedback, so that gradient noise is small. Target: a loss the dense run reaches in its first
# quarter. Shows how much of the gap to the best fixed density is owed to the mini-batch noise.
if [ "${LARGE_BATCH:-1}" = 1 ]; then
  model=logreg
  fit_mpi_cost "$runs/$model-large-batch-fit"
  echo "$model (large batch): mpi cost model ${fit[*]}"
  common=(--model "$model" --epochs 40 --batch-size 2048 --lr 0.05 --momentum 0 --log-every 1 "${fit[@]}"
          --seed "${seeds[0]}" --error-feedback true)
  rm -rf "${runs:?}/large-batch"
  sweep "$runs/large-batch/$model/seed-${seeds[0]}"
  target[$model]=${LARGE_BATCH_TARGET:-0.6}
  plot "$runs/large-batch/$model/seed-${seeds[0]}" "$out/$model-large-batch" \
    "Dynamic sparsity against fixed densities ($model, batch 2048 per rank, error feedback, $ranks ranks, 40 epochs)"
  extract "$runs/large-batch" "${target[$model]}"
  python3 "$root/scripts/cost-to-target.py" seeds --runs "$runs/large-batch" --model "$model" --target "${target[$model]}" \
    >"$out/$model-large-batch/seeds.md"
  echo "tables and plots in $out/$model-large-batch"
fi

# What the tables come from, into the repository (summaries, commands, to-target extracts, fits).
"$root/scripts/keep-runs.sh" "$runs" "$out/runs"
