#!/usr/bin/env python3
"""Markdown tables of a hogwild experiment (scripts/experiment-hogwild.sh), from the runs' summary.json files.
One row per method and staleness setting, seeds averaged (each seed in parentheses); accuracy at equal updates
is read off accuracy_over_updates (linear interpolation; those mid-run points use --eval-samples test samples,
the final accuracy the whole test set)."""
import json, os, re, sys
from collections import defaultdict

runs = sys.argv[1]

def load(d):
    with open(os.path.join(runs, d, "summary.json")) as f:
        return json.load(f)

def acc_at(points, u):
    pts = sorted((p["updates"], p["test_accuracy"]) for p in points)
    for (u0, a0), (u1, a1) in zip(pts, pts[1:]):
        if u0 <= u <= u1:
            return a0 if u1 == u0 else a0 + (a1 - a0) * (u - u0) / (u1 - u0)
    return float("nan")

def late_mean(points, u):
    late = [p["test_accuracy"] for p in points if p["updates"] >= u]
    return sum(late) / len(late) if late else float("nan")

def fmt(values, spec):
    if not values: return ""
    mean = sum(values) / len(values)
    s = format(mean, spec)
    return s if len(values) == 1 else f"{s} ({' / '.join(format(v, spec) for v in values)})"

grid, timed, sync, throughput = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
for d in sorted(os.listdir(runs)):
    if not os.path.exists(os.path.join(runs, d, "summary.json")): continue
    if m := re.fullmatch(r"(dense|topk|dense-lrtau)_inflight(\d+)_s(\d+)", d): grid[(m[1], int(m[2]))].append(load(d))
    elif m := re.fullmatch(r"(dense|topk|dense-lrtau)_(sleep|defer)([0-9.]+)(exp|ms)_s(\d+)", d): timed[(m[1], m[2], float(m[3]), m[4])].append(load(d))
    elif m := re.fullmatch(r"sync-lr([0-9.]+)_s(\d+)", d): sync[m[1]].append(load(d))
    elif m := re.fullmatch(r"throughput_(dense|topk)_(atomic|racy)_r(\d+)", d): throughput[(m[1], m[2])].append(load(d))

names = {"dense": "dense async", "topk": "top-k 0.01 + EF async", "dense-lrtau": "dense async, lr/tau"}
order = {"dense": 0, "topk": 1, "dense-lrtau": 2}
first = next(iter(grid.values()))[0]
updates, ranks, seeds = first["updates"], first["ranks"], len(next(iter(grid.values())))
half = updates // 2

def median(values, spec):
    v = sorted(values)
    mid = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return format(mid, spec) if len(v) == 1 else f"{format(mid, spec)} ({format(v[0], spec)}-{format(v[-1], spec)})"

def staleness_cells(rs):
    st = [r["staleness"] for r in rs]
    return (f"{fmt([s['mean'] for s in st], '.1f')} | {fmt([s['p50'] for s in st], '.0f')} | {fmt([s['p90'] for s in st], '.0f')} | "
            f"{fmt([s['max'] for s in st], '.0f')}")

print(f"### Accuracy at equal updates ({ranks} ranks, {updates} updates per run, {seeds} seed(s): mean (each seed))\n")
print(f"| method | injected | mean staleness | p50 | p90 | max | updates/s | accuracy at {half} updates | mean accuracy of the evaluations from {half} to {updates} | final accuracy ({updates} updates) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key in sorted(grid, key=lambda k: (k[1], order[k[0]])):
    m, depth = key
    rs = grid[key]
    print(f"| {names[m]} | {'nothing' if depth == 0 else f'{depth} updates in flight per rank'} | {staleness_cells(rs)} | "
          f"{fmt([r['updates_per_second'] for r in rs], '.0f')} | {fmt([acc_at(r['accuracy_over_updates'][:-1], half) for r in rs], '.4f')} | "
          f"{fmt([late_mean(r['accuracy_over_updates'], half) for r in rs], '.4f')} | "
          f"{fmt([r['test_accuracy'] for r in rs], '.4f')} |")
for lr, rs in sorted(sync.items()):
    print(f"| synchronous dense `train`, lr {lr} ({updates // ranks} steps of {ranks} x 64) | - | 0 | 0 | 0 | 0 | "
          f"{fmt([r['samples_per_second'] / r['batch_size_per_rank'] for r in rs], '.0f')} batches/s | | | {fmt([r['test_accuracy'] for r in rs], '.4f')} |")

if timed:
    print(f"\n### Injected time delays on this machine (dense async, {updates} updates)\n")
    print("| injected | mean staleness | p50 | p90 | max | mean delay measured (ms) | peak in flight per rank | updates/s | final accuracy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in sorted(timed, key=lambda k: (k[1] != "sleep", k[2])):
        m, mode, delay, dist = key
        rs = timed[key]
        what = f"sleep {delay:g} ms exponential (stragglers)" if mode == "sleep" else f"deferred write {delay:g} ms"
        print(f"| {what} | {staleness_cells(rs)} | {fmt([r['delay_ms_measured'] for r in rs], '.1f')} | "
              f"{fmt([r['peak_in_flight'] for r in rs], '.0f')} | {fmt([r['updates_per_second'] for r in rs], '.0f')} | {fmt([r['test_accuracy'] for r in rs], '.4f')} |")

if throughput:
    print(f"\n### Throughput ({ranks} ranks, no delay, no evaluation during the loop; {len(next(iter(throughput.values())))} interleaved repeats: median (min-max))\n")
    print("| compressor | writes | updates | updates/s | updates per CPU second (all ranks) | ms write per update | ms gradient + compression per update | mean staleness | bytes written into shared memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (m, u), rs in sorted(throughput.items()):
        print(f"| {'dense' if m == 'dense' else 'top-k 0.01'} | {u} | {rs[0]['updates']} | {median([r['updates_per_second'] for r in rs], '.0f')} | "
              f"{median([r['updates_per_cpu_second'] for r in rs], '.0f')} | {median([r['ms_write'] for r in rs], '.3f')} | {median([r['ms_gradient'] for r in rs], '.2f')} | "
              f"{median([r['staleness']['mean'] for r in rs], '.2f')} | {rs[0]['bytes_written_total'] / 1e6:.1f} MB |")
