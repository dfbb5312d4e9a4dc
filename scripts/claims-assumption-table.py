#!/usr/bin/env python3
"""Markdown table of Alistarh et al.'s assumption over train --log-assumption runs (scripts/claims-assumption.sh).

Usage: claims-assumption-table.py RUN_DIR... (each with summary.json and metrics.jsonl). Per run, over the
measured (logged) steps: the largest ||acc - TopK(acc)|| / ||acc|| (largest over ranks) beside sqrt(1 - k/d), how
many steps it exceeded that, and xi / xi_topk (min, median, max, last)."""
import json
import statistics
import sys


def row(d):
    s = json.load(open(f"{d}/summary.json"))
    records = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
    m = [r for r in records if r.get("xi") is not None]
    if not m:
        sys.exit(f"{d}: no step with xi (run with --log-assumption true)")
    ratio = [r["topk_residual_ratio"] for r in m]
    above = sum(r["topk_residual_ratio"] > r["randomk_bound"] for r in m)
    xi = [r["xi"] for r in m]
    xt = [r["xi_topk"] for r in m]
    f = lambda v: f"{min(v):.3f} / {statistics.median(v):.3f} / {max(v):.3f} / {v[-1]:.3f}"
    return (f"| {s['ranks']} | {s['density']:.3g} | {str(s['error_feedback']).lower()} | {s['k']} | {s['steps']} | {s['test_accuracy']:.4f} "
            f"| {max(ratio):.5f} | {m[0]['randomk_bound']:.5f} | {above} of {len(m)} | {f(xi)} | {f(xt)} |")


print("| ranks | k/d | error feedback | k | steps | test accuracy | max ratio | sqrt(1-k/d) | steps above it "
      "| xi min / median / max / last | xi_topk min / median / max / last |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for d in sys.argv[1:]:
    print(row(d))
