#!/usr/bin/env bash
# Exchanges on real top-k selections (make bench-from-run): trains each model of MODELS at each density of DENSITIES
# on P ranks with `train --record-selections`, then on an emulated cluster of NODES nodes at RATE replays the last
# recorded step with `bench-comm --from-run` (every exchange and Ok-Topk) beside the synthetic selections of the same
# d and density (`--overlap 0`, disjoint sets, and independent random sets). One JSON per (model, density, source)
# and a README.md table (scripts/from-run-table.py). The training is not timed (the selections depend on data, model
# and seed, not on timing); the benches are: run them on a quiet machine.
#
# Knobs: P=8 NODES=4 RATE=10gbit DENSITIES="0.01 0.001" MODELS="mlp wide" STEPS=300 REPEAT=5 WARMUP=1
#        EXCHANGES=all,oktopk MPIEXEC=mpiexec.openmpi OUT=docs/results/collectives/from-run
#        (wide: --hidden 2048,2048, d = 5,824,522, recorded at STEPS/WIDE_DIV steps; a trial: OUT=/tmp/x STEPS=20 MODELS=mlp REPEAT=1)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
P=${P:-8} NODES=${NODES:-4} RATE=${RATE:-10gbit} DENSITIES=${DENSITIES:-"0.01 0.001"} MODELS=${MODELS:-"mlp wide"}
STEPS=${STEPS:-300} WIDE_DIV=${WIDE_DIV:-3} REPEAT=${REPEAT:-5} WARMUP=${WARMUP:-1} EXCHANGES=${EXCHANGES:-all,oktopk}
MPIEXEC=${MPIEXEC:-mpiexec.openmpi} OUT=${OUT:-docs/results/collectives/from-run} RUNS=${RUNS:-/tmp/sparsempi-from-run}
program=$root/bin/sparsempi
[ -x "$program" ] || { echo "from-run-bench: error: bin/sparsempi is missing: run 'make build' first" >&2; exit 2; }
mkdir -p "$OUT" "$RUNS"; OUT=$(cd "$OUT" && pwd); RUNS=$(cd "$RUNS" && pwd)
export P NODES RATE DENSITIES MODELS STEPS WIDE_DIV REPEAT WARMUP EXCHANGES MPIEXEC OUT RUNS
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb
log=$OUT/commands.txt
rec() { echo "$*" >>"$log"; "$@"; }
# --epochs 10: enough that --max-steps, not the epoch count, ends every run
model_args() { case $1 in mlp) echo "--model mlp --epochs 10" ;; wide) echo "--model mlp --hidden 2048,2048 --epochs 10" ;; esac; }
model_steps() { case $1 in mlp) echo "$STEPS" ;; wide) echo $((STEPS / WIDE_DIV)) ;; esac; }

if [ "${1:-}" = --on-cluster ]; then
  rec scripts/cluster.sh linkcheck | tee "$OUT/linkcheck.txt" || echo "from-run-bench: the link check failed (kept in linkcheck.txt)"
  for m in $MODELS; do for x in $DENSITIES; do
    run=$RUNS/$m-$x
    d=$(python3 -c "import json; print(json.load(open('$run/summary.json'))['d'])")
    bench() { # $1 name, then bench-comm's selection options
      local name=$1; shift
      echo "== $m density $x: $name"
      rec scripts/cluster.sh run -- "$MPIEXEC" -n "$P" --map-by node "$program" bench-comm "$@" --formats int32:fp32 \
        --exchanges "$EXCHANGES" --repeat "$REPEAT" --warmup "$WARMUP" --json "$OUT/bench-$m-$x-$name.json" | tail -n 8
    }
    bench recorded --from-run "$run"
    # The synthetic selections at the recorded step's own density (sum of k / (P d)), which is k = d x for the fixed rule.
    bench overlap0 -d "$d" --densities "$x" --overlap 0
    bench random -d "$d" --densities "$x"
  done; done
  exit 0
fi

: >"$log"
{ echo "# scripts/from-run-bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "# P=$P NODES=$NODES RATE=$RATE DENSITIES='$DENSITIES' MODELS='$MODELS' STEPS=$STEPS WIDE_DIV=$WIDE_DIV REPEAT=$REPEAT WARMUP=$WARMUP EXCHANGES=$EXCHANGES MPIEXEC=$MPIEXEC"; } >>"$log"
for m in $MODELS; do for x in $DENSITIES; do
  run=$RUNS/$m-$x steps=$(model_steps "$m")
  # The last recorded step is steps - 1 (steps 0 .. steps-1 run; recorded every (steps - 1) / 3).
  train=("$MPIEXEC" --oversubscribe --bind-to none -n "$P" "$program" train $(model_args "$m") --density "$x" --max-steps "$steps"
    --log-every 10 --record-selections $(((steps - 1) / 3)) --out "$run")
  if [ -f "$run/summary.json" ]; then echo "# already trained, reused: ${train[*]}" >>"$log"
  else rec "${train[@]}" | tail -n 1; fi
  mkdir -p "$OUT/runs/$m-$x"; cp "$run/summary.json" "$OUT/runs/$m-$x/"
  python3 -c "import json,sys; [print(r['step'], r.get('fill_in'), r['k'], sep='\t') for r in map(json.loads, open('$run/metrics.jsonl')) if r.get('fill_in') is not None]" >"$OUT/runs/$m-$x/fill_in.tsv"
done; done
echo "# load average before the benches: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
rec scripts/cluster.sh session "$NODES" --ranks-per-node $(((P + NODES - 1) / NODES)) --rate "$RATE" -- "$0" --on-cluster
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
python3 scripts/from-run-table.py "$OUT" >"$OUT/README.md"
echo "tables in $OUT/README.md"
