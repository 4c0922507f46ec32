#!/usr/bin/env bash
# HTTP throughput of the Petstore binaries, and of a jwt-authorizer peer, on loopback.
# Not part of CI: run it by hand, on a quiet machine if you can.
#
#   bench/http.sh                      # builds, runs (~3.5 min), prints a markdown table
#   DURATION=10 ROUNDS=5 bench/http.sh
#
# What it does:
# - builds release binaries of petstore-axum and petstore-actix, bench/peer-jwt-authorizer and
#   bench/dpop-floor
#   (each its own workspace, never built by `cargo test --workspace`);
# - starts petstore-axum with no AUTH_* variables and AUTH_ALGORITHMS=RS256: its built-in
#   development issuer signs with RS256; the script reads the issuer URL and the user token from
#   its banner and the JWKS URL from the issuer's discovery document. Every measured server trusts
#   that issuer (AUTH_ISSUER + AUTH_JWKS_URL, RS256 only, audience `petstore`, scope pets:read)
#   and every request carries that one token;
# - measured servers run with one worker thread, pinned to core 0; wrk (1 thread, CONNECTIONS
#   connections, keep-alive) is pinned to core 1. tokio: TOKIO_WORKER_THREADS=1. actix-web starts
#   one worker per CPU it may run on (std::thread::available_parallelism, which follows the CPU
#   affinity), so pinning it to core 0 gives it one worker; it has no environment variable for it;
# - ROUNDS rounds, each running every case once for DURATION seconds in the same order
#   (alternating), after one 1-second warm-up per case; the table shows medians, and the best
#   run of each case (other load only lowers throughput: on a busy machine, read those too);
# - DPoP: the same /pets on petstore-axum and petstore-actix (cache on) with the banner's
#   DPoP-bound token and a fresh ES256 proof per request. wrk cannot sign, so `dpop-request
#   --proofs N` mints DPOP_PROOFS proofs (distinct jti) just before each run and a wrk Lua script
#   sends one per request, well inside the server's 60 s proof window. The physical limit is one
#   ES256 verification per request on top of /health: 1 / (1 / health + floor), the floor being
#   `dpop_ES256/floor` from `cargo bench -p auth-core --bench dpop` (run it first; without it the
#   ratio is not printed). A Criterion loop verifies one signature over and over with its code
#   and tables in cache, which a server never does, so the script also measures the floor over
#   HTTP: bench/dpop-floor (its own workspace) answers `GET /pets` after one ES256 check of the
#   proof's signature and nothing else; loaded in the same rounds, with the same client, headers
#   and fresh proofs, on its `/pets` and its `/health`, the difference of the two costs per
#   request is one ES256 verification between HTTP work, and that limit is
#   1 / (1 / health + measured floor);
# - opaque tokens: petstore-axum and petstore-actix started with no AUTH_* variables, so each
#   trusts its own development issuer and introspects its opaque tokens there; /pets carries the
#   banner's OPAQUE_TOKEN, answered from the introspection cache after the first request;
# - then petstore-axum /pets with the cache off, 1 vs 2 worker threads, nothing pinned: the
#   server shares the machine's cores with wrk, so on 2 cores the ratio is bounded well below 2.
#
# Variables: DURATION (5), ROUNDS (3), CONNECTIONS (16), DPOP_PROOFS (DURATION x 40000),
# CARGO_TARGET_DIR (./target).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
DPOP_PROOFS=${DPOP_PROOFS:-$((DURATION * 40000))}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release
WORK=$(mktemp -d)
PIDS=()

