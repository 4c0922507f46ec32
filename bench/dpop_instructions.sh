#!/usr/bin/env bash
# DPoP proof verification against its crypto floor in instructions (callgrind), a count this
# machine's load does not move: for each algorithm, the dpop bench binary runs its setup and
# mints N proofs (baseline), then also verifies their N signatures (floor) or authenticates N
# DPoP requests (dpop); per-operation counts are the differences to the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-400}
cargo bench -q -p auth-core --bench dpop --no-run
bin=$(ls -t target/release/deps/dpop-* | grep -v '\.d$' | head -1)
count() {
  DPOP_INSTRUCTIONS="$1:$2:$N" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| proof alg | floor, instructions per proof | DPoP request, instructions | request / floor |"
echo "|---|---:|---:|---:|"
for alg in ES256 EdDSA; do
  base=$(count baseline "$alg"); floor=$(count floor "$alg"); dpop=$(count dpop "$alg")
  python3 -c "b,f,d,n=$base,$floor,$dpop,$N; print(f'| $alg | {(f-b)/n:,.0f} | {(d-b)/n:,.0f} | {(d-b)/(f-b):.3f}× |')"
done
