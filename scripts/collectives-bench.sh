#!/usr/bin/env bash
# The figures of "sparse exchanges that scale with P" (make bench-collectives): bench-comm with every exchange
# (--exchanges all, plus oktopk) on an emulated cluster of NODES nodes at RATE, for each rank count of PS (placed
# round-robin over the nodes: P / NODES ranks per node), each overlap of OVERLAPS, at DENSITIES; and at
# SWITCH_DENSITY for the rank counts of SWITCH_PS (the dense switch of the SparCML exchanges). One JSON per
# (P, overlap) and scripts/collectives-table.py's README.md with the tables and the commands.
# Run it on a quiet machine: more ranks than cores are scheduler-bound (oversubscribed), so other load changes
# every number.
#
# Knobs: NODES=4 RPN=8 (slots per node: the largest P / NODES) RATE=10gbit D=16777216 PS="4 8 16 32"
#        OVERLAPS="0 0.5" DENSITIES=0.001 SWITCH_DENSITY=0.1 SWITCH_PS="4 8" REPEAT=5 WARMUP=1 SEED=1
#        EXCHANGES=all,oktopk SPLIT_FROM=32 SPLIT_GROUPS="allgather,allreduce,ssar-rd,ssar-split,dsar-split,oktopk auto"
#        MPIEXEC=mpiexec.openmpi OUT=docs/results/collectives
# From SPLIT_FROM ranks on, the exchanges run in the groups of SPLIT_GROUPS, one launch each: 32 ranks holding every
# exchange's buffers at d = 2^24 (about 670 MB a rank) would not fit this machine's memory.
#        (a trial: OUT=/tmp/x D=65536 PS="4 8" REPEAT=2 SWITCH_PS=4)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
NODES=${NODES:-4} RPN=${RPN:-8} RATE=${RATE:-10gbit} D=${D:-16777216} PS=${PS:-"4 8 16 32"} OVERLAPS=${OVERLAPS:-"0 0.5"}
DENSITIES=${DENSITIES:-0.001} SWITCH_DENSITY=${SWITCH_DENSITY:-0.1} SWITCH_PS=${SWITCH_PS:-"4 8"} REPEAT=${REPEAT:-5}
WARMUP=${WARMUP:-1} SEED=${SEED:-1} EXCHANGES=${EXCHANGES:-all,oktopk} MPIEXEC=${MPIEXEC:-mpiexec.openmpi}
SPLIT_FROM=${SPLIT_FROM:-32} SPLIT_GROUPS=${SPLIT_GROUPS:-"allgather,allreduce,ssar-rd,ssar-split,dsar-split,oktopk auto"}
OUT=${OUT:-docs/results/collectives}
program=$root/bin/sparsempi
[ -x "$program" ] || { echo "collectives-bench: error: bin/sparsempi is missing: run 'make build' first" >&2; exit 2; }
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export NODES RPN RATE D PS OVERLAPS DENSITIES SWITCH_DENSITY SWITCH_PS REPEAT WARMUP SEED EXCHANGES SPLIT_FROM SPLIT_GROUPS MPIEXEC OUT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb
log=$OUT/commands.txt
rec() { echo "$*" >>"$log"; "$@"; }

# One bench-comm: $1 ranks, $2 overlap, $3 densities, $4 exchanges, $5 JSON name.
launch() {
  echo "== P=$1 overlap=$2 densities=$3 exchanges=$4"
  local formats=() # the allgather's wire format (bench-comm refuses it without the allgather)
  case ",$4," in *,all,*|*,allgather,*) formats=(--formats int32:fp32) ;; esac
  rec scripts/cluster.sh run -- "$MPIEXEC" -n "$1" --map-by node "$program" bench-comm -d "$D" --densities "$3" \
    "${formats[@]}" --exchanges "$4" --overlap "$2" --repeat "$REPEAT" --warmup "$WARMUP" --seed "$SEED" \
    --json "$OUT/$5" | tail -n 12
}

# All exchanges at $1 ranks, $2 overlap, $3 densities into JSON files named $4*.json (split in groups past SPLIT_FROM).
bench() {
  if [ "$1" -lt "$SPLIT_FROM" ]; then launch "$1" "$2" "$3" "$EXCHANGES" "$4.json"; return; fi
  local g=1 group
  for group in $SPLIT_GROUPS; do launch "$1" "$2" "$3" "$group" "$4-group$g.json"; g=$((g + 1)); done
}

if [ "${1:-}" = --on-cluster ]; then
  rec scripts/cluster.sh linkcheck | tee "$OUT/linkcheck.txt" || echo "collectives-bench: the link check failed (kept in linkcheck.txt)"
  for p in $PS; do
    for o in $OVERLAPS; do bench "$p" "$o" "$DENSITIES" "bench-p$p-overlap$o"; done
  done
  for p in $SWITCH_PS; do bench "$p" 0 "$SWITCH_DENSITY" "bench-p$p-overlap0-switch"; done
  exit 0
fi

: >"$log"
{ echo "# scripts/collectives-bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "# NODES=$NODES RPN=$RPN RATE=$RATE D=$D PS='$PS' OVERLAPS='$OVERLAPS' DENSITIES=$DENSITIES SWITCH_DENSITY=$SWITCH_DENSITY SWITCH_PS='$SWITCH_PS' REPEAT=$REPEAT WARMUP=$WARMUP SEED=$SEED EXCHANGES=$EXCHANGES MPIEXEC=$MPIEXEC"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"; } >>"$log"
rec scripts/cluster.sh session "$NODES" --ranks-per-node "$RPN" --rate "$RATE" -- "$0" --on-cluster
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
scripts/deps.sh python3 >/dev/null 2>&1 || true
python3 scripts/collectives-table.py "$OUT" >"$OUT/README.md"
echo "tables in $OUT/README.md"
