#!/usr/bin/env bash
# Copy what an experiment's tables and figures come from into the repository: for every run directory under
# RUNS (one with a summary.json), its summary.json, launch.cmd (the exact command) and to-target.json
# (scripts/cost-to-target.py extract), and every fit-mpi-cost directory's fit.json + launch.cmd, to the same
# relative path under DEST (replaced). Not copied: metrics.jsonl (every step), metrics.csv, tensorboard/,
# checkpoints. Usage: scripts/keep-runs.sh RUNS DEST
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 RUNS DEST" >&2; exit 2; }
runs=${1%/}; dest=${2%/}
[ -d "$runs" ] || { echo "$0: no directory $runs" >&2; exit 1; }
rm -rf "$dest"; mkdir -p "$dest"
n=0
while IFS= read -r -d '' file; do
  dir=$(dirname "$file"); rel=${dir#"$runs"}; rel=${rel#/}
  mkdir -p "$dest/$rel"
  for f in summary.json fit.json launch.cmd to-target.json; do
    [ -f "$dir/$f" ] && cp "$dir/$f" "$dest/$rel/$f"
  done
  n=$((n + 1))
done < <(find "$runs" \( -name summary.json -o -name fit.json \) -print0 | sort -z)
echo "kept $n runs of $runs in $dest ($(du -sh "$dest" | cut -f1))"
