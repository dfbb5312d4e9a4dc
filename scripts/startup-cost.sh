#!/usr/bin/env bash
# Start-up cost: seconds from launching `mpiexec -n RANKS` to the first training step (rank 0's clock, which
# starts after every rank has loaded MPI, the data and the model), for Open MPI and MPICH. Median of REPEAT runs.
# Writes every run's seconds to JSON (default docs/results/startup.json; docs/results/startup.md and the
# README's start-up figure cite it): {ranks, repeat, command, launchers: {NAME: {launcher, seconds[], median,
# min, max}}}, median = the middle of the sorted seconds (the lower middle for an even REPEAT).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${RANKS:-4}; repeat=${REPEAT:-5}; json=${JSON:-docs/results/startup.json}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
train=(bin/sparsempi train --compressor none --max-steps 1)
entries=()
measure() { # launcher-name, command prefix...
  local name=$1; shift
  local values=()
  for i in $(seq "$repeat"); do
    local t0; t0=$(date +%s.%N)
    "$@" -n "$ranks" "${train[@]}" --out "$tmp/$name-$i" >/dev/null
    local first; first=$(grep -o '"first_step_unix_time": [0-9.]*' "$tmp/$name-$i/summary.json" | awk '{print $2}')
    values+=("$(awk -v a="$first" -v b="$t0" 'BEGIN {printf "%.4f", a - b}')")
  done
  printf '%s\n' "${values[@]}" | sort -n | awk -v n="$name" -v r="$ranks" '{a[NR]=$1} END {printf "%-8s %d ranks: median %.2f s to the first step (min %.2f, max %.2f, %d runs)\n", n, r, a[int((NR+1)/2)], a[1], a[NR], NR}'
  entries+=("$(printf '%s\n' "${values[@]}" | awk -v n="$name" -v l="$*" '
    {v[NR]=$1; s[NR]=$1} END {
      m=NR; for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (s[j]+0<s[i]+0) {t=s[i]; s[i]=s[j]; s[j]=t}
      printf "    \"%s\": {\"launcher\": \"%s\", \"seconds\": [", n, l
      for (i=1;i<=m;i++) printf "%s%s", (i>1?", ":""), v[i]
      printf "], \"median\": %s, \"min\": %s, \"max\": %s}", s[int((m+1)/2)], s[1], s[m] }')")
}
measure openmpi mpiexec.openmpi --oversubscribe --bind-to none -x TERM=dumb
measure mpich mpiexec.mpich
mkdir -p "$(dirname "$json")"
{ printf '{\n  "ranks": %d,\n  "repeat": %d,\n  "command": "%s",\n  "launchers": {\n' "$ranks" "$repeat" "${train[*]}"
  (IFS=$'\n'; echo "${entries[*]}") | sed '$!s/$/,/'
  printf '  }\n}\n'; } >"$json.tmp"
mv "$json.tmp" "$json"
echo "wrote $json"
