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

# DPoP (`--bench dpop`): a request with a bound token and a fresh proof, next to the floor.
rows = []
for alg in ("ES256", "EdDSA", "RS256"):
    group = f"dpop_{alg}"
    try:
        floor, fresh, bearer, dpop = (ns(group, n) for n in ("floor", "floor_fresh", "bearer_hit", "dpop_request"))
    except FileNotFoundError:
        continue
    rows.append(f"| {alg} | {floor:,.0f} ns | {fresh:,.0f} ns | {bearer:,.0f} ns | {dpop:,.0f} ns "
                f"| {dpop / floor:.2f}× | {dpop / fresh:.2f}× |")
if rows:
    print()
    print("| proof alg | floor (aws-lc-rs, one proof signature, repeated) | floor over fresh proofs "
          "| Bearer request, cache hit | DPoP request, fresh proof | DPoP request / floor "
          "| DPoP request / floor over fresh proofs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
rows = []
for group, label in (("replay_store", "≤ 100,000 live proofs"), ("replay_store_growing", "growing to millions")):
    try:
        one, two = (ns(group, t) for t in ("1", "2"))
        one_best, two_best = (best(group, t) for t in ("1", "2"))
    except FileNotFoundError:
        continue
    rows.append(f"| {label} | {one:,.0f} ns ({one_best:,.0f}) | {two:,.0f} ns ({two_best:,.0f}) "
                f"| {one / two:.2f}× ({one_best / two_best:.2f}×) |")
if rows:
    print()
    print("| replay store (memory), distinct proofs | 1 thread: time per insert, median (best sample) "
          "| 2 threads | throughput, 2 / 1 |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))

# Introspection (`--bench introspection`): opaque cache hit next to a JWT cache hit.
try:
    jwt, opaque, jwt_req, opaque_req = (
        ns("introspection", n) for n in ("jwt_hit", "opaque_hit", "jwt_request_hit", "opaque_request_hit"))
    print()
    print("| cache hit | JWT | opaque (introspected) | opaque / JWT |")
    print("|---|---:|---:|---:|")
    print(f"| `validate` | {jwt:,.0f} ns | {opaque:,.0f} ns | {opaque / jwt:.2f}× |")
    print(f"| `authenticate` (a request) | {jwt_req:,.0f} ns | {opaque_req:,.0f} ns | {opaque_req / jwt_req:.2f}× |")
except FileNotFoundError:
    pass

# Outbound (`cargo bench -p tower-auth --bench outbound`): the layer's own cost per call.
try:
    bare, layered = (ns("outbound", n) for n in ("bare", "layered"))
    print()
    print("| outbound call, cached token | bare service | behind `OutboundAuthLayer` | the layer's cost |")
    print("|---|---:|---:|---:|")
    print(f"| `GET`, answered at once | {bare:,.0f} ns | {layered:,.0f} ns | {layered - bare:,.0f} ns |")
except FileNotFoundError:
    pass

# Revocation (`cargo bench -p auth-core --features redis --bench revocation`): the deny-list
# check on a verified-token cache hit, next to the same hit without a list.
try:
    hit, empty, small, full, lookup, req, req_full = (
        ns("revocation", n)
        for n in ("hit", "hit_empty", "hit_1k", "hit_1m", "lookup_1k", "request_hit", "request_hit_1m"))
    print()
    print("| cache hit | no list | empty list | 1,000 entries | 1,000,000 entries | added by 1,000,000 |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `validate` | {hit:,.0f} ns | {empty:,.0f} ns | {small:,.0f} ns | {full:,.0f} ns | {full - hit:+,.0f} ns |")
    print(f"| `authenticate` (a request) | {req:,.0f} ns | | | {req_full:,.0f} ns | {req_full - req:+,.0f} ns |")
    print(f"| the replica lookup alone (4 kinds) | | | {lookup:,.0f} ns | | |")
except FileNotFoundError:
    pass
