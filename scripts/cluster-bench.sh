#!/usr/bin/env bash
# The figures of "A cluster on one machine" (make bench-cluster): on an emulated cluster of NODES nodes x RPN
# ranks (scripts/cluster.sh) at each link rate of RATES, and on one node with the same ranks for comparison:
#   1. linkcheck: TCP bandwidth node1 -> node2 against the set rate (must be within 15%);
#   2. bench-comm: sparse allgather vs dense allreduce, d = D, densities DENSITIES, format FORMATS;
#   3. train: MLP, EPOCHS epoch(s), dense (--compressor none) and top-k TOPK_DENSITY: ms per step by phase.
# Then scripts/cluster-table.py writes OUT/README.md (the tables, with the commands and the machine).
# Run it on a quiet machine: 4 ranks on 2 cores are scheduler-bound, so other load changes every number.
#
# Knobs: NODES=4 RPN=1 RATES="1gbit 10gbit" D=4194304 DENSITIES=0.001,0.01,0.1 FORMATS=int32:fp32 REPEAT=10
#        MTU=1500 EPOCHS=1 MAX_STEPS= (empty: whole epochs) TOPK_DENSITY=0.001 SEED=1 MPIEXEC=mpiexec.openmpi
#        OUT=docs/results/cluster   (a trial: OUT=/tmp/x D=65536 MAX_STEPS=20 REPEAT=3 RATES=1gbit)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
NODES=${NODES:-4} RPN=${RPN:-1} RATES=${RATES:-"1gbit 10gbit"} D=${D:-4194304} DENSITIES=${DENSITIES:-0.001,0.01,0.1}
FORMATS=${FORMATS:-int32:fp32} REPEAT=${REPEAT:-10} EPOCHS=${EPOCHS:-1} MAX_STEPS=${MAX_STEPS:-} TOPK_DENSITY=${TOPK_DENSITY:-0.001}
SEED=${SEED:-1} MPIEXEC=${MPIEXEC:-mpiexec.openmpi} OUT=${OUT:-docs/results/cluster} MTU=${MTU:-1500}
program=$root/bin/sparsempi
[ -x "$program" ] || { echo "cluster-bench: error: bin/sparsempi is missing: run 'make build' first" >&2; exit 2; }
ranks=$((NODES * RPN))
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export MTU NODES RPN RATES D DENSITIES FORMATS REPEAT EPOCHS MAX_STEPS TOPK_DENSITY SEED MPIEXEC OUT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb
steps=(); [ -z "$MAX_STEPS" ] || steps=(--max-steps "$MAX_STEPS")
log=$OUT/commands.txt
# rec CMD...: records a command, then runs it.
rec() { echo "$*" >>"$log"; "$@"; }

# One configuration: $1 = tag (single, or the rate); the rest: a prefix that runs mpiexec where it must run.
measure() {
  local tag=$1; shift
  echo "== $tag: bench-comm"
  rec "$@" "$MPIEXEC" -n "$ranks" "$program" bench-comm -d "$D" --densities "$DENSITIES" --formats "$FORMATS" \
    --repeat "$REPEAT" --seed "$SEED" --json "$OUT/bench-comm-$tag.json" | tail -n 5
  local name
  for name in dense topk; do
    local opts=(--compressor none); [ "$name" = dense ] || opts=(--compressor topk --density "$TOPK_DENSITY")
    echo "== $tag: train $name"
    rm -rf "$OUT/train-$tag-$name"
    rec "$@" "$MPIEXEC" -n "$ranks" "$program" train --model mlp --epochs "$EPOCHS" "${steps[@]}" --seed "$SEED" "${opts[@]}" \
      --out "$OUT/train-$tag-$name" | tail -n 1
    rm -rf "$OUT/train-$tag-$name/tensorboard" "$OUT/train-$tag-$name/metrics.csv"
  done
}

# Inside a cluster session (the script calls itself): the link check, then the measurements from node 1.
if [ "${1:-}" = --on-cluster ]; then
  rec scripts/cluster.sh linkcheck | tee "$OUT/linkcheck-$2.txt" || echo "cluster-bench: the link check failed (kept in linkcheck-$2.txt)"
  measure "$2" scripts/cluster.sh run --
  exit 0
fi

: >"$log"
{ echo "# scripts/cluster-bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# NODES=$NODES RPN=$RPN RATES='$RATES' D=$D DENSITIES=$DENSITIES FORMATS=$FORMATS REPEAT=$REPEAT EPOCHS=$EPOCHS MAX_STEPS=$MAX_STEPS TOPK_DENSITY=$TOPK_DENSITY SEED=$SEED MPIEXEC=$MPIEXEC MTU=$MTU"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"; } >>"$log"

# One node: the same ranks through shared memory, with the cluster's binding and yield settings.
single=(env OMPI_MCA_hwloc_base_binding_policy=none OMPI_MCA_rmaps_base_oversubscribe=1)
[ "$ranks" -le "$(nproc)" ] || single+=(OMPI_MCA_mpi_yield_when_idle=1)
measure single "${single[@]}"

for rate in $RATES; do
  # A session removes its cluster at the end, also when a step fails or the script is interrupted.
  rec scripts/cluster.sh session "$NODES" --ranks-per-node "$RPN" --rate "$rate" --mtu "$MTU" -- "$0" --on-cluster "$rate"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
scripts/deps.sh python3 >/dev/null 2>&1 || true
python3 scripts/cluster-table.py "$OUT" "$NODES" "$RPN" $RATES >"$OUT/README.md"
echo "tables in $OUT/README.md"
