//! DPoP (RFC 9449) costs: proof verification next to the crypto floor of the proof's algorithm,
//! and the in-memory replay store on 1 and 2 threads and under a flood of distinct proofs.
//!
//! ```text
//! cargo bench -p auth-core --bench dpop -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the ratios, from target/criterion
//! ```
//!
//! For ES256, EdDSA and RS256 (static keys, no network, the access token answered from the
//! verified-token cache as it is for a client that reuses its token):
//! - `floor`: aws-lc-rs verifying one proof's signature with a pre-parsed key, the same
//!   signature every time (what a loop measures at best);
//! - `floor_fresh`: the same over fresh proofs, each signature verified once, as a server sees
//!   them (ES256 measured about 6% slower than `floor` this way, EdDSA and RS256 under 1%);
//! - `bearer_hit`: `Authenticator::authenticate` of `GET /pets` with an unbound token as Bearer;
//! - `dpop_request`: the same request with a bound token as DPoP and a fresh proof (a new `jti`
//!   each time, minted before timing starts): everything an adapter runs per DPoP request
//!   (proof parse, key from the proof-key cache, signature, `htm`/`htu`/`iat`/`ath`/`cnf.jkt`,
//!   replay store).
//!
//! `replay_store/{1,2}`: distinct proofs recorded by 1 or 2 threads into one store (time per
//! insert, wall time over all threads), the store holding at most 100,000 live proofs (what the
//! default window holds at ~1,700 DPoP requests per second); `replay_store_growing/{1,2}`: the
//! same into one store that grows to millions of entries, far beyond the caches. Before the benchmarks, 10,000,000 distinct proofs are
//! offered to a store of the default capacity; the report says how many it holds and how much
//! the process's resident memory grew.

use std::hint::black_box;
use std::time::{Duration, Instant};

use auth_core::checks::dpop::{
    DEFAULT_REPLAY_CAPACITY, MemoryReplayStore, Recorded, Recording, ReplayKey, ReplayStore,
};
use auth_core::dev_issuer::{DpopKey, SigningKey};
use auth_core::{
    Algorithm, Authentication, Authenticator, DpopMode, DpopOptions, IssuerConfig, RequestView, StaticKey,
    Validator,
};
use aws_lc_rs::signature;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group};
use futures_util::FutureExt;
#[path = "support/memory.rs"]
mod memory;
use memory::resident_bytes;
use serde_json::json;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "petstore";
const HOST: &str = "api.example.com";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `GET /pets` on `api.example.com` with an `Authorization` and an optional `DPoP` field.
struct Request {
    authorization: Vec<u8>,
    dpop: Option<Vec<u8>>,
}

impl RequestView for Request {
    fn method(&self) -> &str {
        "GET"
    }
    fn scheme(&self) -> Option<&str> {
        Some("http")
    }
    fn authority(&self) -> Option<&str> {
        Some(HOST)
    }
    fn path(&self) -> &str {
        "/pets"
    }
    fn query(&self) -> Option<&str> {
        None
    }
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let value = match name {
            "authorization" => Some(self.authorization.as_slice()),
            "dpop" => self.dpop.as_deref(),
            _ => None,
        };
        value.into_iter()
    }
}

/// Whether the request is accepted at once: with static keys and the memory replay store,
/// nothing waits (a token not yet cached is verified in a future that one poll finishes).
fn accepted(authenticator: &Authenticator, request: &Request) -> bool {
    match authenticator.authenticate(black_box(request)) {
        Authentication::Ready(outcome) => outcome.is_ok(),
        Authentication::Pending(future) => future.now_or_never().is_some_and(|outcome| outcome.is_ok()),
    }
}

/// One algorithm's setup: a validator, a bound token answered from the cache, the client's key,
/// and the floor's pre-parsed key.
struct Fixture {
    authenticator: Authenticator,
    bound: String,
    bearer: Request,
    client_key: DpopKey,
    target: String,
    floor: signature::ParsedPublicKey,
}

impl Fixture {
    fn dpop_request(&self, proof: String) -> Request {
        Request { authorization: format!("DPoP {}", self.bound).into_bytes(), dpop: Some(proof.into_bytes()) }
    }

    /// A fresh proof for `GET /pets` with the bound token.
    fn mint(&self) -> String {
        self.client_key.proof("GET", &self.target).access_token(&self.bound).sign()
    }

    /// A proof's signing input and decoded signature: what the floor verifies.
    fn signed(proof: &str) -> (&str, Vec<u8>) {
        let (signing_input, sig) = proof.rsplit_once('.').expect("three parts");
        (signing_input, URL_SAFE_NO_PAD.decode(sig).expect("base64url"))
    }

    /// The floor: one signature verified with the pre-parsed key.
    fn verify_signature(&self, signing_input: &str, sig: &[u8]) -> bool {
        self.floor.verify_sig(signing_input.as_bytes(), sig).is_ok()
    }
}

