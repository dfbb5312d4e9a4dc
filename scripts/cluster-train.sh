#!/usr/bin/env bash
# Training runs on an emulated cluster (scripts/cluster.sh): every configuration of a runs file, at each link
# rate of RATES, on NODES nodes x RPN ranks, one `train` each, into OUT/RATE/NAME (summary.json, metrics.jsonl,
# evaluations.jsonl; tensorboard/ and metrics.csv dropped to keep the committed data small). Then
# scripts/cluster-train-table.py writes OUT/README.md: per rate, each run's accuracy, ms per step by phase, bytes
# and (with TARGET) the wall seconds to the target test accuracy, means over seeds where a configuration ran
# with several.
#
# A runs file (scripts/cluster-runs/*.runs): one configuration a line, "NAME train-options...", # comments; the
# same options for every rate. Options every run shares (model, epochs, seed, ...) go in COMMON.
#
# Knobs: RUNS=scripts/cluster-runs/exchanges.runs NODES=4 RPN=2 RATES="1gbit 10gbit" COMMON="" SEEDS="1"
#        (each line runs once per seed, NAME-sSEED; a line whose options give --seed runs once) TARGET=
#        MPIEXEC=mpiexec.openmpi OUT=docs/results/collectives/training ONLY= (names to run, space-separated)
# Run it on a quiet machine: more ranks than cores are scheduler-bound, so other load changes every time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
RUNS=${RUNS:-scripts/cluster-runs/exchanges.runs} NODES=${NODES:-4} RPN=${RPN:-2} RATES=${RATES:-"1gbit 10gbit"}
COMMON=${COMMON:-} SEEDS=${SEEDS:-1} TARGET=${TARGET:-} MPIEXEC=${MPIEXEC:-mpiexec.openmpi} ONLY=${ONLY:-}
OUT=${OUT:-docs/results/collectives/training}
program=$root/bin/sparsempi
[ -x "$program" ] || { echo "cluster-train: error: bin/sparsempi is missing: run 'make build' first" >&2; exit 2; }
[ -f "$RUNS" ] || { echo "cluster-train: error: no runs file $RUNS" >&2; exit 2; }
RUNS=$(cd "$(dirname "$RUNS")" && pwd)/$(basename "$RUNS")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export RUNS NODES RPN RATES COMMON SEEDS TARGET MPIEXEC OUT ONLY
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb
log=$OUT/commands.txt
rec() { echo "$*" >>"$log"; "$@"; }

# One run: $1 rate, $2 run name, the rest its options.
run() {
  local rate=$1 name=$2; shift 2
  local dir=$OUT/$rate/$name
  echo "== $rate $name: $*"
  rm -rf "$dir"; mkdir -p "$OUT/$rate"
  # shellcheck disable=SC2086 # COMMON is a list of options
  rec scripts/cluster.sh run -- "$MPIEXEC" -n $((NODES * RPN)) --map-by node "$program" train $COMMON "$@" --out "$dir" </dev/null | tail -n 2 # stdin: the runs file
  rm -rf "$dir/tensorboard" "$dir/metrics.csv" "$dir/checkpoints"
}

if [ "${1:-}" = --on-cluster ]; then
  rate=$2
  rec scripts/cluster.sh linkcheck | tee "$OUT/linkcheck-$rate.txt" || echo "cluster-train: the link check failed (kept in linkcheck-$rate.txt)"
  while read -r name options; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ -n "$ONLY" ] && ! [[ " $ONLY " == *" $name "* ]]; then continue; fi
    # shellcheck disable=SC2086 # options is a list
    if [[ " $options " == *" --seed "* ]]; then run "$rate" "$name" $options; continue; fi
    for seed in $SEEDS; do run "$rate" "$name-s$seed" $options --seed "$seed"; done
  done <"$RUNS"
  exit 0
fi

[ -n "$ONLY" ] && [ -f "$log" ] || : >"$log"
{ echo "# scripts/cluster-train.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "# RUNS=$RUNS NODES=$NODES RPN=$RPN RATES='$RATES' COMMON='$COMMON' SEEDS='$SEEDS' TARGET=$TARGET MPIEXEC=$MPIEXEC ONLY='$ONLY'"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"; } >>"$log"
cp "$RUNS" "$OUT/runs.txt"
for rate in $RATES; do
  rec scripts/cluster.sh session "$NODES" --ranks-per-node "$RPN" --rate "$rate" -- "$0" --on-cluster "$rate"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
scripts/deps.sh python3 >/dev/null 2>&1 || true
python3 scripts/cluster-train-table.py "$OUT" ${TARGET:+--target "$TARGET"} >"$OUT/README.md"
echo "tables in $OUT/README.md"
