#!/usr/bin/env python3
"""README.md of docs/results/collectives/ from the bench-comm JSON files scripts/collectives-bench.sh wrote.

Usage: collectives-table.py DIR  (prints markdown). Every figure is read from DIR/bench-*.json and DIR/commands.txt.
"""
import glob
import json
import os
import re
import sys

EXACT = ["allgather", "allreduce", "ssar-rd", "ssar-split", "dsar-split"]


def load(directory):
    rows = []
    for path in sorted(glob.glob(os.path.join(directory, "bench-*.json"))):
        for row in json.load(open(path)):
            row["file"] = os.path.basename(path)
            rows.append(row)
    return rows


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def main(directory):
    rows = load(directory)
    commands = open(os.path.join(directory, "commands.txt")).read().splitlines() if os.path.exists(os.path.join(directory, "commands.txt")) else []
    header = [c for c in commands if c.startswith("#")]
    link = open(os.path.join(directory, "linkcheck.txt")).read().strip() if os.path.exists(os.path.join(directory, "linkcheck.txt")) else ""
    out = []
    out.append("# Sparse exchanges that scale with P: every exchange on an emulated cluster\n")
    out.append("Made by `scripts/collectives-bench.sh` (`make bench-collectives`); every command, the machine and its load are in")
    out.append("[commands.txt](commands.txt); the raw rows are the `bench-*.json` files here (one per launch). Emulated cluster")
    out.append("(`scripts/cluster.sh`): network namespaces as nodes, real TCP over shaped veth links, Open MPI `btl tcp,self,vader`,")
    out.append("ranks placed round-robin over the nodes (`--map-by node`). **Oversubscribed**: up to 32 ranks on a 2-core machine, so")
    out.append("the local work (merging, summing, copying) of many ranks competes for two cores and the times at large P are")
    out.append("CPU-bound as much as network-bound; read the ratios between exchanges in one launch, not the absolute times.")
    out.append("Times: median over the timed rounds of the slowest rank's time (barrier before each round); `min` the fastest round.\n")
    for h in header:
        out.append(f"    {h}")
    if link:
        out.append("\nLink check (node1 -> node2):\n")
        for line in link.splitlines()[-3:]:
            out.append(f"    {line}")
    out.append("")
    findings = os.path.join(directory, "findings.md")
    if os.path.exists(findings):  # the written reading of the rows, kept beside them
        out.append(open(findings).read())
    keys = sorted({(r["ranks"], r.get("overlap"), r["density"]) for r in rows}, key=lambda k: (k[2], k[0], k[1] or 0))
    summary = []
    for p, overlap, density in keys:
        group = [r for r in rows if r["ranks"] == p and r.get("overlap") == overlap and r["density"] == density]
        k = group[0]["k"]
        d = group[0]["d"]
        out.append(f"## P = {p}, overlap {overlap}, density {density} (d = {d}, k = {k} per rank)\n")
        out.append("| exchange | ms (median) | ms (min) | predicted ms | predicted / measured | bytes received per rank | bytes sent per rank | fill-in | applied | correct | allgather ms / this |")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        gather = next((r for r in group if r["exchange"] == "allgather"), None)
        for r in group:
            name = r["exchange"] + (f" [{r['chosen']}]" if r.get("chosen") else "")
            pred = r.get("ms_predicted")
            ratio = (pred / r["ms_sparse"]) if pred and r["ms_sparse"] > 0 else None
            vs = gather["ms_sparse"] / r["ms_sparse"] if gather and r["ms_sparse"] > 0 else None
            out.append(f"| {name} | {fmt(r['ms_sparse'])} | {fmt(r['ms_sparse_min'])} | {fmt(pred)} | {fmt(ratio)} | "
                       f"{r['bytes_sparse_received_per_rank']:.0f} | {r['bytes_sparse_sent_per_rank']:.0f} | {fmt(r['fill_in'], 3)} | "
                       f"{r.get('applied') if r.get('applied') is not None else '-'} | {'yes' if r['correct'] else 'NO'} | {fmt(vs)} |")
        dense = group[0]
        out.append(f"\nDense MPI_Allreduce of d floats in the same launch: {fmt(dense['ms_dense'])} ms (median).\n")
        exact = [r for r in group if r["exchange"] in EXACT]
        auto = next((r for r in group if r["exchange"] == "auto"), None)
        ok = next((r for r in group if r["exchange"] == "oktopk"), None)
        best = min(exact, key=lambda r: r["ms_sparse"]) if exact else None
        line = {"ranks": p, "overlap": overlap, "density": density, "k": k}
        if best and gather:
            line["best_exact"] = best["exchange"]
            line["best_exact_ms"] = best["ms_sparse"]
            line["allgather_ms"] = gather["ms_sparse"]
            fastest = min([r for r in group if r["exchange"] != "auto"], key=lambda r: r["ms_sparse"])
            line["best_any"] = fastest["exchange"]
            line["allgather_over_best"] = gather["ms_sparse"] / fastest["ms_sparse"]
        if auto and best:
            line["auto_chosen"] = auto.get("chosen")
            line["auto_over_best_exact"] = auto["ms_sparse"] / best["ms_sparse"]
        if ok:
            bound = 24.0 * k * (p - 1) / p  # 6k(P-1)/P words of 4 bytes
            line["oktopk_received"] = ok["bytes_sparse_received_per_rank"]
            line["oktopk_sent"] = ok["bytes_sparse_sent_per_rank"]
            line["oktopk_bound"] = bound
        summary.append(line)
    out.append("## Summary per row\n")
    out.append("| P | overlap | density | best exact (ms) | best of all | allgather ms / best | auto ran | auto / best exact | oktopk bytes received, sent per rank | 6k(P-1)/P words in bytes |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in summary:
        out.append(f"| {s['ranks']} | {s['overlap']} | {s['density']} | {s.get('best_exact', '-')} ({fmt(s.get('best_exact_ms'))}) | {s.get('best_any', '-')} | "
                   f"{fmt(s.get('allgather_over_best'))} | {s.get('auto_chosen', '-')} | {fmt(s.get('auto_over_best_exact'))} | "
                   f"{fmt(s.get('oktopk_received'), 0)}, {fmt(s.get('oktopk_sent'), 0)} | {fmt(s.get('oktopk_bound'), 0)} |")
    print("\n".join(out))
    with open(os.path.join(directory, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
