//! The JWKS cache against a real HTTP server: single flight, unknown-`kid` cooldown, refresh
//! ahead of expiry, bounded staleness, backoff, bounded fetches, discovery, several issuers.
//! Time logic runs on tokio's paused clock; every test counts the fetches it causes.

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

fn discovering(server: &TestServer) -> Validator {
    Validator::builder().issuer(IssuerConfig::discover(server.base())).audience("api").build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn discovery_uses_openid_configuration_then_rfc8414() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = discovering(&server);
    v.validate(&token(&k, server.base())).await.unwrap();
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (1, 0, 1));

    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.oidc_discovery = false);
    let v = discovering(&server);
    v.validate(&token(&k, server.base())).await.unwrap();
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let k = key(ES, "a");
    for wrong in ["/", "/tenant", ""] {
        let server = TestServer::start(vec![k.public_jwk()]).await;
        let named = if wrong.is_empty() {
            "https://evil.test".to_owned()
        } else {
            format!("{}{wrong}", server.base())
        };
        server.set(|s| s.discovery_issuer = Some(named));
        let v = discovering(&server);
        for _ in 0..3 {
            let result = v.validate(&token(&k, server.base())).await;
            assert!(is_unavailable(&result), "{wrong:?}: {result:?}");
            advance(Duration::from_secs(40)).await;
        }
        assert_eq!(server.hits(JWKS), 0, "the keys of a mismatched document are never fetched");
        assert_eq!(v.stats().accepted, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_issuer_is_rejected_without_any_fetch() {
    let k = key(ES, "a");
    let (one, two) =
        (TestServer::start(vec![k.public_jwk()]).await, TestServer::start(vec![k.public_jwk()]).await);
    let v = Validator::builder()
        .issuer(IssuerConfig::jwks_url("https://one.test", one.url(JWKS)))
        .issuer(IssuerConfig::discover(two.base()))
        .audience("api")
        .build()
        .unwrap();
    for iss in ["https://three.test", "https://one.test/"] {
        let err = v.validate(&token(&k, iss)).await.unwrap_err();
        assert_eq!(err, AuthError::InvalidToken(TokenProblem::UnknownIssuer));
    }
    assert_eq!(one.total_hits() + two.total_hits(), 0);
    assert!(v.validate(&token(&k, "https://one.test")).await.is_ok());
    assert_eq!((one.hits(JWKS), two.total_hits()), (1, 0));
}

/// A request waits for keys at most `max_wait` (3 s), not the whole fetch timeout (5 s); the
/// fetch goes on, and the next request joins it instead of starting another.
#[tokio::test(start_paused = true)]
async fn a_hung_provider_holds_a_request_for_max_wait_only() {
    let options = JwksOptions::default();
    let (wait, timeout) = (options.max_wait, options.fetch_timeout);
    assert_eq!((wait, timeout), (Duration::from_secs(3), Duration::from_secs(5)));
    let k = key(ES, "a");
    let server = SilentServer::start().await;
    let v = validator_for(&server.url(JWKS), options);
    let t = token(&k, ISS);
    let started = Instant::now();
    let err = v.validate(&t).await.unwrap_err();
    let took = started.elapsed();
    assert!(took >= wait && took < wait + Duration::from_millis(500), "{took:?}");
    assert!(matches!(err, AuthError::Unavailable { .. }), "{err:?}");
    assert_eq!(v.rejection(&err).status(), 503);
    assert!(v.rejection(&err).retry_after().is_some());
    // The fetch is still in flight: this request joins it and ends with it, at the fetch timeout.
    assert!(is_unavailable(&v.validate(&t).await));
    let took = started.elapsed();
    assert!(took >= timeout && took < timeout + Duration::from_millis(500), "{took:?}");
    assert_eq!(server.connections().accepted, 1, "one connection to the provider");
    assert_eq!(v.stats().fetches, 1);
}

/// Dropping the last clone of a validator stops its refresh in flight at once, instead of
/// leaving the fetch (and the cache it holds) alive until the fetch timeout.
#[tokio::test]
async fn dropping_the_validator_stops_its_refresh_in_flight() {
    let k = key(ES, "a");
    let server = SilentServer::start().await;
    let options = JwksOptions::default().fetch_timeout(Duration::from_secs(60));
    let v = validator_for(&server.url(JWKS), options);
    let t = token(&k, ISS);
    // The request gives up as soon as the provider has the key request; its refresh goes on.
    tokio::select! {
        r = v.validate(&t) => panic!("the provider never answers: {r:?}"),
        () = server.until(|c| c.requests == 1) => {}
    }
    assert_eq!(server.connections().closed, 0, "the fetch is in flight");
    drop(v);
    let closed = tokio::time::timeout(Duration::from_secs(10), server.until(|c| c.closed == 1)).await;
    assert!(closed.is_ok(), "the fetch ended with the validator: {:?}", server.connections());
}

/// The single-flight slot is cleared however the refresh ends: a refresh task cancelled with its
/// runtime (an actix worker restarting) must not make every later request "unavailable".
#[test]
fn a_refresh_cancelled_with_its_runtime_does_not_wedge_the_cache() {
    let runtime =
        || tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let lasting = runtime();
    let k = key(ES, "a");
    let server = lasting.block_on(TestServer::start(vec![k.public_jwk()]));
    server.set(|b| b.body = Body::Hang);
    let options = JwksOptions::default().max_wait(Duration::from_millis(50));
    let v = lasting.block_on(async { validator_for(&server.url(JWKS), options) });
    let t = token(&k, ISS);

    let doomed = runtime();
    // The refresh starts on this runtime, hangs, and dies with it.
    assert!(is_unavailable(&doomed.block_on(v.validate(&t))));
    drop(doomed);

    server.set(|b| b.body = Body::Keys);
    let result = lasting.block_on(v.validate(&t));
    assert!(result.is_ok(), "a new refresh runs: {result:?}");
    assert_eq!(server.hits(JWKS), 2);
}

/// The same when the refresh task never ran at all: its runtime went away right after the spawn.
#[test]
fn a_refresh_dropped_before_it_ever_ran_does_not_wedge_the_cache() {
    let lasting = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let k = key(ES, "a");
    let server = lasting.block_on(TestServer::start(vec![k.public_jwk()]));
    let v = lasting.block_on(async { validator_for(&server.url(JWKS), JwksOptions::default()) });
    let t = token(&k, ISS);

    // A current-thread runtime runs spawned tasks only while it waits: polled once, the
    // validation spawns the refresh and gives up before the task is ever polled.
    let doomed = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    {
        use futures_util::FutureExt;
        assert!(doomed.block_on(async { v.validate(&t).now_or_never() }).is_none());
    }
    drop(doomed);

    let result = lasting.block_on(v.validate(&t));
    assert!(result.is_ok(), "a new refresh runs: {result:?}");
    assert_eq!(server.hits(JWKS), 1);
}

/// A refresh that falls due on a thread without a tokio runtime (a cache hit from a plain
/// thread) runs on the runtime the validator was built on: no panic, the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_refresh_due_on_a_thread_without_a_runtime_does_not_panic() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|b| b.cache_control = Some("max-age=0".into()));
    // The keys are due for refresh at once.
    let v = validator_for(&server.url(JWKS), JwksOptions::default().min_ttl(Duration::from_nanos(1)));
    let t = token(&k, ISS);
    v.validate(&t).await.unwrap();
    let (v2, t2) = (v.clone(), t.clone());
    let answer = std::thread::spawn(move || {
        use futures_util::FutureExt;
        v2.validate(&t2).now_or_never().expect("a cache hit answers at once")
    })
    .join()
    .expect("no panic without a runtime");
    assert!(answer.is_ok(), "{answer:?}");
    assert!(v.stats().stale_serves >= 1, "the keys were due");
    // The refresh runs on the validator's runtime (bounded wait, no sleep).
    let started = tokio::time::timeout(Duration::from_secs(10), async {
        while v.stats().fetches < 2 {
            tokio::task::yield_now().await;
        }
    });
    assert!(started.await.is_ok(), "the due refresh ran: {:?}", v.stats());
}

/// A JWKS that parses but holds no key usable for the token is the provider's definitive
/// answer: 401 `unknown_key`, not 503 (clients would retry for ever).
async fn assert_definitive_refusal(what: &str, jwks: Vec<serde_json::Value>, options: JwksOptions, t: &str) {
    let server = TestServer::start(jwks).await;
    let v = validator_for(&server.url(JWKS), options);
    let err = v.validate(t).await.unwrap_err();
    assert_eq!(err, unknown_key(), "{what}");
    assert_eq!(v.rejection(&err).status(), 401, "{what}");
    assert!(v.is_ready(), "{what}: a fetched key set counts as loaded, even without a usable key");
    assert_eq!(v.stats().fetch_failures, 0, "{what}");
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_is_for_encryption_is_401_not_503() {
    let k = key(ES, "a");
    let mut enc = k.public_jwk();
    enc["use"] = json!("enc");
    assert_definitive_refusal("use: enc", vec![enc], JwksOptions::default(), &token(&k, ISS)).await;
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_lacks_the_verify_op_is_401_not_503() {
    let k = key(ES, "a");
    let mut wrap_only = k.public_jwk();
    wrap_only["key_ops"] = json!(["encrypt", "wrapKey"]);
    let t = token(&k, ISS);
    assert_definitive_refusal("key_ops without verify", vec![wrap_only], JwksOptions::default(), &t).await;
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_names_another_alg_is_401_not_503() {
    let k = key(ES, "a");
    let mut other_alg = k.public_jwk();
    other_alg["alg"] = json!("ES384");
    assert_definitive_refusal("another alg", vec![other_alg], JwksOptions::default(), &token(&k, ISS)).await;
}

/// Keys past `max_keys` are not read; the keys that were read still answer, even when none of
/// them is usable.
#[tokio::test(start_paused = true)]
async fn a_token_for_a_key_past_max_keys_is_401_not_503() {
    let (first, second) = (key(ES, "first"), key(ES, "second"));
    let mut first_enc = first.public_jwk();
    first_enc["use"] = json!("enc");
    let one = JwksOptions::default().max_keys(1);
    let t = token(&second, ISS);
    assert_definitive_refusal("over the limit", vec![first_enc, second.public_jwk()], one.clone(), &t).await;

    let server = TestServer::start(vec![first.public_jwk(), second.public_jwk()]).await;
    let v = validator_for(&server.url(JWKS), one);
    assert!(v.validate(&token(&first, ISS)).await.is_ok());
    assert_eq!(v.validate(&token(&second, ISS)).await.unwrap_err(), unknown_key());
}

/// A refresh yielding no usable key keeps the last good keys while they are within their
/// budget, and counts as a failure for the backoff (the provider is not asked on every request).
#[tokio::test(start_paused = true)]
async fn a_refresh_without_a_usable_key_keeps_the_last_good_keys() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.cache_control = Some("max-age=60".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    let t = token(&k, ISS);
    assert!(v.validate(&t).await.is_ok());
    let mut enc = k.public_jwk();
    enc["use"] = json!("enc");
    server.set(|s| s.keys = vec![enc]);
    advance(Duration::from_secs(61)).await;
    assert!(v.validate(&t).await.is_ok(), "stale keys served; a refresh starts");
    until(|| v.stats().fetch_failures == 1).await;
    for _ in 0..10 {
        assert!(v.validate(&t).await.is_ok(), "the last good keys still verify");
        tokio::task::yield_now().await;
    }
    assert_eq!(server.hits(JWKS), 2, "backing off: no fetch on every request");
    advance(Duration::from_millis(1001)).await;
    assert!(v.validate(&t).await.is_ok());
    until(|| server.hits(JWKS) == 3).await;
}

/// A provider that moves its `jwks_uri` is followed without a restart: the old URL answering
/// 404 sends the refresh back to the metadata.
#[tokio::test(start_paused = true)]
async fn a_moved_jwks_uri_is_followed_through_the_metadata() {
    let (old, new) = (key(ES, "old"), key(ES, "new"));
    let server = TestServer::start(vec![old.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&old, server.base())).await.is_ok());
    assert_eq!((server.hits(OIDC), server.hits(JWKS)), (1, 1));

    // Rotation: the new key is published only at the new location, the old one is gone.
    server.set(|s| {
        s.keys = vec![new.public_jwk()];
        s.discovered_jwks = Some(KEYS);
        s.status = 404;
    });
    let result = v.validate(&token(&new, server.base())).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((server.hits(OIDC), server.hits(JWKS), server.hits(KEYS)), (2, 2, 1));
}

/// The metadata's own freshness ends: it is read again on the next key refresh.
#[tokio::test(start_paused = true)]
async fn the_metadata_is_read_again_when_its_freshness_ends() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&k, server.base())).await.is_ok());
    assert_eq!(server.hits(OIDC), 1);
    // Default TTL 5 min for both documents (no max-age): past it, the next fetch resolves again.
    advance(Duration::from_secs(301)).await;
    assert!(v.validate(&token(&k, server.base())).await.is_ok());
    until(|| server.hits(JWKS) >= 2).await;
    assert_eq!(server.hits(OIDC), 2);
}

/// Re-reading the metadata adds no new way to fail: while it is out of reach, keys are still
/// fetched from the last `jwks_uri` it named.
#[tokio::test(start_paused = true)]
async fn keys_are_fetched_from_the_last_jwks_uri_while_the_metadata_is_down() {
    let (old, new) = (key(ES, "old"), key(ES, "new"));
    let server = TestServer::start(vec![old.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&old, server.base())).await.is_ok());
    advance(Duration::from_secs(301)).await; // past the metadata's freshness
    server.set(|s| {
        s.oidc_discovery = false;
        s.oauth_discovery = false;
        s.keys = vec![new.public_jwk()];
    });
    let result = v.validate(&token(&new, server.base())).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (2, 1, 2));
}
