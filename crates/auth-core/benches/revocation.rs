//! What revocation costs: the replica lookup on a verified-token cache hit, the replica's
//! memory, and (with the `redis` feature and `redis-server` on the PATH) how long a revocation
//! made on one instance takes to be refused by another.
//!
//! ```text
//! cargo bench -p auth-core --features redis --bench revocation -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the ratios, from target/criterion
//! ```
//!
//! Criterion group `revocation`, one token (static ES256 key, no network), every timed call a
//! cache hit:
//! - `hit`: `Validator::validate`, no revocation list;
//! - `hit_empty`: with an empty list;
//! - `hit_1k` / `hit_1m`: with a list of 1,000 / 1,000,000 entries, a quarter of each kind,
//!   none matching;
//! - `request_hit` / `request_hit_1m`: `Authenticator::authenticate` of `GET /pets` without a
//!   list and with the 1,000,000 entries.

use std::hint::black_box;
use std::time::Duration;

use auth_core::checks::revocation::{Revocation, RevocationOptions, Revocations};
use auth_core::dev_issuer::SigningKey;
use auth_core::{
    Algorithm, Authentication, Authenticator, DpopMode, DpopOptions, IssuerConfig, StaticKey, Validator,
};
use criterion::{Criterion, criterion_group};
use futures_util::FutureExt;
use serde_json::json;

#[path = "support/get_pets.rs"]
mod get_pets;
#[path = "support/memory.rs"]
mod memory;
use get_pets::Request;

const ISS: &str = "https://idp.example.com";
const ENTRIES: usize = 1_000_000;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn validator(key: &SigningKey, revocations: Option<&Revocations>) -> Validator {
    let static_key = StaticKey::jwk(key.public_jwk().to_string());
    let mut builder = Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, [static_key]))
        .audience("petstore")
        .algorithms([Algorithm::ES256])
        // The token names a DPoP key (so the key lookup runs); it is sent as Bearer here.
        .dpop(DpopOptions::new(DpopMode::Off));
    if let Some(revocations) = revocations {
        builder = builder.revocations(revocations.clone());
    }
    builder.build().expect("validator")
}

/// `count` entries, a quarter of each kind, none naming the benchmark's token.
fn fill(runtime: &tokio::runtime::Runtime, revocations: &Revocations, count: usize) {
    runtime.block_on(async {
        for i in 0..count {
            let revocation = match i % 4 {
                0 => Revocation::token(ISS, format!("revoked-jti-{i}")),
                1 => Revocation::subject(format!("revoked-user-{i}"), None),
                2 => Revocation::client(format!("revoked-client-{i}"), None),
                _ => Revocation::key(format!("revoked-thumbprint-{i:043}")),
            };
            revocations.revoke(revocation).await.expect("recorded");
        }
    });
}

fn lists(runtime: &tokio::runtime::Runtime) -> (Revocations, Revocations, Revocations) {
    let options = || RevocationOptions::default().max_entries(ENTRIES);
    let empty = Revocations::in_memory(options()).expect("options");
    let small = Revocations::in_memory(options()).expect("options");
    fill(runtime, &small, 1000);
    let before = memory::resident_bytes();
    let full = Revocations::in_memory(options()).expect("options");
    fill(runtime, &full, ENTRIES);
    let grown = before.zip(memory::resident_bytes()).map(|(b, a)| a.saturating_sub(b));
    println!(
        "revocation replica: {} entries (a quarter of each kind), resident memory grew {} MiB",
        full.len(),
        grown.map_or("?".to_owned(), |g| format!("{:.1}", g as f64 / 1_048_576.0)),
    );
    (empty, small, full)
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (empty, small, full) = lists(&runtime);
    let key = SigningKey::generate(Algorithm::ES256).expect("key").with_kid("bench-key");
    let token = key.mint(&json!({
        "iss": ISS, "sub": "user-4711", "aud": "petstore", "exp": now() + 3600, "iat": now(),
        "jti": "3f2a9c1e-5d7b-4e8a-9c0d-1b2e3f4a5b6c", "client_id": "petstore-web",
        "scope": "pets:read pets:write", "cnf": { "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
    }));
    let plain = validator(&key, None);
    let with_empty = validator(&key, Some(&empty));
    let with_small = validator(&key, Some(&small));
    let with_full = validator(&key, Some(&full));
    let validate = |v: &Validator| v.validate(black_box(&token)).now_or_never().expect("ready");
    for v in [&plain, &with_empty, &with_small, &with_full] {
        validate(v).expect("valid, and now cached");
    }
    let request = Request(format!("Bearer {token}").into_bytes());
    let answered = |authenticator: &Authenticator| match authenticator.authenticate(black_box(&request)) {
        Authentication::Ready(outcome) => outcome.is_ok(),
        Authentication::Pending(_) => false,
    };
    let (plain_auth, full_auth) = (Authenticator::new(plain.clone()), Authenticator::new(with_full.clone()));
    assert!(answered(&plain_auth) && answered(&full_auth));

    let mut g = c.benchmark_group("revocation");
    g.bench_function("hit", |b| b.iter(|| validate(&plain)));
    g.bench_function("hit_empty", |b| b.iter(|| validate(&with_empty)));
    g.bench_function("hit_1k", |b| b.iter(|| validate(&with_small)));
    g.bench_function("hit_1m", |b| b.iter(|| validate(&with_full)));
    let claims = validate(&plain).expect("valid");
    g.bench_function("lookup_1k", |b| b.iter(|| small.is_revoked(black_box(&claims))));
    g.bench_function("request_hit", |b| b.iter(|| answered(&plain_auth)));
    g.bench_function("request_hit_1m", |b| b.iter(|| answered(&full_auth)));
    g.finish();
}

criterion_group!(revocation, benches);

fn main() {
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        #[cfg(feature = "redis")]
        propagation::report();
    }
    revocation();
    Criterion::default().configure_from_args().final_summary();
}

