//! The JWKS cache against a real HTTP server: single flight, unknown-`kid` cooldown, refresh
//! ahead of expiry, bounded staleness, backoff, bounded fetches, discovery, several issuers.
//! Time logic runs on tokio's paused clock; every test counts the fetches it causes.

#[path = "jwks_cache/discovery.rs"]
mod discovery;
mod support;

use std::time::Duration;

use auth_core::{Algorithm, AuthError, IssuerConfig, JwksOptions, TokenProblem, Validator};
use serde_json::json;
use support::{Body, JWKS, KEYS, OAUTH, OIDC, SilentServer, TestServer, key, token};
use tokio::time::{Instant, advance};

const ISS: &str = "https://issuer.test";
const ES: Algorithm = Algorithm::ES256;

fn validator_for(url: &str, options: JwksOptions) -> Validator {
    Validator::builder()
        .issuer(IssuerConfig::jwks_url(ISS, url))
        .audience("api")
        .jwks_options(options)
        .build()
        .unwrap()
}

fn unknown_key() -> AuthError {
    AuthError::InvalidToken(TokenProblem::UnknownKey)
}

fn is_unavailable(result: &Result<auth_core::Claims, AuthError>) -> bool {
    matches!(result, Err(AuthError::Unavailable { .. }))
}

/// Lets background refreshes run until `done` holds (bounded, so a bug fails instead of hanging).
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn a_thousand_concurrent_first_validations_fetch_once() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    let t = token(&k, ISS);
    let results = futures_util::future::join_all((0..1000).map(|_| v.validate(&t))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.hits(JWKS), 1);
    assert_eq!(v.stats().fetches, 1);
    assert_eq!(v.stats().accepted, 1000);
}