say() { printf '%s\n' "$*" >&2; }
die() {
    say "bench/http.sh: $*"
    exit 1
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- tools -------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing wrk (apt-get)"
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    fi
    command -v wrk >/dev/null || die "wrk is needed: install it (Debian/Ubuntu: apt-get install wrk)"
fi
command -v curl >/dev/null || die "curl is needed"

CORES=$(nproc)
if command -v taskset >/dev/null && ((CORES >= 2)); then
    SERVER_PIN=(taskset -c 0)
    LOAD_PIN=(taskset -c 1)
    PINNING="server on core 0, wrk on core 1"
else
    SERVER_PIN=()
    LOAD_PIN=()
    PINNING="not pinned (needs taskset and 2 cores)"
fi

# --- build -------------------------------------------------------------------------------------
say "building release binaries"
(cd "$ROOT" && cargo build --release --quiet -p petstore-axum -p petstore-actix)
# `--bin` would narrow the build above to that one binary: apart.
(cd "$ROOT" && cargo build --release --quiet -p petstore --bin dpop-request)
(cd "$ROOT" && cargo build --release --quiet --manifest-path bench/peer-jwt-authorizer/Cargo.toml \
    --target-dir "$TARGET")
(cd "$ROOT" && cargo build --release --quiet --manifest-path bench/dpop-floor/Cargo.toml --target-dir "$TARGET")

# --- servers -----------------------------------------------------------------------------------
# Polls until `pattern` appears in `file`, or the process dies, or 30 s pass.
wait_for_line() {
    local file=$1 pattern=$2 pid=$3 deadline=$((SECONDS + 30))
    until grep -Eq "$pattern" "$file" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || die "server exited; its stderr: $(cat "$file.err")"
        ((SECONDS < deadline)) || die "timed out waiting for /$pattern/ in $file"
        sleep 0.05
    done
}

# start NAME PIN(0|1) [VAR=VALUE...] -- PROGRAM: runs PROGRAM with a clean environment plus the
# given variables, waits for its "listening on" line and sets URL_<NAME> from it.
start() {
    local name=$1 pin=$2
    shift 2
    local vars=()
    while [[ $1 != -- ]]; do
        vars+=("$1")
        shift
    done
    shift
    local out=$WORK/$name.out prefix=()
    ((pin)) && prefix=("${SERVER_PIN[@]}")
    env -i PATH="$PATH" RUST_LOG=warn "${vars[@]}" "${prefix[@]}" "$@" >"$out" 2>"$out.err" &
    local pid=$!
    PIDS+=("$pid")
    printf -v "PID_$name" '%s' "$pid"
    wait_for_line "$out" 'listening on http://' "$pid"
    printf -v "URL_$name" '%s' "$(grep -Eom1 'http://[0-9.:]+' "$out")"
}

# Polls until `GET url` with the token answers 200.
wait_ok() {
    local url=$1 deadline=$((SECONDS + 30))
    # TOKEN may be given for one call: `TOKEN=... wait_ok URL`.
    until [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url") == 200 ]]; do
        ((SECONDS < deadline)) || die "GET $url never answered 200"
        sleep 0.05
    done
}

say "starting the token issuer (petstore-axum's development issuer, RS256)"
start issuer 0 PETSTORE_ADDR=127.0.0.1:0 AUTH_ALGORITHMS=RS256 -- "$BIN/petstore-axum"
wait_for_line "$WORK/issuer.out" '^TOKEN=' "$PID_issuer"
ISSUER=$(sed -nE 's/.*development issuer at ([^ ]+) .*/\1/p' "$WORK/issuer.out" | head -n1)
TOKEN=$(sed -nE 's/^TOKEN=(.+)$/\1/p' "$WORK/issuer.out" | head -n1)
DPOP_KEY=$(sed -nE 's/^DPOP_KEY=(.+)$/\1/p' "$WORK/issuer.out" | head -n1)
DPOP_TOKEN=$(sed -nE 's/^DPOP_TOKEN=(.+)$/\1/p' "$WORK/issuer.out" | head -n1)
[[ -n $ISSUER && -n $TOKEN ]] || die "cannot read the issuer and token from the banner: $(cat "$WORK/issuer.out")"
JWKS=$(curl -sf "$ISSUER/.well-known/openid-configuration" | grep -Eo '"jwks_uri":"[^"]+"' | cut -d'"' -f4 || true)
[[ -n $JWKS ]] || JWKS=$ISSUER/jwks

COMMON=(PETSTORE_ADDR=127.0.0.1:0 AUTH_ISSUER="$ISSUER" AUTH_JWKS_URL="$JWKS" AUTH_ALGORITHMS=RS256)
say "starting the measured servers"
start axum_on 1 "${COMMON[@]}" TOKIO_WORKER_THREADS=1 -- "$BIN/petstore-axum"
start axum_off 1 "${COMMON[@]}" TOKIO_WORKER_THREADS=1 AUTH_TOKEN_CACHE=0 -- "$BIN/petstore-axum"
start actix_on 1 "${COMMON[@]}" -- "$BIN/petstore-actix"
start actix_off 1 "${COMMON[@]}" AUTH_TOKEN_CACHE=0 -- "$BIN/petstore-actix"
start peer 1 AUTH_ISSUER="$ISSUER" AUTH_JWKS_URL="$JWKS" TOKIO_WORKER_THREADS=1 PEER_ADDR=127.0.0.1:0 \
    -- "$BIN/peer-jwt-authorizer"
[[ -n $DPOP_KEY && -n $DPOP_TOKEN ]] || die "no DPOP_KEY / DPOP_TOKEN in the issuer's banner"
start floor 1 DPOP_KEY="$DPOP_KEY" FLOOR_ADDR=127.0.0.1:0 TOKIO_WORKER_THREADS=1 -- "$BIN/dpop-floor"
start axum_opaque 1 PETSTORE_ADDR=127.0.0.1:0 TOKIO_WORKER_THREADS=1 -- "$BIN/petstore-axum"
start actix_opaque 1 PETSTORE_ADDR=127.0.0.1:0 -- "$BIN/petstore-actix"
for name in axum_opaque actix_opaque; do
    pid=PID_$name
    wait_for_line "$WORK/$name.out" '^OPAQUE_TOKEN=' "${!pid}"
    printf -v "OPAQUE_$name" '%s' "$(sed -nE 's/^OPAQUE_TOKEN=(.+)$/\1/p' "$WORK/$name.out" | head -n1)"
done
for name in axum_on axum_off actix_on actix_off peer; do
    url=URL_$name
    wait_ok "${!url}/pets"
done
for name in axum_opaque actix_opaque; do
    url=URL_$name token=OPAQUE_$name
    TOKEN=${!token} wait_ok "${!url}/pets"
done

# Same answer everywhere, or the comparison is not fair.
reference=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL_axum_on/pets")
for name in axum_off actix_on actix_off peer; do
    url=URL_$name
    body=$(curl -s -H "Authorization: Bearer $TOKEN" "${!url}/pets")
    [[ $body == "$reference" ]] || die "$name answers GET /pets with $body, petstore-axum with $reference"
done

# --- load --------------------------------------------------------------------------------------
# run_wrk SECONDS URL [prefix command...]: prints requests per second; fails on any non-2xx
# answer. The token is $TOKEN, or $WRK_TOKEN when set.
run_wrk() {
    local seconds=$1 url=$2
    shift 2
    local out
    out=$("$@" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" -H "Authorization: Bearer ${WRK_TOKEN:-$TOKEN}" "$url")
    if grep -q 'Non-2xx' <<<"$out"; then
        die "non-2xx answers from $url: $out"
    fi
    awk '/^Requests\/sec:/ { printf "%d\n", $2 }' <<<"$out"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
best() { sort -n "$1" | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "NOT met" }'; }

CASES=(
    "axum_health $URL_axum_on/health"
    "axum_on $URL_axum_on/pets"
    "axum_off $URL_axum_off/pets"
    "actix_health $URL_actix_on/health"
    "actix_on $URL_actix_on/pets"
    "actix_off $URL_actix_off/pets"
    "peer_health $URL_peer/health"
    "peer $URL_peer/pets"
    "axum_opaque $URL_axum_opaque/pets OPAQUE_axum_opaque"
    "actix_opaque $URL_actix_opaque/pets OPAQUE_actix_opaque"
)

UPTIME_BEFORE=$(uptime)
say "load before: $UPTIME_BEFORE"
say "warming up"
for case in "${CASES[@]}"; do
    read -r key url token <<<"$case"
    WRK_TOKEN=${token:+${!token}} run_wrk 1 "$url" "${LOAD_PIN[@]}" >/dev/null
done
for round in $(seq "$ROUNDS"); do
    for case in "${CASES[@]}"; do
        read -r key url token <<<"$case"
        rps=$(WRK_TOKEN=${token:+${!token}} run_wrk "$DURATION" "$url" "${LOAD_PIN[@]}")
        echo "$rps" >>"$WORK/$key.rps"
        say "round $round/$ROUNDS  $key  $rps req/s"
    done
done

# DPoP: a fresh proof per request, minted ahead (wrk cannot sign).
cat >"$WORK/dpop.lua" <<'LUA'
local proofs, next_proof, headers = {}, 0, {}
function init(args)
  for line in io.lines(args[1]) do proofs[#proofs + 1] = line end
  for name, value in pairs(wrk.headers) do headers[name] = value end
end
function request()
  next_proof = next_proof + 1
  headers["DPoP"] = proofs[next_proof] or "proofs-exhausted"
  return wrk.format(nil, nil, headers)
end
LUA
# run_dpop SECONDS URL PROOFS: mints PROOFS proofs for GET URL, then runs wrk with them.
run_dpop() {
    local seconds=$1 url=$2 count=$3 out
    "$BIN/dpop-request" --key "$DPOP_KEY" --token "$DPOP_TOKEN" --proofs "$count" GET "$url" >"$WORK/proofs"
    out=$("${LOAD_PIN[@]}" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" -H "Authorization: DPoP $DPOP_TOKEN" \
        -s "$WORK/dpop.lua" "$url" -- "$WORK/proofs")
    if grep -q 'Non-2xx' <<<"$out"; then
        die "non-2xx answers from $url with DPoP (too few proofs? raise DPOP_PROOFS): $out"
    fi
    awk '/^Requests\/sec:/ { printf "%d\n", $2 }' <<<"$out"
}
# The floor server's /pets (one ES256 check) and /health, with the same requests.
DPOP_CASES=(
    "axum_dpop $URL_axum_on/pets"
    "actix_dpop $URL_actix_on/pets"
    "floor_dpop $URL_floor/pets"
    "floor_health $URL_floor/health"
)
for case in "${DPOP_CASES[@]}"; do
    read -r key url <<<"$case"
    run_dpop 1 "$url" 50000 >/dev/null
done
for round in $(seq "$ROUNDS"); do
    for case in "${DPOP_CASES[@]}"; do
        read -r key url <<<"$case"
        rps=$(run_dpop "$DURATION" "$url" "$DPOP_PROOFS")
        echo "$rps" >>"$WORK/$key.rps"
        say "round $round/$ROUNDS  $key  $rps req/s"
    done
done

# 1 vs 2 worker threads, cache off, nothing pinned.
for name in axum_on axum_off actix_on actix_off peer floor axum_opaque actix_opaque; do
    pid=PID_$name
    kill "${!pid}"
done
start threads1 0 "${COMMON[@]}" TOKIO_WORKER_THREADS=1 AUTH_TOKEN_CACHE=0 -- "$BIN/petstore-axum"
start threads2 0 "${COMMON[@]}" TOKIO_WORKER_THREADS=2 AUTH_TOKEN_CACHE=0 -- "$BIN/petstore-axum"
wait_ok "$URL_threads1/pets"
wait_ok "$URL_threads2/pets"
run_wrk 1 "$URL_threads1/pets" >/dev/null
run_wrk 1 "$URL_threads2/pets" >/dev/null
for round in $(seq "$ROUNDS"); do
    for key in threads1 threads2; do
        url=URL_$key
        rps=$(run_wrk "$DURATION" "${!url}/pets")
        echo "$rps" >>"$WORK/$key.rps"
        say "round $round/$ROUNDS  $key  $rps req/s"
    done
done
UPTIME_AFTER=$(uptime)

# --- report ------------------------------------------------------------------------------------
for key in axum_health axum_on axum_off actix_health actix_on actix_off peer_health peer threads1 threads2 \
    axum_dpop actix_dpop floor_dpop floor_health axum_opaque actix_opaque; do
    printf -v "M_$key" '%s' "$(median "$WORK/$key.rps")"
    printf -v "B_$key" '%s' "$(best "$WORK/$key.rps")"
done
AXUM_HIT=$(ratio "$M_axum_on" "$M_axum_health")
ACTIX_HIT=$(ratio "$M_actix_on" "$M_actix_health")
VS_PEER=$(ratio "$M_axum_off" "$M_peer")
THREADS=$(ratio "$M_threads2" "$M_threads1")
AXUM_OPAQUE=$(ratio "$M_axum_opaque" "$M_axum_health")
ACTIX_OPAQUE=$(ratio "$M_actix_opaque" "$M_actix_health")
# The ES256 floor (ns) from the criterion run, if there was one.
FLOOR_NS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' \
    "$TARGET/criterion/dpop_ES256/floor/new/estimates.json" 2>/dev/null || true)
# The ES256 verification measured over HTTP (ns): floor server /pets minus its /health, per
# request, on the medians (and on the best runs).
http_floor() { awk -v p="$1" -v h="$2" 'BEGIN { printf "%d", (p > 0 && h > 0) ? (1 / p - 1 / h) * 1e9 : 0 }'; }
HTTP_FLOOR_NS=$(http_floor "$M_floor_dpop" "$M_floor_health")
HTTP_FLOOR_BEST_NS=$(http_floor "$B_floor_dpop" "$B_floor_health")
# limit HEALTH_RPS FLOOR_NS: requests per second with one ES256 verification added to each /health.
limit() { awk -v h="$1" -v f="$2" 'BEGIN { printf "%d", 1 / (1 / h + f / 1e9) }'; }
dpop_row() {
    local impl=$1 label=$2 h=M_${1}_health hb=B_${1}_health d=M_${1}_dpop db=B_${1}_dpop
    local hlim hblim criterion="— | —"
    hlim=$(limit "${!h}" "$HTTP_FLOOR_NS")
    hblim=$(limit "${!hb}" "$HTTP_FLOOR_BEST_NS")
    if [[ -n $FLOOR_NS ]]; then
        local lim blim
        lim=$(limit "${!h}" "$FLOOR_NS")
        blim=$(limit "${!hb}" "$FLOOR_NS")
        criterion="$lim ($blim) | $(ratio "${!d}" "$lim")× ($(ratio "${!db}" "$blim")×)"
    fi
    printf '| %s | %s | %s | %s (%s) | %s× (%s×) | %s |\n' "$label" "$(cell "${impl}_dpop")" "$criterion" \
        "$hlim" "$hblim" "$(ratio "${!d}" "$hlim")" "$(ratio "${!db}" "$hblim")" \
        "$(verdict "$(ratio "${!d}" "$hlim")" 0.9)"
}
# Other load only ever lowers a run's throughput, so the best run shows what a quiet machine
# would give: a second reading, for a busy machine.
cell() {
    local m=M_$1 b=B_$1
    printf '%s (%s)' "${!m}" "${!b}"
}
ratios() {
    local m1=M_$1 m2=M_$2 b1=B_$1 b2=B_$2
    printf '%s× (%s×)' "$(ratio "${!m1}" "${!m2}")" "$(ratio "${!b1}" "${!b2}")"
}

cat <<EOF

Requests per second: median (best) of $ROUNDS alternating ${DURATION}-second runs; ratios of the
medians (of the best runs). wrk, 1 thread, $CONNECTIONS keep-alive connections, loopback; servers
with 1 worker thread; $PINNING; $CORES cores. \`/pets\` carries one RS256 token (2048-bit key)
from the same issuer for every server; *cache off* is \`AUTH_TOKEN_CACHE=0\` (every request
verifies the signature).

| server | \`GET /health\` | \`GET /pets\`, cache on | on / health | \`GET /pets\`, cache off | off / health |
|---|---:|---:|---:|---:|---:|
| petstore-axum | $(cell axum_health) | $(cell axum_on) | $(ratios axum_on axum_health) | $(cell axum_off) | $(ratios axum_off axum_health) |
| petstore-actix | $(cell actix_health) | $(cell actix_on) | $(ratios actix_on actix_health) | $(cell actix_off) | $(ratios actix_off actix_health) |
| jwt-authorizer 0.15 (axum 0.7) | $(cell peer_health) | — | — | $(cell peer) | $(ratios peer peer_health) |

DPoP, \`GET /pets\` with a reused DPoP-bound token and a fresh ES256 proof per request. The
limit is one ES256 verification added to each \`/health\`: by the Criterion floor
($(awk -v f="${FLOOR_NS:-0}" 'BEGIN { printf "%.1f", f / 1000 }') µs, one signature verified in a loop; \`cargo bench -p auth-core --bench dpop\`), and
as measured over HTTP ($(awk -v f="$HTTP_FLOOR_NS" 'BEGIN { printf "%.1f", f / 1000 }') µs ($(awk -v f="$HTTP_FLOOR_BEST_NS" 'BEGIN { printf "%.1f", f / 1000 }') µs on the best runs): bench/dpop-floor's \`/pets\`, $(cell floor_dpop) req/s, which
only verifies the proof's signature, against its \`/health\`, $(cell floor_health) req/s, same requests):

| server | DPoP \`/pets\` | limit, Criterion floor | DPoP / limit | limit, HTTP floor | DPoP / limit | ≥ 0.9× (HTTP floor) |
|---|---:|---:|---:|---:|---:|---|
$(dpop_row axum petstore-axum)
$(dpop_row actix petstore-actix)

petstore-axum, \`/pets\` cache off, nothing pinned: 1 worker thread $(cell threads1), 2 worker
threads $(cell threads2).

| target (on the medians) | measured | |
|---|---:|---|
| axum: \`/pets\` with a reused token ≥ 0.85× \`/health\` | $(ratios axum_on axum_health) | $(verdict "$AXUM_HIT" 0.85) |
| actix: \`/pets\` with a reused token ≥ 0.85× \`/health\` | $(ratios actix_on actix_health) | $(verdict "$ACTIX_HIT" 0.85) |
| axum: \`/pets\` with a reused opaque token (introspected) ≥ 0.85× \`/health\` | $(ratios axum_opaque axum_health) | $(verdict "$AXUM_OPAQUE" 0.85) |
| actix: \`/pets\` with a reused opaque token (introspected) ≥ 0.85× \`/health\` | $(ratios actix_opaque actix_health) | $(verdict "$ACTIX_OPAQUE" 0.85) |
| axum cache off ≥ 1.5× jwt-authorizer | $(ratios axum_off peer) | $(verdict "$VS_PEER" 1.5) |
| axum cache off, 2 worker threads ≥ 1.8× 1 (not pinned: shares $CORES cores with wrk) | $(ratios threads2 threads1) | $(verdict "$THREADS" 1.8) |

load before: $UPTIME_BEFORE
load after:  $UPTIME_AFTER
EOF
