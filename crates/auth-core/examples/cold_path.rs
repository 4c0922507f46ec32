//! The cold validation path (verified-token cache off) for one token, run N times: a small binary
//! to count instructions with callgrind, where wall time is too noisy.
//!
//! ```text
//! cargo build --release -p auth-core --example cold_path
//! valgrind --tool=callgrind --toggle-collect='*validate_once*' target/release/examples/cold_path 10000 RS256
//! callgrind_annotate callgrind.out.*
//! ```
//!
//! The token and validator match `benches/validate.rs` (the algorithm given, HS256 by default;
//! static key with a `kid`, issuer and audience checked). Counting only inside `validate_once`
//! leaves out the set-up, whose key generation gathers jitter entropy and so costs a different
//! number of instructions each run: the total over N is N times the cost of one validation,
//! claims dropped included. After the first validation the token's header is remembered (as in
//! a server), so the count is that of the steady state.

use auth_core::dev_issuer::SigningKey;
use auth_core::{Algorithm, IssuerConfig, StaticKey, TokenCacheOptions, Validator};
use futures_util::FutureExt;
use serde_json::json;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "petstore";

/// One validation, its claims dropped: what callgrind is told to count.
#[inline(never)]
fn validate_once(validator: &Validator, token: &str) -> bool {
    // Static keys never wait: one poll finishes the future.
    validator.validate(token).now_or_never().expect("ready").is_ok()
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let alg = std::env::args().nth(2).map_or(Ok(Algorithm::HS256), |a| a.parse()).expect("an algorithm name");
    let key = SigningKey::generate(alg).expect("key").with_kid("bench-key");
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let token = key.mint(&json!({
        "iss": ISS, "sub": "user-4711", "aud": AUD, "exp": now + 3600, "iat": now,
        "jti": "3f2a9c1e-5d7b-4e8a-9c0d-1b2e3f4a5b6c", "client_id": "petstore-web",
        "scope": "pets:read pets:write",
    }));
    let static_key = match key.hmac_secret() {
        Some(secret) => StaticKey::hmac(secret.to_vec()).with_kid(key.kid()),
        None => StaticKey::jwk(key.public_jwk().to_string()),
    };
    let validator = Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, [static_key]))
        .audience(AUD)
        .algorithms([alg])
        .token_cache(TokenCacheOptions::off())
        .build()
        .expect("validator");
    let accepted = (0..n).filter(|_| validate_once(&validator, std::hint::black_box(&token))).count();
    assert_eq!(accepted as u64, n, "every validation must succeed");
    println!("validated {n} tokens");
}
