#!/usr/bin/env python3
"""Print the benchmark table of BENCHMARKS.md from criterion's results.

Run `cargo bench` first (all bench targets in one run), then `python3 scripts/bench_table.py`.
For every case it prints the median time of each method and its ratio to the plain f64 function
measured in the same run (`f64_function`), and nilpotent's best path vs num-dual's best path.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = {}  # (group, parameter) -> {method: median ns}
for est in root.glob("**/new/estimates.json"):
    bench = json.loads((est.parent / "benchmark.json").read_text())
    group = bench["group_id"]
    method = bench["function_id"]
    param = bench.get("value_str") or ""
    median = json.loads(est.read_text())["median"]["point_estimate"]
    rows.setdefault((group, param), {})[method] = median


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


print("| case | method | median | × f64 function |")
print("|---|---|---:|---:|")
for (group, param) in sorted(rows, key=lambda k: (k[0], int(k[1]) if k[1].isdigit() else 0)):
    methods = rows[(group, param)]
    base = methods.get("f64_function")
    case = f"{group} n={param}" if param else group
    for method, ns in sorted(methods.items(), key=lambda kv: kv[1]):
        ratio = f"{ns / base:.2f}" if base else "–"
        print(f"| {case} | {method} | {fmt_time(ns)} | {ratio} |")
print()
print("| case | nilpotent best | num-dual best | num-dual / nilpotent |")
print("|---|---|---|---:|")
for (group, param) in sorted(rows, key=lambda k: (k[0], int(k[1]) if k[1].isdigit() else 0)):
    methods = rows[(group, param)]
    ours = {m: t for m, t in methods.items() if m.startswith("nilpotent")}
    theirs = {m: t for m, t in methods.items() if m.startswith("num_dual")}
    if not ours or not theirs:
        continue
    bo = min(ours, key=ours.get)
    bt = min(theirs, key=theirs.get)
    case = f"{group} n={param}" if param else group
    print(f"| {case} | {bo} ({fmt_time(ours[bo])}) | {bt} ({fmt_time(theirs[bt])}) | {theirs[bt] / ours[bo]:.2f} |")
