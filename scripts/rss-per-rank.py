#!/usr/bin/env python3
"""Resident memory of every rank of one local mpiexec run, over time (issue 17, item 7).

Usage: [PROGRAM=path] scripts/rss-per-rank.py RANKS OUT.json -- ARGS...   (runs: mpiexec -n RANKS $PROGRAM ARGS...;
PROGRAM defaults to bin/sparsempi: a copy lets a measurement run while the tree is rebuilt)

How: every 0.5 s, VmRSS from /proc/PID/status of each rank process (the children of Open MPI's mpiexec; the rank
is read from OMPI_COMM_WORLD_RANK in /proc/PID/environ). Rank 0's stdout line "epoch N: test accuracy" (train)
or "updates U/T" (hogwild) marks progress; the sample taken right after epoch 1's line is "first". Prints, per
rank, RSS after the first epoch (train) or at the first progress line (hogwild), at the last sample, and the
maximum, in MB; writes all samples to OUT.json.
"""
import json, os, re, subprocess, sys, threading, time

def rank_of(pid):
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    except OSError:
        return None
    for kv in env:
        if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(kv.split(b"=", 1)[1])
    return None

def rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None

def descendants(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    kids = [int(p) for p in out]
    return kids + [d for k in kids for d in descendants(k)]

def main():
    ranks, out_path = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[sys.argv.index("--") + 1:]
    env = dict(os.environ, TERM="dumb", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.Popen(["mpiexec", "--oversubscribe", "--bind-to", "none", "-n", str(ranks), os.environ.get("PROGRAM", "bin/sparsempi"), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    marks, start = [], time.time()
    def read():
        for line in p.stdout:
            if re.match(r"epoch \d+: test accuracy", line) or line.startswith("updates "):
                marks.append((time.time() - start, line.strip()))
    t = threading.Thread(target=read); t.start()
    samples = []  # (t, {rank: mb})
    while p.poll() is None:
        now = {}
        for pid in descendants(p.pid):
            r = rank_of(pid)
            m = rss_mb(pid)
            if r is not None and m is not None and os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "sparsempi":
                now[r] = m
        if now: samples.append((time.time() - start, now))
        time.sleep(0.5)
    t.join()
    first_t = marks[0][0] if marks else 0
    result = {"args": args, "ranks": ranks, "exit": p.returncode, "marks": marks, "samples": samples, "per_rank": {}}
    for r in range(ranks):
        series = [(ts, s[r]) for ts, s in samples if r in s]
        if not series: continue
        after_first = next((m for ts, m in series if ts >= first_t), series[-1][1])
        last = series[-1][1]; peak = max(m for _, m in series)
        result["per_rank"][r] = {"first": after_first, "last": last, "max": peak}
        print(f"rank {r}: after first epoch {after_first:.0f} MB, last {last:.0f} MB, max {peak:.0f} MB, "
              f"last/first {last / after_first:.3f} ({len(series)} samples over {series[-1][0]:.0f} s)")
    print(f"exit {p.returncode}, {len(marks)} progress lines")
    json.dump(result, open(out_path, "w"), indent=1)

main()
