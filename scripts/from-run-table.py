#!/usr/bin/env python3
"""README.md of a scripts/from-run-bench.sh directory: every exchange on a training run's recorded selections beside
synthetic ones of the same d and density.

Usage: from-run-table.py DIR  (prints markdown). Every figure is read from DIR/bench-MODEL-DENSITY-SOURCE.json,
DIR/runs/*/summary.json and DIR/commands.txt.
"""
import glob
import json
import os
import re
import sys

SOURCES = ["recorded", "overlap0", "random"]
LABEL = {"recorded": "recorded (real top-k)", "overlap0": "synthetic, disjoint (--overlap 0)", "random": "synthetic, independent random"}


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def main(directory):
    benches = {}
    for path in sorted(glob.glob(os.path.join(directory, "bench-*.json"))):
        m = re.match(r"bench-(.+)-([0-9.]+)-(recorded|overlap0|random)\.json$", os.path.basename(path))
        if m:
            benches[(m.group(1), m.group(2), m.group(3))] = json.load(open(path))
    commands = open(os.path.join(directory, "commands.txt")).read().splitlines()
    out = ["# Exchanges on real top-k selections (`bench-comm --from-run`)\n",
           "Made by `scripts/from-run-bench.sh` (`make bench-from-run`); every command, the machine and its load are in",
           "[commands.txt](commands.txt); the raw rows are the `bench-*.json` files here, the trainings' summaries and",
           "fill-in per logged step in `runs/`. Each training recorded every rank's selection (`train --record-selections`);",
           "bench-comm replayed the last recorded step on the emulated cluster (`scripts/cluster.sh`: network namespaces as",
           "nodes, shaped veth links, Open MPI over TCP, ranks round-robin over the nodes), then timed the same exchanges on",
           "synthetic selections of the same d and density in the same session. Oversubscribed (more ranks than the 2",
           "cores): read the ratios between rows of one launch; absolute times are orientation only.\n"]
    out += [f"    {c}" for c in commands if c.startswith("#")]
    out.append("")
    findings = os.path.join(directory, "findings.md")
    if os.path.exists(findings):
        out.append(open(findings).read())
    for model, density in sorted({(m, x) for m, x, _ in benches}, key=lambda t: (t[0], -float(t[1]))):
        rec = benches.get((model, density, "recorded"))
        if not rec:
            continue
        r0 = rec[0]
        out.append(f"## {model}, density {density}: d = {r0['d']}, P = {r0['ranks']}, step {r0['from_step']} of the run, "
                   f"k {r0['k_min']}..{r0['k_max']} per rank\n")
        out.append("| exchange | source | ms (median) | predicted ms | bytes received per rank | fill-in | applied | correct | allgather ms / this |")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for source in SOURCES:
            rows = benches.get((model, density, source), [])
            allgather = next((r["ms_sparse"] for r in rows if r["exchange"] == "allgather"), None)
            for r in rows:
                name = r["exchange"] + (f" [{r['chosen']}]" if r.get("chosen") else "")
                out.append(f"| {name} | {LABEL[source]} | {fmt(r['ms_sparse'], 3)} | {fmt(r.get('ms_predicted'), 3)} | "
                           f"{r['bytes_sparse_received_per_rank']:.0f} | {fmt(r['fill_in'], 4)} | {r.get('applied') if r.get('applied') is not None else '-'} | "
                           f"{'yes' if r['correct'] else 'NO'} | {fmt(allgather / r['ms_sparse'] if allgather else None)} |")
            if rows:
                out.append(f"| dense allreduce | {LABEL[source]} | {fmt(rows[0]['ms_dense'], 3)} | - | {rows[0]['bytes_dense_received_per_rank']} | - | - | - | "
                           f"{fmt(allgather / rows[0]['ms_dense'] if allgather else None)} |")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
