#!/usr/bin/env python3
"""Prints the validation benchmarks as Markdown tables with ratios.

Run after `cargo bench -p auth-core --bench validate` (and `--bench threads`); reads Criterion's
estimates from target/criterion (or the directory given as the first argument).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
algorithms = ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"]


def ns(alg, name):
    path = root / alg / name / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


print("| alg | floor (aws-lc-rs) | ours, cold | ours, cache hit | jsonwebtoken | cold / floor | hit / floor | cold / jsonwebtoken | jsonwebtoken / floor |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for alg in algorithms:
    try:
        f, c, h, j = (ns(alg, n) for n in ("floor", "ours_cold", "ours_hit", "jsonwebtoken"))
    except FileNotFoundError:
        continue
    print(f"| {alg} | {f:,.0f} ns | {c:,.0f} ns | {h:,.0f} ns | {j:,.0f} ns "
          f"| {c / f:.2f}× | {h / f:.3f}× | {c / j:.2f}× | {j / f:.2f}× |")



def best(group, name):
    """The fastest sample's time per iteration: other load only ever slows a sample down."""
    data = json.loads((root / group / name / "new" / "sample.json").read_text())
    return min(t / n for t, n in zip(data["times"], data["iters"]))


rows = []
for name in ("cold", "hit"):
    group = f"threads_RS256_{name}"
    try:
        one, two = (ns(group, t) for t in ("1", "2"))
        one_best, two_best = (best(group, t) for t in ("1", "2"))
    except FileNotFoundError:
        continue
    label = "cache off" if name == "cold" else "cache hit"
    rows.append(f"| RS256, {label} | {one:,.0f} ns ({one_best:,.0f}) | {two:,.0f} ns ({two_best:,.0f}) "
                f"| {one / two:.2f}× ({one_best / two_best:.2f}×) |")
if rows:
    print()
    print("| one shared validator | 1 thread: time per validation, median (best sample) | 2 threads "
          "| throughput, 2 / 1 |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))
