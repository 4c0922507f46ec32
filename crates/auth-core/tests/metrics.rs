//! The `metrics` feature: every documented series moves with what it counts, under the labels
//! the `auth_core::metrics` table names. Each test counts into a recorder of its own (metrics-util's
//! `DebuggingRecorder`, set for the test's thread while the validator is built), never the
//! process's global one; JWKS, discovery and introspection come from real servers on 127.0.0.1.
#![cfg(feature = "metrics")]

mod common;
mod support;

use std::collections::HashMap;
use std::time::Duration;

use auth_core::metrics::names;
use auth_core::{
    Algorithm, AuthError, Authentication, Authenticator, IntrospectionOptions, IssuerConfig, JwksOptions,
    Outcome, RequestView, ScopeRequirement, Validator,
};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;
use tokio::time::advance;

use common::{Req, claims_with, good_claims};

/// A series: its name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// What the test's recorder saw. A snapshot drains the recorder, so counters are summed here
/// across reads; gauges keep the last value read, histograms every sample.
struct Recorded {
    snapshotter: Snapshotter,
    counters: HashMap<Series, u64>,
    gauges: HashMap<Series, f64>,
    samples: HashMap<Series, Vec<f64>>,
}

impl Recorded {
    fn new(recorder: &DebuggingRecorder) -> Recorded {
        Recorded {
            snapshotter: recorder.snapshotter(),
            counters: HashMap::new(),
            gauges: HashMap::new(),
            samples: HashMap::new(),
        }
    }

    fn read(&mut self) -> &mut Self {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<_> =
                key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
            labels.sort();
            let series = (key.name().to_owned(), labels);
            match value {
                DebugValue::Counter(n) => *self.counters.entry(series).or_default() += n,
                DebugValue::Gauge(v) => {
                    self.gauges.insert(series, v.into_inner());
                }
                DebugValue::Histogram(v) => {
                    self.samples.entry(series).or_default().extend(v.into_iter().map(|f| f.into_inner()))
                }
            }
        }
        self
    }

    /// The counter's total, `None` when the series was never registered.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        self.counters.get(&series(name, labels)).copied()
    }

    fn count(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.counter(name, labels).unwrap_or_else(|| panic!("{name} {labels:?} is not registered"))
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        *self.gauges.get(&series(name, labels)).unwrap_or_else(|| panic!("gauge {name} {labels:?} not set"))
    }

    fn samples(&self, name: &str) -> usize {
        self.samples.get(&series(name, &[])).map_or(0, Vec::len)
    }
}

fn series(name: &str, labels: &[(&str, &str)]) -> Series {
    let mut labels: Vec<_> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.sort();
    (name.to_owned(), labels)
}

