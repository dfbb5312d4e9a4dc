#!/usr/bin/env bash
# The README's torch-vs-SIMD table ("GPUs: what was and was not run"): MLP (d = 203,530), top-k 0.01
# (k = 2035) with error feedback, 1 rank, 1 epoch, --device cpu, the SIMD kernel against the torch kernel on CPU
# tensors, REPEAT alternating runs each. Every run's summary.json and launch.cmd go to
# OUT/runs/<kernel>-<n>/ (default docs/results/kernels/torch-vs-simd); the table is the median of each
# ms_per_step phase and of samples_per_second over a kernel's runs (SparseMpi.Tests/Docs/HeadlineFigureTests.cs
# recomputes it). Both kernels must end with the same parameter_hash. A timing: run it on a quiet machine.
# ARGS: extra train options (e.g. ARGS="--max-steps 20" RUNS=/tmp/r OUT=/tmp/o for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${REPEAT:-3}; out=${OUT:-docs/results/kernels/torch-vs-simd}; runs=${RUNS:-runs/torch-vs-simd}
mpiexec=${MPIEXEC:-mpiexec --oversubscribe --bind-to none}
export TERM=dumb OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$runs"
for n in $(seq "$repeat"); do
  for kernel in simd torch; do
    dir=$runs/$kernel-$n
    cmd=($mpiexec -n 1 bin/sparsempi train --model mlp --epochs 1 --compressor topk --density 0.01 --error-feedback true
         --device cpu --select-kernel "$kernel" --seed 1 ${ARGS:-} --out "$dir")
    echo "== $kernel-$n"
    "${cmd[@]}" | tail -n 1
    printf '%q ' "${cmd[@]}" >"$dir/launch.cmd"; echo >>"$dir/launch.cmd"
  done
done
scripts/keep-runs.sh "$runs" "$out/runs"
python3 - "$out/runs" <<'PY'
import json, math, os, statistics, sys
runs = sys.argv[1]
by = {}
for d in sorted(os.listdir(runs)):
    s = json.load(open(os.path.join(runs, d, "summary.json")))
    by.setdefault(d.rsplit("-", 1)[0], []).append(s)
hashes = {s["parameter_hash"] for rs in by.values() for s in rs}
print(f"parameter hashes: {sorted(hashes)} ({'same' if len(hashes) == 1 else 'DIFFER'})")
print("| kernel | compute | select | comm | apply | total | samples/s |")
for k, rs in by.items():
    med = lambda f: statistics.median(f(s) for s in rs)
    print(f"| {k} | " + " | ".join(f"{med(lambda s: s['ms_per_step'][p]):.3g}" for p in ("compute", "select", "comm", "apply", "total"))
          + f" | {round(med(lambda s: s['samples_per_second']), 2 - int(math.floor(math.log10(med(lambda s: s['samples_per_second']))))):,.0f} |")
PY