fn fixture(alg: Algorithm) -> Fixture {
    let issuer_key = SigningKey::generate(Algorithm::ES256).expect("key").with_kid("bench-key");
    let client_key = SigningKey::generate(alg).expect("client key");
    let der = client_key.public_key_der().expect("public key");
    let client_key = DpopKey::from_signing_key(client_key);
    let claims = |extra: serde_json::Value| {
        let mut claims = json!({
            "iss": ISS, "sub": "user-4711", "aud": AUD, "exp": now() + 3600, "iat": now(),
            "jti": "3f2a9c1e-5d7b-4e8a-9c0d-1b2e3f4a5b6c", "client_id": "petstore-web",
            "scope": "pets:read pets:write",
        });
        claims.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        issuer_key.mint(&claims)
    };
    let bound = claims(json!({ "cnf": { "jkt": client_key.thumbprint() } }));
    let unbound = claims(json!({}));
    let validator = Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, [StaticKey::jwk(issuer_key.public_jwk().to_string())]))
        .audience(AUD)
        .algorithms([Algorithm::ES256])
        .dpop(DpopOptions::new(DpopMode::Allowed))
        .build()
        .expect("validator");
    let authenticator = Authenticator::new(validator);
    let bearer = Request { authorization: format!("Bearer {unbound}").into_bytes(), dpop: None };
    let verification: &'static dyn signature::VerificationAlgorithm = match alg {
        Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
        Algorithm::EdDSA => &signature::ED25519,
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        other => panic!("no floor for {other}"),
    };
    let floor = signature::ParsedPublicKey::new(verification, der).expect("aws-lc-rs parses the key");
    let f =
        Fixture { authenticator, bound, bearer, client_key, target: format!("http://{HOST}/pets"), floor };
    assert!(accepted(&f.authenticator, &f.dpop_request(f.mint())), "a fresh proof is accepted");
    assert!(!accepted(&f.authenticator, &f.dpop_request("not-a-proof".into())), "a bad proof is refused");
    assert!(accepted(&f.authenticator, &f.bearer));
    let sample = f.mint();
    let (signing_input, sig) = Fixture::signed(&sample);
    assert!(f.verify_signature(signing_input, &sig));
    f
}

