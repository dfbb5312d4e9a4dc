#!/usr/bin/env python3
"""Tables of scripts/cluster-bench.sh: python3 scripts/cluster-table.py OUT NODES RPN RATE... > OUT/README.md

Reads OUT/linkcheck-RATE.txt, OUT/bench-comm-{single,RATE}.json and OUT/train-{single,RATE}-{dense,topk}/summary.json
and prints Markdown: the link check, bench-comm side by side (with the dense ring allreduce's time on the link,
2(P-1)/P * 4d / rate), and ms per training step by phase."""
import json
import os
import re
import sys

out, nodes, rpn, rates = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
ranks = nodes * rpn
BITS = {"1gbit": 1e9, "10gbit": 10e9, "25gbit": 25e9}
tags = ["single"] + rates


def label(tag):
    return f"1 node x {ranks} ranks (shared memory)" if tag == "single" else f"{nodes} nodes x {rpn} at {tag}"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


print(f"# A cluster on one machine: {nodes} nodes x {rpn} rank(s) vs one node\n")
print("Made by `scripts/cluster-bench.sh` (`make bench-cluster`); every command it ran, the machine and its load are")
print("in [commands.txt](commands.txt). Emulated cluster: network namespaces, veth pairs into a bridge, each node's")
print("egress shaped with `tc tbf` (scripts/cluster.sh); real TCP between nodes, Open MPI `btl tcp,self,vader`,")
print(f"`--bind-to none`{', `mpi_yield_when_idle 1` (more ranks than cores)' if ranks > os.cpu_count() else ''}. No added latency (this kernel has no `netem`).\n")

print("## Link check (TCP stream node1 -> node2)\n")
print("| set rate | measured | of the rate |\n| --- | --- | --- |")
for rate in rates:
    text = open(os.path.join(out, f"linkcheck-{rate}.txt")).read() if os.path.exists(os.path.join(out, f"linkcheck-{rate}.txt")) else ""
    m = re.search(r"TCP ([0-9.]+) Gb/s.*: ([0-9.]+) of the rate: (\w+)", text)
    print(f"| {rate} | {m.group(1)} Gb/s | {m.group(2)} ({m.group(3)}) |" if m else f"| {rate} | (no result) | |")

print("\n## bench-comm: sparse allgather vs dense allreduce (ms, median of the slowest rank per round)\n")
print("| configuration | d | density | k | sparse | dense | dense / sparse | dense on the link, 2(P-1)/P·4d/rate |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for tag in tags:
    rows = load(os.path.join(out, f"bench-comm-{tag}.json")) or []
    for r in rows:
        model = f"{2 * (ranks - 1) / ranks * 4 * r['d'] * 8 / BITS[tag] * 1e3:.2f}" if tag in BITS else "-"
        print(f"| {label(tag)} | {r['d']} | {r['density']:g} | {r['k']} | {r['ms_sparse']:.2f} | {r['ms_dense']:.2f} | {r['speedup']:.1f}x | {model} |")

print("\n## train: MLP, ms per step by phase (rank 0's means)\n")
print("| configuration | compressor | compute | select | wait | comm | apply | total | test accuracy | steps | nodes, transport |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for tag in tags:
    for name in ("dense", "topk"):
        s = load(os.path.join(out, f"train-{tag}-{name}", "summary.json"))
        if not s:
            print(f"| {label(tag)} | {name} | (no result) |||||||||")
            continue
        m = s["ms_per_step"]
        comp = "dense" if s["compressor"] == "none" else f"top-k {s['density']:g}"
        p = s.get("placement") or {}
        print(f"| {label(tag)} | {comp} | {m['compute']:.2f} | {m['select']:.2f} | {m['wait']:.2f} | {m['comm']:.2f} | {m['apply']:.2f} | "
              f"{m['total']:.2f} | {s['test_accuracy']:.4f} | {s['steps']} | {p.get('nodes', '?')}, {p.get('transport_between_nodes', '?')} |")
