#!/usr/bin/env python3
"""Cost each run of the dynamic-sparsity experiment needed to reach a target training loss.

Two tables, for docs/results/dynamic/:

  seeds    for every seed and cost model: the best and the median fixed density of the sweep against the
           dynamic rule run under that cost model (the ratios the issue's targets are stated in).
           Layout: RUNS/<model>/seed-<s>/<label>, labels fixed-<density> and dynamic-<cost model>.
  reprice  payload bits to target of a sweep of the rule's --header-bytes, every run priced with ONE header
           (the train verb prices a run with its own --header-bytes, which is also what the rule optimises
           against, so a sweep needs common pricing to compare). Arguments: LABEL=RUN_DIR ...

  extract  per run directory: reads its metrics.jsonl (every step; not committed) and writes to-target.json
           beside its summary.json (small; committed under docs/results/dynamic/runs/): the target step and the
           costs through it. The two tables read only the to-target.json files, so they regenerate from the
           repository alone (`make results-tables`; `make check-results-tables` diffs them against the
           committed ones).

The target step is found as the plot verb finds it: the training loss averaged over a centred window of
21 logged steps; the cost is summed through that step.
"""
import argparse
import json
import math
import os
import statistics

HALF_WINDOW = 10  # ResultsTable.HalfWindow
COSTS = {"payload": ("cost_payload_bits", "bits"), "packet": ("cost_packet_bits", "bits"),
         "mpi": ("cost_mpi_seconds", "s")}


TO_TARGET = "to-target.json"


