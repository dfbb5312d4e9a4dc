#!/usr/bin/env python3
"""Cost to reach f - f* <= eps (f(x0) - f*) of every run of jobs/experiment-claims-dynamic-k.sh, and the table.

  collect  --runs RUNS --out OUT: f* of each problem (model and l2) from its long dense full-batch run
           RUNS/fstar-<name>, written to OUT/fstar.json: for softmax regression with l2 > 0 the run's float64
           objective at its last parameters (summary final_objective_float64), with the certificate
           f - f* <= ||grad f||^2 / (2 l2) (suboptimality_bound) in OUT/fstar-certificate.json; for the MLP (not
           convex) the least float32 objective of the run (about 1e-7 relative), and 0, the cross-entropy's
           infimum, where there is no l2 (a network memorises the images). For every run under RUNS (a
           directory with metrics.jsonl, every step logged): its summary.json (the per-epoch list cut to its last entry), launch.cmd and to-target.json (the
           step at which each eps is first reached and the costs paid before it, i.e. through the step before, under
           each cost model; or, not reached, the costs of the whole run as a lower bound) to OUT/runs/<same path>.
           Needs metrics.jsonl (not committed).
  table    --out OUT: the tables from OUT/fstar.json and OUT/runs/**/to-target.json alone (so they regenerate
           from the repository): per stage, seed, cost model and eps, the best fixed k, the rule's cost, their
           ratio; then the claim table.
"""
import argparse
import json
import os
import shutil
import statistics

EPS = [1e-1, 1e-2, 1e-3, 1e-4]
CLAIM_EPS = [1e-3, 1e-2, 1e-1]
# The rule run of each cost model, and the cost it is priced in (every run accounts all four).
MODELS = {"payload": ("dynamic-payload", "cost_payload_bits"),
          "payload-log2d": ("dynamic-payload-log2d", "cost_payload_log2d_bits"),
          "packet": ("dynamic-packet", "cost_packet_bits"),
          "mpi": ("dynamic-mpi", "cost_mpi_seconds")}
COSTS = [c for _, c in MODELS.values()]
STAGES = [("paper", "the paper's: full batch, no error feedback, no momentum, logreg + l2, step 1/L"),
          ("minibatch", "+ mini-batches (64 per rank)"),
          ("errorfeedback", "+ error feedback"),
          ("momentum", "+ momentum 0.9"),
          ("ranks4", "+ 4 ranks, each compressing its own shard (our setting, on logreg)"),
          ("mlp", "+ the MLP 784-256-10 (lr 0.05, torch init; l2 0.5 kept)"),
          ("mlp-l2-0", "+ no l2 (our whole setting: the MLP's training loss)")]


def records(run):
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def to_target(recs, f0, fstar):
    out = {"f0": f0, "fstar": fstar, "steps": len(recs), "final_objective": recs[-1]["objective"],
           "final_relative_gap": (recs[-1]["objective"] - fstar) / (f0 - fstar), "eps": {}}
    for eps in EPS:
        target = fstar + eps * (f0 - fstar)
        hit = next((i for i, r in enumerate(recs) if r["objective"] <= target), None)
        if hit is None:
            out["eps"][repr(eps)] = {"reached": False, "step": None, **{c: recs[-1][c] for c in COSTS}}
        else:
            # f(x_t) is logged before step t's update: reaching it cost the steps 0..t-1.
            out["eps"][repr(eps)] = {"reached": True, "step": hit, **{c: (recs[hit - 1][c] if hit > 0 else 0.0) for c in COSTS}}
    return out


def problem(summary):
    """The problem a run minimises, naming its f*: the model and the l2 (e.g. "logreg l2=0.5")."""
    return f"{summary['model']} l2={summary['l2']:g}"