fn bench_algorithm(c: &mut Criterion, alg: Algorithm) {
    let f = fixture(alg);
    let sample = f.mint();
    let (signing_input, sig) = Fixture::signed(&sample);
    let (authenticator, bearer) = (&f.authenticator, &f.bearer);

    let mut g = c.benchmark_group(format!("dpop_{}", alg.as_str()));
    g.bench_function("floor", |b| b.iter(|| f.verify_signature(black_box(signing_input), black_box(&sig))));
    g.bench_function("floor_fresh", |b| {
        b.iter_custom(|iters| {
            let proofs: Vec<String> = (0..iters).map(|_| f.mint()).collect();
            let signed: Vec<(&str, Vec<u8>)> = proofs.iter().map(|p| Fixture::signed(p)).collect();
            let start = Instant::now();
            for (input, sig) in &signed {
                assert!(f.verify_signature(black_box(input), black_box(sig)));
            }
            start.elapsed()
        })
    });
    g.bench_function("bearer_hit", |b| b.iter(|| accepted(authenticator, bearer)));
    g.bench_function("dpop_request", |b| {
        b.iter_custom(|iters| {
            let requests: Vec<Request> = (0..iters).map(|_| f.dpop_request(f.mint())).collect();
            let start = Instant::now();
            for request in &requests {
                assert!(accepted(authenticator, request), "every fresh proof is accepted");
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn record(store: &MemoryReplayStore, key: ReplayKey, expires_at: i64, now: i64) -> bool {
    match store.record(key, expires_at, now) {
        Recording::Ready(Ok(Recorded::New)) => true,
        Recording::Ready(_) => false,
        Recording::Pending(_) => unreachable!("the memory store answers at once"),
    }
}

/// Distinct keys, as proofs from one client key would give.
fn keys(from: u64, count: u64) -> Vec<ReplayKey> {
    (from..from + count).map(|i| ReplayKey::new("bench-thumbprint", &i.to_string())).collect()
}

/// Proofs each thread records into one store before a fresh store is taken: two threads keep
/// 100,000 live proofs, what the default 60 s window holds at ~1,700 DPoP requests per second.
const ROUND: u64 = 50_000;

/// `threads` threads each recording `count` distinct keys from `batches` into `store`; the wall
/// time over all threads' inserts.
fn insert_all(store: &MemoryReplayStore, batches: &[Vec<ReplayKey>], count: usize) -> Duration {
    let now = now();
    let start = Instant::now();
    std::thread::scope(|s| {
        for batch in batches {
            s.spawn(move || {
                for key in &batch[..count] {
                    assert!(record(store, *key, now + 60, now), "every key is new");
                }
            });
        }
    });
    start.elapsed() / batches.len() as u32
}

fn bench_replay_store(c: &mut Criterion) {
    // Steady state: a store of 100,000 live proofs at most (fresh every ROUND keys per thread).
    let mut g = c.benchmark_group("replay_store");
    for threads in [1u64, 2] {
        let batches: Vec<Vec<ReplayKey>> = (0..threads).map(|t| keys(t * ROUND, ROUND)).collect();
        g.bench_function(format!("{threads}"), |b| {
            b.iter_custom(|iters| {
                let mut left = iters;
                let mut elapsed = Duration::ZERO;
                while left > 0 {
                    let count = left.min(ROUND);
                    let store = MemoryReplayStore::new((ROUND * 2 * 2) as usize);
                    elapsed += insert_all(&store, &batches, count as usize);
                    left -= count;
                }
                elapsed
            })
        });
    }
    g.finish();
    // One store growing to every key Criterion asks for (millions): the table is far beyond the
    // caches, and each insert waits on memory.
    let mut g = c.benchmark_group("replay_store_growing");
    for threads in [1u64, 2] {
        g.bench_function(format!("{threads}"), |b| {
            b.iter_custom(|iters| {
                // Room for all, with slack: the keys spread unevenly over the 64 shards.
                let store = MemoryReplayStore::new((iters * threads * 2) as usize + 4096);
                let batches: Vec<Vec<ReplayKey>> = (0..threads).map(|t| keys(t * iters, iters)).collect();
                insert_all(&store, &batches, iters as usize)
            })
        });
    }
    g.finish();
}

/// 10,000,000 distinct proofs offered within one window to a store of the default capacity.
fn flood_report() {
    const PROOFS: u64 = 10_000_000;
    let before = resident_bytes();
    let store = MemoryReplayStore::default();
    let now = now();
    let (mut held, mut refused) = (0u64, 0u64);
    let start = Instant::now();
    for i in 0..PROOFS {
        let key = ReplayKey::new("flood-thumbprint", &i.to_string());
        if record(&store, key, now + 60, now) { held += 1 } else { refused += 1 }
    }
    let elapsed = start.elapsed();
    let grown = before.zip(resident_bytes()).map(|(b, a)| a.saturating_sub(b));
    // Every proof it holds is still refused as a replay.
    let replays_refused = (0..held.min(100_000))
        .all(|i| !record(&store, ReplayKey::new("flood-thumbprint", &i.to_string()), now + 60, now));
    println!(
        "replay store flood: {PROOFS} distinct proofs into capacity {} ({DEFAULT_REPLAY_CAPACITY} default): \
         held {held} (len {}), refused {refused} (503), replays of held proofs refused: {replays_refused}; \
         resident memory grew {} MiB; {:.0} ns per offer",
        store.capacity(),
        store.len(),
        grown.map_or("?".to_owned(), |g| format!("{:.1}", g as f64 / 1048576.0)),
        elapsed.as_nanos() as f64 / PROOFS as f64,
    );
}

fn benches(c: &mut Criterion) {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        bench_algorithm(c, alg);
    }
    bench_replay_store(c);
}

criterion_group!(dpop, benches);

/// `DPOP_INSTRUCTIONS=<baseline|floor|dpop|bearer>:<alg>:<n>`: no benchmark, only the setup, `n`
/// fresh proofs minted, then (`floor`) their signatures verified, (`dpop`) `n` DPoP requests
/// authenticated, or (`bearer`) the Bearer request authenticated `n` times from the cache. Run under `valgrind --tool=callgrind` (bench/dpop_instructions.sh), the
/// differences to `baseline` are instructions per operation: a count the machine's load does not
/// move.
fn instruction_run(spec: &str) {
    let mut parts = spec.split(':');
    let (mode, alg, n) = (parts.next(), parts.next(), parts.next());
    let alg: Algorithm = alg.and_then(|a| a.parse().ok()).expect("DPOP_INSTRUCTIONS=<mode>:<alg>:<n>");
    let n: usize = n.and_then(|n| n.parse().ok()).expect("DPOP_INSTRUCTIONS=<mode>:<alg>:<n>");
    let f = fixture(alg);
    let proofs: Vec<String> = (0..n).map(|_| f.mint()).collect();
    let requests: Vec<Request> = proofs.iter().map(|p| f.dpop_request(p.clone())).collect();
    let signed: Vec<(&str, Vec<u8>)> = proofs.iter().map(|p| Fixture::signed(p)).collect();
    match mode {
        Some("baseline") => {}
        Some("floor") => assert!(signed.iter().all(|(input, sig)| f.verify_signature(black_box(input), sig))),
        Some("dpop") => assert!(requests.iter().all(|r| accepted(&f.authenticator, r))),
        // The Bearer request, answered from the verified-token cache, n times.
        Some("bearer") => assert!((0..n).all(|_| accepted(&f.authenticator, black_box(&f.bearer)))),
        other => panic!("unknown mode {other:?}"),
    }
}

fn main() {
    if let Ok(spec) = std::env::var("DPOP_INSTRUCTIONS") {
        return instruction_run(&spec);
    }
    // The flood first, alone, so its memory reading is not mixed with the benchmarks'.
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        flood_report();
    }
    dpop();
    Criterion::default().configure_from_args().final_summary();
}
