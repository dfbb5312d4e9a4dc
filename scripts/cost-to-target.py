#!/usr/bin/env python3
"""Cost each run of the dynamic-sparsity experiment needed to reach a target training loss.

Two tables, for docs/results/dynamic/:

  seeds    for every seed and cost model: the best and the median fixed density of the sweep against the
           dynamic rule run under that cost model (the ratios the issue's targets are stated in).
           Layout: RUNS/<model>/seed-<s>/<label>, labels fixed-<density> and dynamic-<cost model>.
  reprice  payload bits to target of a sweep of the rule's --header-bytes, every run priced with ONE header
           (the train verb prices a run with its own --header-bytes, which is also what the rule optimises
           against, so a sweep needs common pricing to compare). Arguments: LABEL=RUN_DIR ...

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


def cost_to_target(steps, target, price):
    """Sum of price(step) through the first step reaching the target; infinity if never reached."""
    hit = first_reaching(steps, target)
    return math.inf if hit is None else sum(price(r) for r in steps[:hit + 1])


def logged_cost_to_target(steps, target, field):
    """The run's own running total (metrics.jsonl's cost_* fields are cumulative) at the target step."""
    hit = first_reaching(steps, target)
    return math.inf if hit is None else steps[hit][field]


def fmt(x):
    return "not reached" if math.isinf(x) else f"{x:.3g}"


def ratio(cost, reference):
    """cost / reference as "1.23x"; words where either never reached the target."""
    if math.isinf(cost):
        return "not reached" if not math.isinf(reference) else "neither reached"
    return "–" if math.isinf(reference) else f"{cost / reference:.2f}x"


def seeds_table(args):
    print(f"Target training loss (smoothed): {args.target}. Ratios are the cost of the dynamic rule (run under "
          f"that cost model) over the best / the median fixed density of the sweep (median over the four densities, a run "
          f"that never reached the target counting as infinite); < 1 means the rule was cheaper.\n")
    print("| seed | cost model | best fixed | median fixed | dynamic | vs best | vs median |")
    print("|---|---|---|---|---|---|---|")
    base = os.path.join(args.runs, args.model)
    for seed_dir in sorted(d for d in os.listdir(base) if d.startswith("seed-")):
        runs = {label: records(os.path.join(base, seed_dir, label))
                for label in sorted(os.listdir(os.path.join(base, seed_dir)))}
        for model, (field, unit) in COSTS.items():
            fixed = {label: logged_cost_to_target(steps, args.target, field)
                     for label, steps in runs.items() if label.startswith("fixed-")}
            dynamic = logged_cost_to_target(runs[f"dynamic-{model}"], args.target, field)
            best_label = min(fixed, key=fixed.get)
            best, median = fixed[best_label], statistics.median(fixed.values())
            print(f"| {seed_dir[5:]} | {model} | {fmt(best)} {unit} ({best_label[6:]}) | {fmt(median)} | "
                  f"{fmt(dynamic)} | **{ratio(dynamic, best)}** | {ratio(dynamic, median)} |")


def reprice_table(args):
    print(f"Target training loss (smoothed): {args.target}; every run priced at {args.header_bytes:g} header "
          f"bytes + {args.entry_bits:g} bits per entry (mean over ranks, as the train verb does).\n")
    print("| run | k mean | steps to target | payload bits to target | vs best fixed |")
    print("|---|---|---|---|---|")
    price = lambda r: sum(args.header_bytes * 8 + args.entry_bits * k for k in r["k_per_rank"]) / len(r["k_per_rank"])
    rows = []
    for spec in args.runs:
        label, run_dir = spec.split("=", 1)
        steps = records(run_dir)
        mean_k = statistics.fmean(statistics.fmean(r["k_per_rank"]) for r in steps)
        rows.append((label, mean_k, first_reaching(steps, args.target), cost_to_target(steps, args.target, price)))
    best = min(bits for label, _, _, bits in rows if label.startswith("fixed"))
    for label, mean_k, hit, bits in rows:
        print(f"| {label} | {mean_k:.1f} | {'not reached' if hit is None else hit} | {fmt(bits)} | {ratio(bits, best)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="table", required=True)
    seeds = sub.add_parser("seeds")
    seeds.add_argument("--runs", required=True)
    seeds.add_argument("--model", required=True)
    seeds.add_argument("--target", type=float, required=True)
    reprice = sub.add_parser("reprice")
    reprice.add_argument("--target", type=float, required=True)
    reprice.add_argument("--header-bytes", type=float, default=28)
    reprice.add_argument("--entry-bits", type=float, default=64)
    reprice.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    args = parser.parse_args()
    seeds_table(args) if args.table == "seeds" else reprice_table(args)


if __name__ == "__main__":
    main()
