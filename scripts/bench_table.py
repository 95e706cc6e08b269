#!/usr/bin/env python3
"""Print the benchmark tables of BENCHMARKS.md from criterion's results.

    cargo bench && python3 scripts/bench_table.py                 # one run (target/criterion)
    python3 scripts/bench_table.py RUN1 RUN2 RUN3                 # several saved runs

Each argument is a copy of `target/criterion` taken after one complete `cargo bench`. For every
case the script prints the median time of each method and its ratio to the plain f64 function
measured *in the same run* (`f64_function`); with several runs it prints that ratio for each run
and the median of those ratios (on a shared machine one run can be off by ±30 % on the smallest
cases). The second table compares nilpotent's best path with num-dual's best path, again run by
run.
"""
import json
import pathlib
import statistics
import sys


def load(root):
    """(group, parameter) -> {method: median ns} for one criterion directory."""
    rows = {}
    for est in pathlib.Path(root).glob("**/new/estimates.json"):
        bench = json.loads((est.parent / "benchmark.json").read_text())
        param = bench.get("value_str") or ""
        median = json.loads(est.read_text())["median"]["point_estimate"]
        rows.setdefault((bench["group_id"], param), {})[bench["function_id"]] = median
    return rows


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def case_name(group, param):
    return f"{group} n={param}" if param else group


def case_order(key):
    group, param = key
    return (group, int(param) if param.isdigit() else 0)


def best(methods, prefix):
    """The fastest method whose name starts with `prefix`, or None."""
    candidates = {m: t for m, t in methods.items() if m.startswith(prefix)}
    return min(candidates, key=candidates.get) if candidates else None


def header(labels, ratio, several, runs):
    """A table header: the leading columns `labels` (the last one right-aligned), then one
    `ratio` column, or with several runs one per run and their median."""
    if several:
        per_run = " | ".join(f"run {i + 1}" for i in range(runs))
        print(f"| {' | '.join(labels)} | {ratio}: {per_run} | median |")
        print("|" + "---|" * (len(labels) - 1) + "---:|" + "---:|" * (runs + 1))
    else:
        print(f"| {' | '.join(labels)} | {ratio} |")
        print("|" + "---|" * (len(labels) - 1) + "---:|---:|")


runs = [load(d) for d in (sys.argv[1:] or ["target/criterion"])]
cases = sorted(set().union(*runs), key=case_order)
several = len(runs) > 1

header(["case", "method", "median time (run 1)" if several else "median"], "× f64", several, len(runs))
for key in cases:
    first = runs[0].get(key, {})
    methods = sorted(first, key=first.get)
    for method in methods:
        ratios = []
        for run in runs:
            m = run.get(key, {})
            if "f64_function" in m and method in m:
                ratios.append(m[method] / m["f64_function"])
        if several:
            cells = " | ".join(f"{r:.2f}" for r in ratios)
            med = f"{statistics.median(ratios):.2f}" if ratios else "–"
            print(f"| {case_name(*key)} | {method} | {fmt_time(first[method])} | {cells} | {med} |")
        else:
            ratio = f"{ratios[0]:.2f}" if ratios else "–"
            print(f"| {case_name(*key)} | {method} | {fmt_time(first[method])} | {ratio} |")

print()
run1 = " (run 1)" if several else ""
header(["case", f"nilpotent best{run1}", f"num-dual best{run1}"], "num-dual / nilpotent", several, len(runs))
for key in cases:
    first = runs[0].get(key, {})
    ours, theirs = best(first, "nilpotent"), best(first, "num_dual")
    if ours is None or theirs is None:
        continue
    speedups = []
    for run in runs:
        m = run.get(key, {})
        o, t = best(m, "nilpotent"), best(m, "num_dual")
        if o and t:
            speedups.append(m[t] / m[o])
    label = f"| {case_name(*key)} | {ours} ({fmt_time(first[ours])}) | {theirs} ({fmt_time(first[theirs])}) |"
    if several:
        cells = " | ".join(f"{s:.2f}" for s in speedups)
        print(f"{label} {cells} | {statistics.median(speedups):.2f} |")
    else:
        print(f"{label} {speedups[0]:.2f} |")