/// Propagation through a real `redis-server`: 1,000 revocations made on instance A, each timed
/// until instance B's validator refuses the token (B polls its own validator, as its requests
/// would).
#[cfg(feature = "redis")]
mod propagation {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    use auth_core::store::redis::{RedisOptions, RedisStore};
    use auth_core::{AuthError, TokenProblem};

    use super::*;

    const REVOCATIONS: usize = 1000;

    /// Starts `redis-server` on a free loopback port; `None` when it is not installed.
    fn redis_server() -> Option<(std::process::Child, String)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take()?;
        for line in BufReader::new(stdout).lines() {
            if line.ok()?.contains("Ready to accept connections") {
                return Some((child, format!("redis://127.0.0.1:{port}/")));
            }
        }
        None
    }

    pub(super) fn report() {
        let Some((mut server, url)) = redis_server() else {
            println!("revocation propagation: skipped (no redis-server on the PATH)");
            return;
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (p50, p99, max) = runtime.block_on(measure(&url));
        println!(
            "revocation propagation over {REVOCATIONS} revocations (A revokes, B refuses), loopback redis: \
             p50 {p50:?}, p99 {p99:?}, max {max:?}"
        );
        runtime.block_on(replica_memory(&url));
        let _ = server.kill();
        let _ = server.wait();
    }

    /// A replica reading 1,000,000 entries from Redis at start: its memory (the lookup table and
    /// the identities kept to write back after a data loss) and how long the first read takes.
    async fn replica_memory(url: &str) {
        let client = redis::Client::open(url).expect("url");
        let mut connection = client.get_multiplexed_async_connection().await.expect("connection");
        let expires = now() + 86_400;
        for batch in 0..(ENTRIES / 10_000) {
            let mut pipe = redis::pipe();
            for i in batch * 10_000..(batch + 1) * 10_000 {
                let field = match i % 4 {
                    0 => format!(r#"["t","{ISS}","revoked-jti-{i}"]"#),
                    1 => format!(r#"["s","revoked-user-{i}"]"#),
                    2 => format!(r#"["c","revoked-client-{i}"]"#),
                    _ => format!(r#"["k","revoked-thumbprint-{i:043}"]"#),
                };
                let before = if i % 4 == 1 || i % 4 == 2 { now() } else { -1 };
                pipe.cmd("HSET")
                    .arg("auth:revocations")
                    .arg(field)
                    .arg(format!("{before} {expires}"))
                    .ignore();
            }
            let () = pipe.query_async(&mut connection).await.expect("written");
        }
        let before = memory::resident_bytes();
        let start = Instant::now();
        let store = RedisStore::new(url, RedisOptions::default()).expect("store");
        let list = Revocations::redis(&store, RevocationOptions::default()).expect("list");
        while list.state() != auth_core::checks::revocation::RevocationState::Fresh {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let grown = before.zip(memory::resident_bytes()).map(|(b, a)| a.saturating_sub(b));
        println!(
            "revocation replica on redis: {} entries read in {:?}, resident memory grew {} MiB",
            list.len(),
            start.elapsed(),
            grown.map_or("?".to_owned(), |g| format!("{:.1}", g as f64 / 1_048_576.0)),
        );
    }

    async fn measure(url: &str) -> (Duration, Duration, Duration) {
        let list = || {
            let store = RedisStore::new(url, RedisOptions::default()).expect("store");
            Revocations::redis(&store, RevocationOptions::default()).expect("list")
        };
        let (a, b) = (list(), list());
        let key = SigningKey::generate(Algorithm::ES256).expect("key").with_kid("bench-key");
        let on_b = validator(&key, Some(&b));
        let tokens: Vec<String> = (0..REVOCATIONS)
            .map(|i| {
                key.mint(
                    &json!({ "iss": ISS, "sub": "u", "aud": "petstore", "exp": now() + 3600, "iat": now(),
                                   "jti": format!("propagation-{i}") }),
                )
            })
            .collect();
        while b.state() != auth_core::checks::revocation::RevocationState::Fresh {
            tokio::task::yield_now().await;
        }
        let mut times = Vec::with_capacity(REVOCATIONS);
        for (i, token) in tokens.iter().enumerate() {
            on_b.validate(token).await.expect("valid before");
            let start = Instant::now();
            a.revoke(Revocation::token(ISS, format!("propagation-{i}"))).await.expect("recorded");
            loop {
                match on_b.validate(token).await {
                    Err(AuthError::InvalidToken(TokenProblem::Revoked)) => break,
                    _ => tokio::task::yield_now().await,
                }
            }
            times.push(start.elapsed());
        }
        times.sort();
        (times[REVOCATIONS / 2], times[REVOCATIONS * 99 / 100], times[REVOCATIONS - 1])
    }
}
