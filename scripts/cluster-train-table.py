#!/usr/bin/env python3
"""Tables of scripts/cluster-train.sh: python3 scripts/cluster-train-table.py OUT [--target ACC] > OUT/README.md

Reads OUT/runs.txt, OUT/commands.txt, OUT/linkcheck-RATE.txt and every OUT/RATE/RUN/{summary.json,
evaluations.jsonl}. Per rate: each run's final test accuracy, ms per step by phase (rank 0's means), bytes sent per
rank per step and wall seconds; with --target, the wall seconds (and step) of the first evaluation at or above the
target test accuracy. Runs named NAME-sSEED are one configuration over seeds: its row gives the mean and the range.
A configuration named "dense" is the reference of the "dense / this" time-to-target ratio; one named "allgather"
(or ending in "-allgather") that of the accuracy difference of the configurations with the same density."""
import json
import os
import re
import statistics
import sys

args = sys.argv[1:]
out = args[0]
target = float(args[args.index("--target") + 1]) if "--target" in args else None
PHASES = ["compute", "select", "wait", "comm", "apply", "total"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def evaluations(run_dir):
    path = os.path.join(run_dir, "evaluations.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def to_target(run_dir):
    for e in evaluations(run_dir):
        if e["test_accuracy"] >= target:
            return e["wall_seconds"], e["step"]
    return None


def spread(values, fmt):
    if not values:
        return "-"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.mean(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


rates = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
print(f"# Training on the emulated cluster ({os.path.basename(os.path.abspath(out))})\n")
print("Made by `scripts/cluster-train.sh`; every command, the machine and its load are in [commands.txt](commands.txt),")
print("the configurations in [runs.txt](runs.txt). ms per step: rank 0's mean per phase; `wait` is the time the ranks")
print("wait for each other before the exchange (the slowest rank's compute), so on an oversubscribed node it carries")
print("the other ranks' CPU time. Wall seconds include start-up and evaluations." + (f" Target test accuracy: {target} (fixed before the runs)." if target else "") + "\n")
for rate in rates:
    check = os.path.join(out, f"linkcheck-{rate}.txt")
    m = re.search(r"TCP ([0-9.]+) Gb/s", open(check).read()) if os.path.exists(check) else None
    print(f"## {rate}" + (f" (link check: {m.group(1)} Gb/s)" if m else "") + "\n")
    configs = {}
    for run in sorted(os.listdir(os.path.join(out, rate))):
        s = load(os.path.join(out, rate, run, "summary.json"))
        if s is None:
            continue
        name = re.sub(r"-s\d+$", "", run)
        configs.setdefault(name, []).append((run, s))
    header = ["configuration", "seeds", "test accuracy"] + [f"ms {p}" for p in PHASES] + ["bytes sent/rank/step", "wall s"]
    if target:
        header += [f"s to {target}", "dense / this"]
    header += ["accuracy - allgather"]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    tt = {name: [t[0] for t in (to_target(os.path.join(out, rate, r)) for r, _ in runs) if t] for name, runs in configs.items()} if target else {}
    for name, runs in configs.items():
        acc = [s["test_accuracy"] for _, s in runs]
        row = [name, ",".join(str(s["seed"]) for _, s in runs), spread(acc, "{:.4f}")]
        row += [spread([s["ms_per_step"][p] for _, s in runs], "{:.2f}") for p in PHASES]
        row += [spread([s["bytes_sent_per_rank"] / max(1, s["steps_this_run"]) for _, s in runs], "{:.0f}")]
        row += [spread([s["wall_seconds"] for _, s in runs], "{:.1f}")]
        if target:
            reached = tt[name]
            row += [spread(reached, "{:.1f}") + ("" if len(reached) == len(runs) else f" ({len(runs) - len(reached)} of {len(runs)} never)")]
            dense = tt.get("dense")
            row += [f"{statistics.mean(dense) / statistics.mean(reached):.2f}x" if dense and reached and len(reached) == len(runs) else "-"]
        density = runs[0][1].get("density")
        reference = next((n for n in configs if (n == "allgather" or n.endswith("-allgather")) and configs[n][0][1].get("density") == density), None)
        row += [f"{statistics.mean(acc) - statistics.mean(s['test_accuracy'] for _, s in configs[reference]):+.4f}" if reference and reference != name else "-"]
        print("| " + " | ".join(row) + " |")
    print()