def collect(runs, out):
    fstar, certificates = {}, {}
    for name in sorted(os.listdir(runs)):
        d = os.path.join(runs, name)
        if not name.startswith("fstar-") or not os.path.exists(os.path.join(d, "summary.json")):
            continue
        summary = load(os.path.join(d, "summary.json"))
        recs = records(d)
        least32 = min(r["objective"] for r in recs)
        key = problem(summary)
        if summary.get("suboptimality_bound") is not None:
            f = summary["final_objective_float64"]
            fstar[key] = f
            certificates[key] = {"run": name, "steps": len(recs), "fstar": f, "lower_bound": f - summary["suboptimality_bound"],
                                 "suboptimality_bound": summary["suboptimality_bound"],
                                 "relative_to_gap": summary["suboptimality_bound"] / (recs[0]["objective"] - f),
                                 "gradient_norm": summary["final_gradient_norm_float64"], "least_float32_objective": least32}
        elif summary["l2"] == 0:
            # A cross-entropy without l2 has no minimiser on images a network can memorise: its infimum is 0, which
            # the runs approach (the long dense run's least objective is a point on the way, and mini-batch runs
            # go below it), so f* is that infimum.
            fstar[key] = 0.0
            certificates[key] = {"run": name, "steps": len(recs), "fstar": 0.0, "infimum": True, "least_float32_objective": least32}
        else:
            fstar[key] = least32
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "fstar.json"), "w") as f:
        json.dump(fstar, f, indent=2)
    with open(os.path.join(out, "fstar-certificate.json"), "w") as f:
        json.dump(certificates, f, indent=2)
    for dirpath, _, files in sorted(os.walk(runs)):
        if "metrics.jsonl" not in files:
            continue
        if "summary.json" not in files:
            print(f"skipped {dirpath}: no summary.json (unfinished)", file=__import__("sys").stderr)
            continue
        rel = os.path.relpath(dirpath, runs)
        dest = os.path.join(out, "runs", rel)
        os.makedirs(dest, exist_ok=True)
        if os.path.exists(os.path.join(dirpath, "launch.cmd")):
            shutil.copy(os.path.join(dirpath, "launch.cmd"), dest)
        # summary.json without its per-epoch test evaluations but the last: an epoch here is 1-4 steps, so the
        # list is 100 KB+ a run and nothing here reads it (the run makes it again).
        summary = load(os.path.join(dirpath, "summary.json"))
        epochs = summary.get("epoch_results") or []
        if len(epochs) > 1:
            summary["epoch_results"] = epochs[-1:]
            summary["epoch_results_dropped"] = len(epochs) - 1
        with open(os.path.join(dest, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        key = problem(load(os.path.join(dirpath, "summary.json")))
        recs = records(dirpath)
        with open(os.path.join(dest, "to-target.json"), "w") as f:
            json.dump(to_target(recs, recs[0]["objective"], fstar[key]), f, indent=2)


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt(x, unit):
    if unit == "cost_mpi_seconds":
        return f"{x:.3g} s"
    return f"{x:.3g}"


def cell(t, cost):
    v = t[cost]
    return (fmt(v, cost) if t["reached"] else f">{fmt(v, cost)}"), v, t["reached"]


def compare(group, eps, model):
    """(best fixed label, its cost, rule record, ratio text, holds) for one seed directory. holds: True (rule <=
    best fixed), False (rule dearer, or its whole unfinished run already dearer), None (not decided by the runs)."""
    rule_label, cost = MODELS[model]
    fixed = {l: t["eps"][repr(eps)] for l, t in group.items() if l.startswith("fixed-")}
    reached = {l: t for l, t in fixed.items() if t["reached"]}
    rule = group.get(rule_label, {}).get("eps", {}).get(repr(eps))
    if rule is None:
        return None
    if not reached:
        return ("none reached", None, rule, "no fixed k reached eps" if not rule["reached"] else "only the rule reached eps", None)
    best = min(reached, key=lambda l: reached[l][cost])
    b = reached[best][cost]
    # A fixed k that did not reach eps having spent less than the best could still have been cheaper.
    open_fixed = sorted((l for l, t in fixed.items() if not t["reached"] and t[cost] < b), key=lambda l: int(l[7:]))
    dagger = " †" if open_fixed else ""
    if not rule["reached"]:
        if rule[cost] > b:
            return (best + dagger, b, rule, f">{rule[cost] / b:.3f}x", False)
        return (best + dagger, b, rule, "not reached (its run spent less than the best fixed k)", None)
    r = rule[cost] / b
    return (best + dagger, b, rule, f"{r:.3f}x{dagger}", r <= 1.0 if not (open_fixed and r <= 1.0) else None)


def table(out):
    fstar = load(os.path.join(out, "fstar.json"))
    root = os.path.join(out, "runs")
    lines = ["f* of each problem, from its long dense full-batch run: " + ", ".join(f"{m} {v:.10g}" for m, v in fstar.items()), ""]
    cpath = os.path.join(out, "fstar-certificate.json")
    for m, c in (load(cpath) if os.path.exists(cpath) else {}).items():
        if c.get("infimum"):
            lines += [f"{m}: f* = 0, the infimum of the cross-entropy (no l2: the MLP can memorise the images); the long dense "
                      f"run's least objective was {c['least_float32_objective']:.3g}.", ""]
            continue
        lines += [f"{m}: f* = {c['fstar']:.12g}, the float64 objective at the run's last parameters; strong convexity bounds "
                  f"f - f* <= ||grad f||^2 / (2 l2) = {c['suboptimality_bound']:.3g} ({c['relative_to_gap']:.2g} of f(x0) - f*; "
                  f"||grad f|| = {c['gradient_norm']:.3g}); the least float32 objective of the run was {c['least_float32_objective']:.10g}.", ""]
    claim = {}
    for stage, title in STAGES:
        sdir = os.path.join(root, stage)
        if not os.path.isdir(sdir):
            continue
        seeds = sorted(d for d in os.listdir(sdir) if d.startswith("seed-")) or ["."]
        lines.append(f"## {stage}: {title}")
        lines.append("")
        lines.append("| seed | cost model | eps | best fixed k (cost) | rule: cost (k mean) | rule / best fixed |")
        lines.append("|---|---|---|---|---|---|")
        for seed in seeds:
            gdir = os.path.join(sdir, seed)
            group = {l: load(os.path.join(gdir, l, "to-target.json")) for l in sorted(os.listdir(gdir))
                     if os.path.exists(os.path.join(gdir, l, "to-target.json"))}
            kmean = {l: load(os.path.join(gdir, l, "summary.json"))["k_mean"] for l in group}
            for model in MODELS:
                for eps in EPS:
                    c = compare(group, eps, model)
                    if c is None:
                        continue
                    best, b, rule, ratio, holds = c
                    cost = MODELS[model][1]
                    rtext = cell(rule, cost)[0]
                    lines.append(f"| {seed.replace('seed-', '') if seed != '.' else '-'} | {model} | {eps:g} | "
                                 f"{best.replace('fixed-k', 'k = ')}{'' if b is None else ' (' + fmt(b, cost) + ')'} | "
                                 f"{rtext} ({kmean[MODELS[model][0]]:.1f}) | {ratio} |")
                    if eps in CLAIM_EPS:
                        claim.setdefault(stage, {}).setdefault(model, {}).setdefault(eps, []).append((ratio, holds))
        lines.append("")
    lines.append("## The claim: the rule at or below 1.0x the best fixed k")
    lines.append("")
    lines.append("The issue's eps is 1e-3; with mini-batches and without error feedback no run gets below about 5e-3 within")
    lines.append("its steps, so the walk is also read at 1e-2 and 1e-1. Seeds separated by /.")
    lines.append("")
    lines.append("| setting | eps | " + " | ".join(MODELS) + " |")
    lines.append("|---|---|" + "---|" * len(MODELS))
    first_break = {}
    for stage, title in STAGES:
        if stage not in claim:
            continue
        for eps in CLAIM_EPS:
            row = []
            for model in MODELS:
                rs = claim[stage].get(model, {}).get(eps, [])
                text = " / ".join(r for r, _ in rs)
                # Broken when some seed's run shows the rule dearer; holds when every seed shows it cheaper or equal.
                holds = False if any(h is False for _, h in rs) else True if rs and all(h for _, h in rs) else None
                if holds is False and (model, eps) not in first_break:
                    first_break[(model, eps)] = stage
                row.append(f"**{text}**" if holds else text)
            lines.append(f"| {title} | {eps:g} | " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Bold: holds on every seed run. † : a fixed k that did not reach eps had spent less than the best fixed k")
    lines.append("when its run ended, so the best fixed k is the best of those that reached eps, not proven the best.")
    lines.append("")
    lines.append("First change of setting at which the rule is measured dearer than the best fixed k:")
    lines.append("")
    lines.append("| eps | " + " | ".join(MODELS) + " |")
    lines.append("|---|" + "---|" * len(MODELS))
    for eps in CLAIM_EPS:
        lines.append(f"| {eps:g} | " + " | ".join(first_break.get((m, eps), "none measured") for m in MODELS) + " |")
    print("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["collect", "table"])
    p.add_argument("--runs")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.mode == "collect":
        collect(a.runs, a.out)
    else:
        table(a.out)


if __name__ == "__main__":
    main()
