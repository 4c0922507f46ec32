//! Validation cost per algorithm, next to the crypto floor and to `jsonwebtoken`.
//!
//! ```text
//! cargo bench -p auth-core --bench validate -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the table and ratios, from target/criterion
//! ```
//!
//! For each algorithm, over the same token (static keys, no network):
//! - `floor`: aws-lc-rs verifying the signing input with a pre-parsed key (HMAC: `hmac::verify`);
//! - `ours_cold`: `Validator::validate` with the verified-token cache off;
//! - `ours_hit`: `Validator::validate` answered from the verified-token cache;
//! - `ours_request_hit`: `Authenticator::authenticate` of a request carrying the token in its
//!   `Authorization` header, answered from the cache: what an adapter runs per request;
//! - `jsonwebtoken`: `jsonwebtoken::decode` with a prepared `DecodingKey` and a `Validation`
//!   checking the same things (alg, iss, aud, exp).
//!
//! With `--features metrics`, a Prometheus recorder (`metrics-exporter-prometheus`, as the
//! Petstores install it) is in force before the validators are built, so every series moves as
//! in production; compare with a run without the feature (`--save-baseline` / `--baseline`).
//! `ours_hit_timed` is `ours_hit` with the validation-time histogram also timing the hit: what
//! the crate chose not to do. `BENCH_NO_RECORDER=1` runs the `metrics` build with no recorder
//! (every handle a no-op), which separates the cost of the feature from the recorder's.

use std::hint::black_box;

use auth_core::dev_issuer::SigningKey;
use auth_core::{
    Algorithm, Authentication, Authenticator, IssuerConfig, StaticKey, TokenCacheOptions, Validator,
};
use aws_lc_rs::{hmac, signature};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/get_pets.rs"]
mod get_pets;
use futures_util::FutureExt;
use get_pets::Request;
use serde_json::json;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "petstore";
const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// What a typical resource server deserializes with `jsonwebtoken`.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct PeerClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    client_id: String,
    scope: String,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The crypto floor: one signature check with a key parsed ahead of time.
#[allow(clippy::large_enum_variant)] // one value per benchmark; boxing would add an indirection
enum Floor {
    Public(signature::ParsedPublicKey),
    Hmac(hmac::Key),
}

impl Floor {
    fn new(key: &SigningKey) -> Floor {
        if let Some(secret) = key.hmac_secret() {
            return Floor::Hmac(hmac::Key::new(hmac::HMAC_SHA256, secret));
        }
        let alg: &'static dyn signature::VerificationAlgorithm = match key.algorithm() {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::EdDSA => &signature::ED25519,
            other => panic!("no floor for {other}"),
        };
        let der = key.public_key_der().expect("public key");
        Floor::Public(signature::ParsedPublicKey::new(alg, der).expect("aws-lc-rs parses the key"))
    }

    fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            Floor::Public(k) => k.verify_sig(message, sig).is_ok(),
            Floor::Hmac(k) => hmac::verify(k, message, sig).is_ok(),
        }
    }
}

fn static_key(key: &SigningKey) -> StaticKey {
    match key.hmac_secret() {
        Some(secret) => StaticKey::hmac(secret.to_vec()).with_kid(key.kid()),
        None => StaticKey::jwk(key.public_jwk().to_string()),
    }
}

fn decoding_key(key: &SigningKey) -> jsonwebtoken::DecodingKey {
    match key.hmac_secret() {
        Some(secret) => jsonwebtoken::DecodingKey::from_secret(secret).expect("a non-empty HMAC secret"),
        None => {
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public_jwk()).expect("JWK");
            jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("jsonwebtoken reads the JWK")
        }
    }
}

fn bench_algorithm(c: &mut Criterion, alg: Algorithm) {
    let key = SigningKey::generate(alg).expect("key").with_kid("bench-key");
    let token = key.mint(&json!({
        "iss": ISS, "sub": "user-4711", "aud": AUD, "exp": now() + 3600, "iat": now(),
        "jti": "3f2a9c1e-5d7b-4e8a-9c0d-1b2e3f4a5b6c", "client_id": "petstore-web",
        "scope": "pets:read pets:write",
    }));
    let build = |cache: TokenCacheOptions| {
        Validator::builder()
            .issuer(IssuerConfig::static_keys(ISS, [static_key(&key)]))
            .audience(AUD)
            .algorithms([alg])
            .token_cache(cache)
            .build()
            .expect("validator")
    };
    // Static keys never wait: one poll finishes the future, so no runtime sits in the loop.
    let validate = |v: &Validator| v.validate(black_box(&token)).now_or_never().expect("ready");
    let cold = build(TokenCacheOptions::off());
    let cached = build(TokenCacheOptions::default());
    validate(&cold).expect("valid");
    validate(&cached).expect("valid");

    let (signing_input, sig) = token.rsplit_once('.').expect("three parts");
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
    let floor = Floor::new(&key);
    assert!(floor.verify(signing_input.as_bytes(), &sig));

    let jwt_alg: jsonwebtoken::Algorithm = alg.as_str().parse().expect("jsonwebtoken algorithm");
    let mut validation = jsonwebtoken::Validation::new(jwt_alg);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    let dkey = decoding_key(&key);
    jsonwebtoken::decode::<PeerClaims>(&token, &dkey, &validation).expect("jsonwebtoken accepts");

    let mut g = c.benchmark_group(alg.as_str());
    g.bench_function("floor", |b| {
        b.iter(|| floor.verify(black_box(signing_input.as_bytes()), black_box(&sig)))
    });
    g.bench_function("ours_cold", |b| b.iter(|| validate(&cold)));
    g.bench_function("ours_hit", |b| b.iter(|| validate(&cached)));
    #[cfg(feature = "metrics")]
    {
        let histogram = metrics::histogram!("bench_hit_duration_seconds");
        g.bench_function("ours_hit_timed", |b| {
            b.iter(|| {
                let started = std::time::Instant::now();
                let answer = validate(&cached);
                histogram.record(started.elapsed().as_secs_f64());
                answer
            })
        });
    }
    let request = Request(format!("Bearer {token}").into_bytes());
    let authenticator = Authenticator::new(cached.clone());
    assert!(matches!(authenticator.authenticate(&request), Authentication::Ready(Ok(_))));
    g.bench_function("ours_request_hit", |b| {
        b.iter(|| match authenticator.authenticate(black_box(&request)) {
            Authentication::Ready(outcome) => outcome.is_ok(),
            Authentication::Pending(_) => false,
        })
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| jsonwebtoken::decode::<PeerClaims>(black_box(&token), &dkey, &validation))
    });
    g.finish();
}

/// The recorder the `metrics` runs count into, with an upkeep thread as a server would run.
#[cfg(feature = "metrics")]
fn install_recorder() {
    use auth_core::metrics::{VALIDATION_DURATION_BUCKETS, names};
    if std::env::var_os("BENCH_NO_RECORDER").is_some() {
        return;
    }
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(names::VALIDATION_DURATION.into()),
            &VALIDATION_DURATION_BUCKETS,
        )
        .and_then(PrometheusBuilder::install_recorder)
        .expect("recorder");
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            handle.run_upkeep();
        }
    });
}

fn benches(c: &mut Criterion) {
    #[cfg(feature = "metrics")]
    install_recorder();
    for alg in ALGORITHMS {
        bench_algorithm(c, alg);
    }
}

criterion_group!(validate, benches);
criterion_main!(validate);
