#!/usr/bin/env bash
# Start-up cost: seconds from launching `mpiexec -n RANKS` to the first training step (rank 0's clock, which
# starts after every rank has loaded MPI, the data and the model), for Open MPI and MPICH. Median of REPEAT runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${RANKS:-4}; repeat=${REPEAT:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
measure() { # launcher-name, command prefix...
  local name=$1; shift
  local values=()
  for i in $(seq "$repeat"); do
    local t0; t0=$(date +%s.%N)
    "$@" -n "$ranks" bin/sparsempi train --compressor none --max-steps 1 --out "$tmp/$name-$i" >/dev/null
    local first; first=$(grep -o '"first_step_unix_time": [0-9.]*' "$tmp/$name-$i/summary.json" | awk '{print $2}')
    values+=("$(awk -v a="$first" -v b="$t0" 'BEGIN {print a - b}')")
  done
  printf '%s\n' "${values[@]}" | sort -n | awk -v n="$name" -v r="$ranks" '{a[NR]=$1} END {printf "%-8s %d ranks: median %.2f s to the first step (min %.2f, max %.2f, %d runs)\n", n, r, a[int((NR+1)/2)], a[1], a[NR], NR}'
}
measure openmpi mpiexec.openmpi --oversubscribe --bind-to none -x TERM=dumb
measure mpich mpiexec.mpich
