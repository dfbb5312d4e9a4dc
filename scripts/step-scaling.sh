#!/usr/bin/env bash
# Step-time scaling on the emulated cluster (make bench-step-scaling): bench-step (the whole synchronous step on
# synthetic gradients, the model's compute replaced by a sleep of COMPUTE_MS) at each rank count of PS, ranks
# round-robin over NODES nodes at RATE, for dense (--compressor none) and top-k at DENSITIES over each exchange
# of EXCHANGES; fit-mpi-cost on the same links (NODES ranks, one per node; sparse messages, and MPI_Allreduce up
# to min(D, 8M) floats for the dense rows); then `report --bench-step` predicts every row from that fit and prints the error beside the measurement (step-model.md / .csv in OUT).
# A what-if for the communication part, not training. Oversubscribed past 2 ranks on a 2-core machine: run it
# on a quiet machine and read the error table with that in mind.
#
# Knobs: NODES=4 RPN=8 RATE=10gbit D=5824522 PS="2 4 8 16 32" DENSITIES=0.01,0.001 EXCHANGES=allgather,ssar-rd
#        COMPUTE_MS=100 (the wide MLP's measured ms_per_step.compute, docs/results/cluster/tta-wide/10gbit/dense-s1)
#        STEPS=10 WARMUP=2 MPIEXEC=mpiexec.openmpi OUT=docs/results/cluster/step-scaling
#        (a trial: OUT=/tmp/x D=65536 PS="2 4" STEPS=2)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
NODES=${NODES:-4} RPN=${RPN:-8} RATE=${RATE:-10gbit} D=${D:-5824522} PS=${PS:-"2 4 8 16 32"} DENSITIES=${DENSITIES:-0.01,0.001}
EXCHANGES=${EXCHANGES:-allgather,ssar-rd} COMPUTE_MS=${COMPUTE_MS:-100} STEPS=${STEPS:-10} WARMUP=${WARMUP:-2}
MPIEXEC=${MPIEXEC:-mpiexec.openmpi} OUT=${OUT:-docs/results/cluster/step-scaling}
program=$root/bin/sparsempi
[ -x "$program" ] || { echo "step-scaling: error: bin/sparsempi is missing: run 'make build' first" >&2; exit 2; }
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export NODES RPN RATE D PS DENSITIES EXCHANGES COMPUTE_MS STEPS WARMUP MPIEXEC OUT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb
log=$OUT/commands.txt
rec() { echo "$*" >>"$log"; "$@"; }
step() { # $1 ranks, $2 JSON name, the rest: bench-step options
  local p=$1 name=$2; shift 2
  echo "== P=$p $*"
  rec scripts/cluster.sh run -- "$MPIEXEC" -n "$p" --map-by node "$program" bench-step -d "$D" --compute-ms "$COMPUTE_MS" \
    --steps "$STEPS" --warmup "$WARMUP" --json "$OUT/$name" "$@" | tail -n 8
}

if [ "${1:-}" = --on-cluster ]; then
  rec scripts/cluster.sh linkcheck | tee "$OUT/linkcheck.txt" || echo "step-scaling: the link check failed (kept in linkcheck.txt)"
  rec scripts/cluster.sh run -- "$MPIEXEC" -n "$NODES" --map-by node "$program" fit-mpi-cost \
    --dense-floats $((D < 8388608 ? D : 8388608)) --json "$OUT/fit-mpi-cost.json" | tail -n 12
  for p in $PS; do
    step "$p" "step-p$p-dense.json" --compressor none
    step "$p" "step-p$p-topk.json" --compressor topk --density "$DENSITIES" --exchange "$EXCHANGES"
  done
  exit 0
fi

: >"$log"
{ echo "# scripts/step-scaling.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "# NODES=$NODES RPN=$RPN RATE=$RATE D=$D PS='$PS' DENSITIES=$DENSITIES EXCHANGES=$EXCHANGES COMPUTE_MS=$COMPUTE_MS STEPS=$STEPS WARMUP=$WARMUP MPIEXEC=$MPIEXEC"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"; } >>"$log"
rec scripts/cluster.sh session "$NODES" --ranks-per-node "$RPN" --rate "$RATE" -- "$0" --on-cluster
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
# The dense rows on the dense allreduce's own fit (fit-mpi-cost --dense-floats), where it has one.
network=$(python3 -c "import json,sys; f=json.load(open(sys.argv[1])); d=',dense-alpha=%r,dense-beta=%r' % (f['dense_alpha'], f['dense_beta']) if f.get('dense_beta') else ''; print('fitted:alpha=%r,beta=%r' % (f['alpha'], f['beta']) + d)" "$OUT/fit-mpi-cost.json")
rec "$program" report --bench-step "$OUT"/step-p*.json --network "$network" --out "$OUT" | tail -n 40