fn validations(path: &str, outcome: &str) -> [(&'static str, String); 2] {
    [("path", path.to_owned()), ("outcome", outcome.to_owned())]
}

fn count_validations(r: &Recorded, path: &str, outcome: &str) -> u64 {
    let [(k1, v1), (k2, v2)] = validations(path, outcome);
    r.count(names::VALIDATIONS, &[(k1, &v1), (k2, &v2)])
}

fn rejections(r: &Recorded, reason: &str) -> u64 {
    r.count(names::REJECTIONS, &[("reason", reason)])
}

async fn authenticate(authenticator: &Authenticator, req: &impl RequestView) -> Outcome {
    match authenticator.authenticate(req) {
        Authentication::Ready(outcome) => outcome,
        Authentication::Pending(pending) => pending.await,
    }
}

#[tokio::test]
async fn tokens_and_requests_move_the_outcome_series_by_path_and_reason() {
    let recorder = DebuggingRecorder::new();
    let _local = metrics::set_default_local_recorder(&recorder);
    let mut recorded = Recorded::new(&recorder);
    let v = common::validator(Algorithm::ES256);
    drop(_local);

    // Registered at build: every reason at zero, before any refusal.
    recorded.read();
    assert_eq!(recorded.counter(names::REJECTIONS, &[("reason", "revoked")]), Some(0));
    assert_eq!(recorded.counter(names::REJECTIONS, &[("reason", "dpop_replayed")]), Some(0));
    assert_eq!(recorded.gauge(names::READY, &[]), 1.0, "static keys: ready once built");

    let good = common::token(Algorithm::ES256, &good_claims());
    v.validate(&good).await.unwrap();
    v.validate(&good).await.unwrap();
    recorded.read();
    assert_eq!(count_validations(&recorded, "full", "accepted"), 1, "a token-cache miss");
    assert_eq!(count_validations(&recorded, "cache", "accepted"), 1, "a token-cache hit");
    assert_eq!(recorded.samples(names::VALIDATION_DURATION), 1, "the full path is timed, the hit is not");

    // Token-level refusals, one of each kind the full path and the cache answer.
    let expired = common::token(Algorithm::ES256, &claims_with(json!({"exp": common::NOW - 600})));
    let wrong_aud = common::token(Algorithm::ES256, &claims_with(json!({"aud": "other"})));
    let foreign = common::token(Algorithm::ES256, &claims_with(json!({"iss": "https://elsewhere.test"})));
    let forged = common::other_key(Algorithm::ES256).mint(&good_claims());
    for (token, reason) in [
        ("not-a-token", "malformed"),
        (expired.as_str(), "expired"),
        (wrong_aud.as_str(), "wrong_audience"),
        (foreign.as_str(), "unknown_issuer"),
        (forged.as_str(), "bad_signature"),
    ] {
        assert_eq!(v.validate(token).await.unwrap_err().reason(), reason);
        assert_eq!(rejections(recorded.read(), reason), 1, "{reason}");
    }
    assert_eq!(count_validations(&recorded, "full", "rejected"), 5);
    assert_eq!(recorded.samples(names::VALIDATION_DURATION), 6);

    // Request-level refusals: counted by reason, and no token was judged.
    let authenticator = Authenticator::new(v.clone());
    let twice = Req::bearer(&good).header("authorization", &format!("Bearer {good}"));
    for (req, reason) in [
        (Req::get(), "missing_token"),
        (Req::get().header("authorization", "Bearer not@a@token"), "malformed_authorization"),
        (Req::get().header("authorization", "Bearer "), "empty_credentials"),
        (twice, "multiple_authorization_headers"),
        (Req::get().header("authorization", &format!("DPoP {good}")), "not_dpop_bound"),
    ] {
        let refusal = authenticate(&authenticator, &req).await.unwrap_err();
        assert_eq!(refusal.error().reason(), reason);
        assert_eq!(rejections(recorded.read(), reason), 1, "{reason}");
    }
    // A scope the handler needs and the token lacks: refused after authentication.
    let claims = authenticate(&authenticator, &Req::bearer(&good)).await.unwrap().claims.unwrap();
    let lacking = ScopeRequirement::all(["pets:write"]).check(claims.scopes()).unwrap_err();
    let _ = authenticator.refuse(lacking);
    recorded.read();
    assert_eq!(rejections(&recorded, "insufficient_scope"), 1);
    assert_eq!(count_validations(&recorded, "cache", "accepted"), 2, "the request's token was a cache hit");

    // An expired token found in the cache is a cache-path rejection.
    let soon = common::token(Algorithm::ES256, &claims_with(json!({"exp": common::NOW + 1})));
    let clocked = {
        let recorder = DebuggingRecorder::new();
        let clock = std::sync::Arc::new(auth_core::ManualClock::new(common::NOW));
        let v = metrics::with_local_recorder(&recorder, || {
            common::builder([common::static_key(common::key(Algorithm::ES256))], &[Algorithm::ES256])
                .clock(std::sync::Arc::clone(&clock))
                .leeway(Duration::ZERO)
                .build()
                .unwrap()
        });
        v.validate(&soon).await.unwrap();
        clock.advance(5);
        assert_eq!(v.validate(&soon).await.unwrap_err().reason(), "expired");
        let mut r = Recorded::new(&recorder);
        r.read();
        (count_validations(&r, "cache", "rejected"), rejections(&r, "expired"))
    };
    assert_eq!(clocked, (1, 1));
    // Nothing of the second validator reached the first one's recorder.
    assert_eq!(rejections(recorded.read(), "expired"), 1);
}

const ISS: &str = "https://issuer.test";

/// One issuer's key set behind `server`, TTL 60 s, budget 600 s past it.
fn remote(url: &str) -> Validator {
    Validator::builder()
        .issuer(IssuerConfig::jwks_url(ISS, url))
        .audience("api")
        .jwks_options(JwksOptions::default().max_stale(Duration::from_secs(600)))
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn key_fetches_failures_stale_serves_and_the_key_set_gauges_move() {
    let k = support::key(Algorithm::ES256, "a");
    let server = support::TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.cache_control = Some("max-age=60".into()));
    let jwks_url = server.url(support::JWKS);
    let jwks = [("jwks", jwks_url.as_str())];
    let recorder = DebuggingRecorder::new();
    let v = metrics::with_local_recorder(&recorder, || remote(&jwks_url));
    let mut recorded = Recorded::new(&recorder);
    assert_eq!(recorded.read().gauge(names::READY, &[]), 0.0, "no keys before the first fetch");

    let t = support::token(&k, ISS);
    assert!(v.warm_up().await);
    v.validate(&t).await.unwrap();
    recorded.read();
    assert_eq!(recorded.count(names::JWKS_FETCHES, &[]), 1);
    assert_eq!(recorded.count(names::JWKS_FETCH_FAILURES, &[]), 0);
    assert_eq!(recorded.gauge(names::READY, &[]), 1.0, "set by warm_up");
    let refreshed = recorded.gauge(names::JWKS_LAST_REFRESH, &jwks);
    let wall = support::now() as f64;
    assert!((wall - 5.0..=wall + 1.0).contains(&refreshed), "a Unix time: {refreshed} vs {wall}");
    assert_eq!(recorded.gauge(names::JWKS_AGE, &jwks), 0.0);

    // Past the TTL with the provider failing: stale keys serve, the refresh fails.
    server.set(|s| s.status = 500);
    advance(Duration::from_secs(61)).await;
    v.validate(&t).await.unwrap();
    for _ in 0..10_000 {
        if v.stats().fetch_failures == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(v.is_ready(), "within max_stale");
    recorded.read();
    assert_eq!(recorded.count(names::JWKS_STALE_SERVES, &[]), 1);
    assert_eq!(recorded.count(names::JWKS_FETCHES, &[]), 2);
    assert_eq!(recorded.count(names::JWKS_FETCH_FAILURES, &[]), 1);
    assert_eq!(recorded.count(names::JWKS_STALE_SERVES, &[]), v.stats().stale_serves);
    let age = recorded.gauge(names::JWKS_AGE, &jwks);
    assert!((61.0..62.0).contains(&age), "age set by is_ready: {age}");
    assert_eq!(recorded.gauge(names::READY, &[]), 1.0);

    // Past the budget: not ready, and tokens answered unavailable.
    advance(Duration::from_secs(600)).await;
    assert!(!v.is_ready());
    assert_eq!(recorded.read().gauge(names::READY, &[]), 0.0);
    assert!(matches!(v.validate(&t).await, Err(AuthError::Unavailable { .. })));
    assert_eq!(rejections(recorded.read(), "unavailable"), 1);
}

#[tokio::test(start_paused = true)]
async fn unknown_kids_refresh_once_then_the_cooldown_suppresses() {
    let k = support::key(Algorithm::ES256, "a");
    let server = support::TestServer::start(vec![k.public_jwk()]).await;
    let recorder = DebuggingRecorder::new();
    let v = metrics::with_local_recorder(&recorder, || remote(&server.url(support::JWKS)));
    let stranger = support::token(&support::key(Algorithm::ES256, "b"), ISS);
    v.validate(&support::token(&k, ISS)).await.unwrap();
    assert_eq!(v.validate(&stranger).await.unwrap_err().reason(), "unknown_key");
    assert_eq!(v.validate(&stranger).await.unwrap_err().reason(), "unknown_key");
    let mut recorded = Recorded::new(&recorder);
    recorded.read();
    assert_eq!(recorded.count(names::JWKS_UNKNOWN_KID_REFRESHES, &[]), 1);
    assert_eq!(recorded.count(names::JWKS_UNKNOWN_KID_SUPPRESSED, &[]), 1);
    assert_eq!(rejections(&recorded, "unknown_key"), 2);
}

#[tokio::test(start_paused = true)]
async fn discovery_fetches_and_failures_are_counted() {
    let k = support::key(Algorithm::ES256, "a");
    let server = support::TestServer::start(vec![k.public_jwk()]).await;
    let recorder = DebuggingRecorder::new();
    let discovering = || {
        Validator::builder().issuer(IssuerConfig::discover(server.base())).audience("api").build().unwrap()
    };
    let v = metrics::with_local_recorder(&recorder, discovering);
    v.validate(&support::token(&k, server.base())).await.unwrap();
    let mut recorded = Recorded::new(&recorder);
    recorded.read();
    assert_eq!(recorded.count(names::DISCOVERY_FETCHES, &[]), 1);
    assert_eq!(recorded.count(names::DISCOVERY_FETCH_FAILURES, &[]), 0);
    assert!(
        recorded.gauges.contains_key(&series(names::JWKS_AGE, &[("jwks", server.base())])),
        "named by issuer"
    );

    server.set(|s| {
        s.oidc_discovery = false;
        s.oauth_discovery = false;
    });
    let recorder = DebuggingRecorder::new();
    let v = metrics::with_local_recorder(&recorder, discovering);
    assert!(matches!(
        v.validate(&support::token(&k, server.base())).await,
        Err(AuthError::Unavailable { .. })
    ));
    let mut recorded = Recorded::new(&recorder);
    recorded.read();
    assert_eq!(recorded.count(names::DISCOVERY_FETCHES, &[]), 1);
    assert_eq!(recorded.count(names::DISCOVERY_FETCH_FAILURES, &[]), 1);
    assert_eq!(recorded.count(names::JWKS_FETCH_FAILURES, &[]), 1);
}

#[tokio::test]
async fn introspection_calls_and_cached_answers_are_counted() {
    let idp = auth_core::dev_issuer::DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (id, secret) = idp.introspection_client();
    let recorder = DebuggingRecorder::new();
    let v = metrics::with_local_recorder(&recorder, || {
        Validator::builder()
            .issuer(IssuerConfig::discover(idp.issuer()))
            .audience("petstore")
            .introspection(IntrospectionOptions::new(id, secret))
            .build()
            .unwrap()
    });
    let active = idp.token().scope("pets:read").opaque();
    let revoked = idp.token().scope("pets:read").opaque();
    idp.revoke(&revoked);
    v.validate(&active).await.unwrap();
    v.validate(&active).await.unwrap();
    assert_eq!(v.validate(&revoked).await.unwrap_err().reason(), "inactive");
    assert_eq!(v.validate(&revoked).await.unwrap_err().reason(), "inactive");
    let mut recorded = Recorded::new(&recorder);
    recorded.read();
    assert_eq!(recorded.count(names::INTROSPECTION_CALLS, &[]), 2);
    assert_eq!(recorded.count(names::INTROSPECTION_FAILURES, &[]), 0);
    assert_eq!(recorded.count(names::INTROSPECTION_CACHE_HITS, &[("answer", "active")]), 1);
    assert_eq!(recorded.count(names::INTROSPECTION_CACHE_HITS, &[("answer", "inactive")]), 1);
    assert_eq!(rejections(&recorded, "inactive"), 2);

    idp.shutdown();
    let unknown = idp.token().scope("pets:read").opaque();
    assert!(matches!(v.validate(&unknown).await, Err(AuthError::Unavailable { .. })));
    assert_eq!(recorded.read().count(names::INTROSPECTION_FAILURES, &[]), 1);
}