def records(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def first_reaching(steps, target):
    losses = [r["loss"] for r in steps]
    for i in range(len(losses)):
        window = losses[max(0, i - HALF_WINDOW):i + HALF_WINDOW + 1]
        if sum(window) / len(window) <= target:
            return i
    return None


def extract(run_dir, target):
    """What the tables need of one run's metrics.jsonl: the first logged step whose smoothed loss reaches the
    target (index into the logged steps, None if never), the run's own running cost totals (metrics.jsonl's
    cost_* fields are cumulative) at that step, and the per-step mean k (mean over ranks) summed through it, so
    that a run can be repriced as (steps to target) * header + entry bits * (sum of k)."""
    steps = records(run_dir)
    hit = first_reaching(steps, target)
    mean_k = [statistics.fmean(r["k_per_rank"]) for r in steps]
    out = {"target_loss": target, "half_window": HALF_WINDOW, "logged_steps": len(steps),
           "target_index": hit, "target_step": None if hit is None else steps[hit]["step"],
           "k_mean": statistics.fmean(mean_k),
           "k_mean_sum_to_target": None if hit is None else math.fsum(mean_k[:hit + 1])}
    for field, _ in COSTS.values():
        out[field] = None if hit is None else steps[hit][field]
    with open(os.path.join(run_dir, TO_TARGET), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


def to_target(run_dir, target):
    """A run's to-target.json, checked against the target asked for (None: the one it was extracted for)."""
    with open(os.path.join(run_dir, TO_TARGET)) as f:
        t = json.load(f)
    if target is None:
        target = t["target_loss"]
    if not math.isclose(t["target_loss"], target) or t["half_window"] != HALF_WINDOW:
        raise SystemExit(f"{run_dir}/{TO_TARGET} was extracted for target {t['target_loss']}, window "
                         f"{t['half_window']}; asked for {target}, {HALF_WINDOW}: run `extract` again")
    return t


def logged_cost_to_target(t, field):
    """The run's own running total at the target step; infinity if never reached."""
    return math.inf if t["target_index"] is None else t[field]


def fmt(x):
    return "not reached" if math.isinf(x) else f"{x:.3g}"


def ratio(cost, reference):
    """cost / reference as "1.23x"; words where either never reached the target."""
    if math.isinf(cost):
        return "not reached" if not math.isinf(reference) else "neither reached"
    return "–" if math.isinf(reference) else f"{cost / reference:.2f}x"


def common_target(runs, asked):
    """The target every run was extracted for (they must agree), or the one asked for."""
    targets = {t["target_loss"] for t in runs}
    if asked is None and len(targets) != 1:
        raise SystemExit(f"runs were extracted for different targets {sorted(targets)}: give --target")
    return asked if asked is not None else targets.pop()


def seeds_table(args):
    base = os.path.join(args.runs, args.model)
    seeds = {seed_dir: {label: to_target(os.path.join(base, seed_dir, label), args.target)
                        for label in sorted(os.listdir(os.path.join(base, seed_dir)))}
             for seed_dir in sorted(d for d in os.listdir(base) if d.startswith("seed-"))}
    target = common_target([t for runs in seeds.values() for t in runs.values()], args.target)
    print(f"Target training loss (smoothed): {target:g}. Ratios are the cost of the dynamic rule (run under "
          f"that cost model) over the best / the median fixed density of the sweep (median over the four densities, a run "
          f"that never reached the target counting as infinite); < 1 means the rule was cheaper.\n")
    print("| seed | cost model | best fixed | median fixed | dynamic | vs best | vs median |")
    print("|---|---|---|---|---|---|---|")
    for seed_dir, runs in seeds.items():
        for model, (field, unit) in COSTS.items():
            fixed = {label: logged_cost_to_target(t, field) for label, t in runs.items() if label.startswith("fixed-")}
            dynamic = logged_cost_to_target(runs[f"dynamic-{model}"], field)
            best_label = min(fixed, key=fixed.get)
            best, median = fixed[best_label], statistics.median(fixed.values())
            print(f"| {seed_dir[5:]} | {model} | {fmt(best)} {unit} ({best_label[6:]}) | {fmt(median)} | "
                  f"{fmt(dynamic)} | **{ratio(dynamic, best)}** | {ratio(dynamic, median)} |")


def reprice_table(args):
    runs = [(spec.split("=", 1)[0], to_target(spec.split("=", 1)[1], args.target)) for spec in args.runs]
    target = common_target([t for _, t in runs], args.target)
    print(f"Target training loss (smoothed): {target:g}; every run priced at {args.header_bytes:g} header "
          f"bytes + {args.entry_bits:g} bits per entry (mean over ranks, as the train verb does).\n")
    print("| run | k mean | steps to target | payload bits to target | vs best fixed |")
    print("|---|---|---|---|---|")
    rows = []
    for label, t in runs:
        hit = t["target_index"]
        bits = math.inf if hit is None else \
            (hit + 1) * args.header_bytes * 8 + args.entry_bits * t["k_mean_sum_to_target"]
        rows.append((label, t["k_mean"], hit, bits))
    best = min(bits for label, _, _, bits in rows if label.startswith("fixed"))
    for label, mean_k, hit, bits in rows:
        print(f"| {label} | {mean_k:.1f} | {'not reached' if hit is None else hit} | {fmt(bits)} | {ratio(bits, best)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="table", required=True)
    seeds = sub.add_parser("seeds")
    seeds.add_argument("--runs", required=True)
    seeds.add_argument("--model", required=True)
    seeds.add_argument("--target", type=float, help="default: the one the runs were extracted for")
    reprice = sub.add_parser("reprice")
    reprice.add_argument("--target", type=float, help="default: the one the runs were extracted for")
    reprice.add_argument("--header-bytes", type=float, default=28)
    reprice.add_argument("--entry-bits", type=float, default=64)
    reprice.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    extract_ = sub.add_parser("extract")
    extract_.add_argument("--target", type=float, required=True)
    extract_.add_argument("runs", nargs="+", metavar="RUN_DIR")
    args = parser.parse_args()
    if args.table == "extract":
        for run_dir in args.runs:
            extract(run_dir, args.target)
    else:
        seeds_table(args) if args.table == "seeds" else reprice_table(args)


if __name__ == "__main__":
    main()
