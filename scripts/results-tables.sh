#!/usr/bin/env bash
# The experiment tables, from the runs committed under docs/results/*/runs/ alone (summary.json, to-target.json;
# scripts/keep-runs.sh put them there): topk/results.md (the plot verb's table, which reads only summary.json),
# dynamic/<model>/seeds.md and header-sweep.md (scripts/cost-to-target.py, which reads only to-target.json), and
# hogwild/results.md (scripts/hogwild-table.py, which reads only summary.json).
# The dynamic results.md tables and every plot need metrics.jsonl, which is not committed: the experiments make
# those. Usage: scripts/results-tables.sh [OUT]   (default docs/results), or scripts/results-tables.sh --check
# (`make check-results-tables`): regenerate into a temporary directory and diff against the committed tables;
# exits 1 on any difference, or when there are no committed runs to regenerate from.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program=${SPARSEMPI:-$root/bin/sparsempi}
results=$root/docs/results
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check=0; if [ "${1:-}" = --check ]; then check=1; out=$tmp/out; else out=${1:-$results}; fi
made=()

# Top-k: the runs in the experiment's order (jobs/experiment-topk.sh).
topk=$results/topk/runs
if [ -d "$topk" ]; then
  labels=(dense); for density in 0.01 0.001 0.0001; do labels+=("topk-$density-ef" "topk-$density-no-ef"); done
  dirs=(); for l in "${labels[@]}"; do dirs+=("$topk/$l"); done
  read -r ranks epochs < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["ranks"], s["epochs"])' "$topk/dense/summary.json")
  "$program" plot "${dirs[@]}" --labels "$(IFS=,; echo "${labels[*]}")" --out "$tmp/topk" \
    --title "Top-k sparsification with and without error feedback (MLP, $ranks ranks, $epochs epochs)" >/dev/null
  mkdir -p "$out/topk"; cp "$tmp/topk/results.md" "$out/topk/results.md"; made+=(topk/results.md)
fi

# Dynamic sparsity (jobs/experiment-dynamic.sh): per model the seeds table with and without error feedback, the
# header sweep (priced at the real 28-byte header against the first seed's fixed densities), the large batch.
dynamic=$results/dynamic/runs
ctt() { python3 "$root/scripts/cost-to-target.py" "$@"; }
for model in logreg mlp; do
  for variant in "$model" "$model-no-ef"; do
    [ -d "$dynamic/$variant" ] || continue
    mkdir -p "$out/dynamic/$variant"
    ctt seeds --runs "$dynamic" --model "$variant" >"$out/dynamic/$variant/seeds.md"; made+=("dynamic/$variant/seeds.md")
  done
  sweep=$dynamic/$model/header-sweep
  [ -d "$sweep" ] || continue
  first=$(cd "$dynamic/$model" && ls -d seed-* | sort -t- -k2 -n | head -n 1)
  priced=()
  for d in $(cd "$dynamic/$model/$first" && ls -d fixed-* | sort -t- -k2 -g); do priced+=("$d=$dynamic/$model/$first/$d"); done
  for h in $(cd "$sweep" && ls -d header-* | sort -t- -k2 -n); do priced+=("rule-$h=$sweep/$h"); done
  ctt reprice --header-bytes 28 "${priced[@]}" >"$out/dynamic/$model/header-sweep.md"; made+=("dynamic/$model/header-sweep.md")
done
if [ -d "$dynamic/large-batch/logreg" ]; then
  mkdir -p "$out/dynamic/logreg-large-batch"
  ctt seeds --runs "$dynamic/large-batch" --model logreg >"$out/dynamic/logreg-large-batch/seeds.md"
  made+=(dynamic/logreg-large-batch/seeds.md)
fi
# Hogwild (scripts/experiment-hogwild.sh): scripts/hogwild-table.py reads only the runs' summary.json.
if [ -d "$results/hogwild/runs" ]; then
  mkdir -p "$out/hogwild"
  python3 "$root/scripts/hogwild-table.py" "$results/hogwild/runs" >"$out/hogwild/results.md"; made+=(hogwild/results.md)
fi

# The dynamic-k claim check (jobs/experiment-claims-dynamic-k.sh): scripts/claims-dynamic-k.py reads only
# fstar.json and the runs' to-target.json and summary.json.
claims=$results/claims/dynamic-k
if [ -d "$claims/runs" ]; then
  mkdir -p "$out/claims/dynamic-k"
  python3 "$root/scripts/claims-dynamic-k.py" table --out "$claims" >"$out/claims/dynamic-k/table.md"; made+=(claims/dynamic-k/table.md)
fi

echo "tables from the committed runs: ${made[*]:-none (no docs/results/*/runs/ of topk or dynamic)}"
[ "$check" = 1 ] || exit 0
[ "${#made[@]}" -gt 0 ] || { echo "nothing to check: no committed runs" >&2; exit 1; }
status=0
for f in "${made[@]}"; do
  if diff -u "$results/$f" "$out/$f"; then echo "same: docs/results/$f"; else echo "DIFFERS: docs/results/$f" >&2; status=1; fi
done
exit $status
