//! Throughput of one shared `Validator` on 1 and 2 threads: no global lock, so two threads on
//! two cores should validate about twice as many tokens per second as one.
//!
//! ```text
//! cargo bench -p auth-core --bench threads -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the ratios, from target/criterion
//! ```
//!
//! Each thread validates its own token (callers hold different tokens), all through one validator
//! (static keys, no network): RS256 with the verified-token cache off (the signature check on
//! every call), and the same tokens answered from the cache. Reported: time per validation, so
//! throughput is its inverse; the ratio 1 thread / 2 threads is the scaling. On a machine with
//! fewer than two idle cores the second thread has nowhere to run, and the ratio says so.

use std::hint::black_box;
use std::time::{Duration, Instant};

use auth_core::dev_issuer::SigningKey;
use auth_core::{Algorithm, IssuerConfig, StaticKey, TokenCacheOptions, Validator};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use serde_json::json;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "petstore";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `iters` validations on each of `threads` threads; the time per validation (wall time over
/// all threads' validations) is what Criterion records.
fn run(validator: &Validator, tokens: &[String], threads: usize, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for token in &tokens[..threads] {
            s.spawn(move || {
                for _ in 0..iters {
                    // Static keys never wait: one poll finishes the future.
                    let answer = validator.validate(black_box(token)).now_or_never();
                    assert!(matches!(answer, Some(Ok(_))), "every validation must succeed");
                }
            });
        }
    });
    start.elapsed() / threads as u32
}

fn benches(c: &mut Criterion) {
    let key = SigningKey::generate(Algorithm::RS256).expect("key").with_kid("bench-key");
    let tokens: Vec<String> = (0..2)
        .map(|i| {
            key.mint(&json!({
                "iss": ISS, "sub": format!("user-{i}"), "aud": AUD, "exp": now() + 3600, "iat": now(),
                "client_id": "petstore-web", "scope": "pets:read pets:write",
            }))
        })
        .collect();
    for (name, cache) in [("cold", TokenCacheOptions::off()), ("hit", TokenCacheOptions::default())] {
        let validator = Validator::builder()
            .issuer(IssuerConfig::static_keys(ISS, [StaticKey::jwk(key.public_jwk().to_string())]))
            .audience(AUD)
            .algorithms([Algorithm::RS256])
            .token_cache(cache)
            .build()
            .expect("validator");
        let mut g = c.benchmark_group(format!("threads_RS256_{name}"));
        for threads in [1, 2] {
            g.bench_function(format!("{threads}"), |b| {
                b.iter_custom(|iters| run(&validator, &tokens, threads, iters))
            });
        }
        g.finish();
    }
}

criterion_group!(threads, benches);
criterion_main!(threads);
