#!/usr/bin/env bash
# Builds the fuzz targets with AFL++ instrumentation and fuzzes one of them:
#   fuzz/run.sh <target> [seconds]    (token, jwks, request, dpop_proof, introspection; default 600 s)
# Findings go to fuzz/out/<target>/default/{crashes,hangs}; the run's numbers to .../fuzzer_stats.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh <target> [seconds]}
seconds=${2:-600}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target-afl}
cargo afl build --release --bin "$target"
# Shared machines: no CPU pinning, no governor check; a kernel that pipes core dumps elsewhere
# only slows crash detection.
export AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
# A previous run's queue resumes where it stopped (`-i -`); otherwise the seed corpus starts it.
mkdir -p out
input=corpus/$target
if [ -d "out/$target/default/queue" ]; then input=-; fi
exec nice -n 10 cargo afl fuzz -i "$input" -o "out/$target" -V "$seconds" "$CARGO_TARGET_DIR/release/$target"