#[tokio::test(start_paused = true)]
async fn unknown_kids_refresh_once_per_cooldown() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    v.validate(&token(&k, ISS)).await.unwrap();
    assert_eq!(server.hits(JWKS), 1);

    let stranger = |kid: &str| token(&key(ES, kid), ISS);
    assert_eq!(v.validate(&stranger("x1")).await.unwrap_err(), unknown_key());
    assert_eq!(server.hits(JWKS), 2, "the first unknown kid refreshes");
    for kid in ["x2", "x3", "x4"] {
        assert_eq!(v.validate(&stranger(kid)).await.unwrap_err(), unknown_key());
    }
    assert_eq!(server.hits(JWKS), 2, "within the cooldown: no fetch");
    let s = v.stats();
    assert_eq!((s.unknown_kid_refreshes, s.unknown_kid_suppressed), (1, 3));

    advance(Duration::from_secs(29)).await;
    assert_eq!(v.validate(&stranger("x5")).await.unwrap_err(), unknown_key());
    assert_eq!(server.hits(JWKS), 2);
    advance(Duration::from_secs(2)).await;
    assert_eq!(v.validate(&stranger("x6")).await.unwrap_err(), unknown_key());
    assert_eq!(server.hits(JWKS), 3, "after the cooldown one more refresh");
    assert_eq!(v.stats().unknown_kid_refreshes, 2);
    assert!(v.validate(&token(&k, ISS)).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_rotated_in_key_verifies_on_first_use_right_after_the_first_fetch() {
    let (a, b) = (key(ES, "a"), key(Algorithm::RS256, "b"));
    let server = TestServer::start(vec![a.public_jwk()]).await;
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    v.validate(&token(&a, ISS)).await.unwrap();
    server.set(|s| s.keys = vec![a.public_jwk(), b.public_jwk()]);
    assert!(v.validate(&token(&b, ISS)).await.is_ok());
    assert!(v.validate(&token(&a, ISS)).await.is_ok());
    assert_eq!(server.hits(JWKS), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_runs_in_the_background_and_honours_max_age() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.cache_control = Some("public, max-age=120".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    let t = token(&k, ISS);
    v.validate(&t).await.unwrap();

    // TTL 120 s, refresh ahead min(60 s, TTL/2) = 60 s.
    advance(Duration::from_secs(59)).await;
    v.validate(&t).await.unwrap();
    assert_eq!(server.hits(JWKS), 1, "still fresh, outside the refresh-ahead window");

    advance(Duration::from_secs(2)).await;
    server.set(|s| s.body = Body::Hang);
    let started = Instant::now();
    v.validate(&t).await.unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO, "the request did not wait for the refresh");
    until(|| server.hits(JWKS) == 2).await;
    assert_eq!(v.stats().stale_serves, 0);
}

#[tokio::test(start_paused = true)]
async fn max_age_is_clamped_to_min_and_max_ttl() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let t = token(&k, ISS);

    // max-age=1 is raised to min_ttl (30 s): refresh ahead starts at 15 s, not at once.
    server.set(|s| s.cache_control = Some("max-age=1".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    v.validate(&t).await.unwrap();
    advance(Duration::from_secs(10)).await;
    v.validate(&t).await.unwrap();
    assert_eq!(server.hits(JWKS), 1);
    advance(Duration::from_secs(6)).await;
    v.validate(&t).await.unwrap();
    until(|| server.hits(JWKS) == 2).await;

    // max-age=1 day is lowered to max_ttl (600 s): refresh ahead starts at 540 s.
    server.set(|s| s.cache_control = Some("max-age=86400".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default().max_ttl(Duration::from_secs(600)));
    v.validate(&t).await.unwrap();
    assert_eq!(server.hits(JWKS), 3);
    advance(Duration::from_secs(530)).await;
    v.validate(&t).await.unwrap();
    assert_eq!(server.hits(JWKS), 3);
    advance(Duration::from_secs(15)).await;
    v.validate(&t).await.unwrap();
    until(|| server.hits(JWKS) == 4).await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_provider_is_ridden_out_within_max_stale_then_unavailable() {
    for failure in ["500", "garbage", "hang"] {
        let k = key(ES, "a");
        let server = TestServer::start(vec![k.public_jwk()]).await;
        server.set(|s| s.cache_control = Some("max-age=60".into()));
        let v = validator_for(&server.url(JWKS), JwksOptions::default().max_stale(Duration::from_secs(600)));
        let t = token(&k, ISS);
        v.validate(&t).await.unwrap();
        server.set(|s| match failure {
            "500" => s.status = 500,
            "garbage" => s.body = Body::Garbage,
            _ => s.body = Body::Hang,
        });

        advance(Duration::from_secs(61)).await;
        assert!(v.validate(&t).await.is_ok(), "{failure}: stale keys served");
        assert!(v.stats().stale_serves > 0);
        until(|| server.hits(JWKS) == 2).await;
        advance(Duration::from_secs(300)).await;
        until(|| v.stats().fetch_failures == 1).await;
        assert!(v.validate(&t).await.is_ok(), "{failure}: still within max_stale");

        advance(Duration::from_secs(300)).await; // 661 s > TTL 60 s + max_stale 600 s
        let result = v.validate(&t).await;
        assert!(is_unavailable(&result), "{failure}: {result:?}");
        // A new fetch was tried (a hung one is still going when the request stops waiting).
        assert!(v.stats().fetches >= 3, "{failure}: {:?} hits {}", v.stats(), server.hits(JWKS));
    }
}

#[tokio::test(start_paused = true)]
async fn without_any_keys_the_answer_is_503_and_backoff_limits_fetches() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.status = 500);
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    let t = token(&k, ISS);

    let err = v.validate(&t).await.unwrap_err();
    let AuthError::Unavailable { retry_after } = err else { panic!("{err:?}") };
    assert_eq!(retry_after, Duration::from_secs(1));
    let challenge = v.rejection(&err);
    assert_eq!((challenge.status(), challenge.retry_after()), (503, Some(1)));
    assert_eq!(server.hits(JWKS), 1);

    // Backing off: no fetch at all.
    assert!(is_unavailable(&v.validate(&t).await));
    assert_eq!(server.hits(JWKS), 1);
    advance(Duration::from_millis(1001)).await;
    assert!(is_unavailable(&v.validate(&t).await));
    assert_eq!(server.hits(JWKS), 2);
    // The backoff doubled to 2 s.
    advance(Duration::from_millis(1500)).await;
    assert!(is_unavailable(&v.validate(&t).await));
    assert_eq!(server.hits(JWKS), 2);
    advance(Duration::from_millis(600)).await;
    server.set(|s| s.status = 200);
    let r = v.validate(&t).await;
    assert!(r.is_ok(), "recovers once the provider answers: {r:?}");
    assert_eq!(server.hits(JWKS), 3, "{:?}", v.stats());
    assert_eq!(v.stats().rejected("unavailable"), 4);
    assert_eq!(v.stats().rejected("unknown_key"), 0);
}

/// One first validation against a server misbehaving as `setup` says; returns the result and
/// the paused-clock time it took.
async fn first_validation(
    options: JwksOptions,
    setup: impl FnOnce(&TestServer),
) -> (Result<auth_core::Claims, AuthError>, Duration, TestServer) {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    setup(&server);
    let v = validator_for(&server.url(JWKS), options);
    let started = Instant::now();
    let result = v.validate(&token(&k, ISS)).await;
    (result, started.elapsed(), server)
}

#[tokio::test(start_paused = true)]
async fn a_hanging_server_and_a_drip_fed_body_end_at_fetch_timeout() {
    let timeout = JwksOptions::default().fetch_timeout;
    let patient = JwksOptions::default().max_wait(timeout);
    let (result, took, _) = first_validation(patient.clone(), |s| s.set(|b| b.body = Body::Hang)).await;
    assert!(is_unavailable(&result), "{result:?}");
    assert!(took >= timeout && took < timeout + Duration::from_secs(1), "{took:?}");

    let every = Duration::from_millis(100);
    let (result, took, _) = first_validation(patient, |s| s.set(|b| b.body = Body::Drip(every))).await;
    assert!(is_unavailable(&result), "{result:?}");
    assert!(took >= timeout && took < timeout + Duration::from_secs(1), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn oversize_bodies_and_non_200_statuses_fail() {
    let small = JwksOptions::default().max_body_bytes(4096);
    let (result, _, _) = first_validation(small.clone(), |s| s.set(|b| b.body = Body::Padded(4000))).await;
    assert!(result.is_ok(), "a padded JWKS under the limit is fine: {result:?}");
    let (result, _, _) = first_validation(small, |s| s.set(|b| b.body = Body::Padded(5000))).await;
    assert!(is_unavailable(&result), "{result:?}");

    for status in [201, 203, 204, 301, 404] {
        let (result, _, server) =
            first_validation(JwksOptions::default(), |s| s.set(|b| b.status = status)).await;
        assert!(is_unavailable(&result), "{status}: {result:?}");
        assert_eq!(server.hits(JWKS), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn redirects_are_followed_only_to_the_same_host() {
    let (result, _, server) = first_validation(JwksOptions::default(), |s| {
        let to = format!("http://127.0.0.1:{}{KEYS}", s.port());
        s.set(|b| b.redirect = Some(to));
    })
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((server.hits(JWKS), server.hits(KEYS)), (1, 1));

    let (result, _, server) = first_validation(JwksOptions::default(), |s| {
        let to = format!("http://localhost:{}{KEYS}", s.port());
        s.set(|b| b.redirect = Some(to));
    })
    .await;
    assert!(is_unavailable(&result), "{result:?}");
    assert_eq!((server.hits(JWKS), server.hits(KEYS)), (1, 0));
}

/// A user's own HTTP client follows redirects as it likes; the keys it brings back from another
/// origin are still refused.
#[tokio::test(start_paused = true)]
async fn a_custom_client_does_not_lift_the_same_host_rule() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|b| b.redirect = Some(format!("http://localhost:{}{KEYS}", server.port())));
    let v = Validator::builder()
        .issuer(IssuerConfig::jwks_url(ISS, server.url(JWKS)))
        .audience("api")
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let result = v.validate(&token(&k, ISS)).await;
    assert!(is_unavailable(&result), "{result:?}");
    assert_eq!(server.hits(KEYS), 1, "the client followed the redirect");
    assert_eq!(v.stats().fetch_failures, 1, "and its document was refused");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_at_build() {
    let build =
        |issuer: IssuerConfig| Validator::builder().issuer(issuer).audience("api").build().unwrap_err();
    let err = build(IssuerConfig::jwks_url(ISS, "http://idp.example.com/jwks"));
    assert_eq!(err.setting(), "issuers[0].jwks_uri");
    let err = build(IssuerConfig::discover("http://idp.example.com"));
    assert_eq!(err.setting(), "issuers[0].issuer");
}

#[tokio::test(start_paused = true)]
async fn unusable_keys_are_skipped_and_removed_keys_stop_verifying() {
    let (good, gone, enc) = (key(ES, "good"), key(Algorithm::EdDSA, "gone"), key(Algorithm::RS256, "enc"));
    let mut enc_jwk = enc.public_jwk();
    enc_jwk["use"] = json!("enc");
    let mut weak_n = vec![0xC5u8; 128]; // a 1024-bit modulus
    weak_n[127] |= 1;
    let weak = json!({"kty": "RSA", "kid": "weak", "n": base64_url(&weak_n), "e": "AQAB"});
    let keys = vec![
        enc_jwk,
        weak,
        json!({"kty": "XYZ", "kid": "odd"}),
        json!("garbage"),
        json!({"kty": "EC", "crv": "P-256", "x": "!!"}),
        good.public_jwk(),
        gone.public_jwk(),
    ];
    let server = TestServer::start(keys).await;
    server.set(|s| s.cache_control = Some("max-age=60".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    assert!(v.validate(&token(&good, ISS)).await.is_ok());
    assert!(v.validate(&token(&gone, ISS)).await.is_ok());
    assert_eq!(v.validate(&token(&enc, ISS)).await.unwrap_err(), unknown_key(), "use: enc never verifies");

    server.set(|s| s.keys = vec![good.public_jwk()]);
    advance(Duration::from_secs(31)).await; // inside the refresh-ahead window
    let gone_token = token(&gone, ISS);
    assert!(v.validate(&token(&good, ISS)).await.is_ok());
    let mut rejected = None;
    for _ in 0..10_000 {
        if let Err(e) = v.validate(&gone_token).await {
            rejected = Some(e);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(rejected, Some(unknown_key()), "a removed key stops verifying after the refresh");
    assert!(v.validate(&token(&good, ISS)).await.is_ok());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
