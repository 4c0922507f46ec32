//! The verified-token cache: hits skip the signature check, yet a cached token never outlives
//! its lifetime, its `nbf`, the request checks or its key's presence in the JWKS; the cache stays
//! within its bounds and can be turned off. And the pipeline around it: request checks in order
//! on every path, outcomes, counted refusals.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::checks::{CheckInput, Checked, KeyBinding, Passed, RequestCheck};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{
    Algorithm, AuthError, Authentication, Authenticator, Credential, IssuerConfig, ManualClock, Outcome,
    RequestProblem, TokenCacheOptions, TokenLocator, TokenProblem, Validator, ValidatorBuilder,
    ValidatorConfig,
};
use common::{AUD, ISS, NOW, Req, claims_with, good_claims, key, static_key};
use serde_json::json;

const HS: Algorithm = Algorithm::HS256;

/// A validator trusting the test HS256 key, whose clock the test moves.
fn builder(clock: &Arc<ManualClock>) -> ValidatorBuilder {
    Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, [static_key(key(HS))]))
        .audience(AUD)
        .algorithms([HS])
        .clock(Arc::clone(clock))
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

fn mint(changes: serde_json::Value) -> String {
    key(HS).mint(&claims_with(changes))
}

fn invalid(p: TokenProblem) -> AuthError {
    AuthError::InvalidToken(p)
}

#[tokio::test]
async fn a_repeated_token_is_answered_from_the_cache() {
    let clock = clock();
    let v = builder(&clock).build().unwrap();
    let t = mint(json!({}));
    let first = v.validate(&t).await.unwrap();
    let second = v.validate(&t).await.unwrap();
    assert_eq!(first.registered(), second.registered());
    assert_eq!(first.scopes(), second.scopes());
    let s = v.stats();
    assert_eq!((s.token_cache_misses, s.token_cache_hits, s.accepted), (1, 1, 2));
    assert_eq!(s.token_cache_entries, 1);
}

#[tokio::test]
async fn a_cached_token_expires_at_exp_plus_leeway() {
    let clock = clock();
    let v = builder(&clock).leeway(Duration::from_secs(60)).build().unwrap();
    let t = mint(json!({"exp": NOW + 100}));
    v.validate(&t).await.unwrap();
    clock.set(NOW + 159);
    v.validate(&t).await.unwrap();
    clock.set(NOW + 160);
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::Expired));
    let s = v.stats();
    assert_eq!((s.token_cache_misses, s.token_cache_hits), (1, 2), "both later answers came from the cache");
    assert_eq!(s.token_cache_entries, 0, "the expired entry is dropped");
}

#[tokio::test]
async fn a_cached_token_grows_too_old_on_time() {
    let clock = clock();
    let v = builder(&clock).leeway(Duration::ZERO).max_token_age(Duration::from_secs(300)).build().unwrap();
    let t = mint(json!({"iat": NOW, "exp": NOW + 3600}));
    v.validate(&t).await.unwrap();
    clock.set(NOW + 300);
    v.validate(&t).await.unwrap();
    clock.set(NOW + 301);
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::TooOld));
    assert_eq!(v.stats().token_cache_hits, 2);
}

#[tokio::test]
async fn nbf_stays_exact_for_cached_tokens() {
    let clock = clock();
    let v = builder(&clock).leeway(Duration::from_secs(10)).build().unwrap();
    let t = mint(json!({"nbf": NOW + 30}));
    clock.set(NOW + 19);
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::NotYetValid));
    assert_eq!(v.stats().token_cache_entries, 0, "a refused token is not cached");
    clock.set(NOW + 20);
    v.validate(&t).await.unwrap();
    // A clock stepped back (NTP) must not let the cached answer skip `nbf`.
    clock.set(NOW + 19);
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::NotYetValid));
    assert_eq!(v.stats().token_cache_hits, 1);
}

#[tokio::test]
async fn the_custom_check_runs_again_on_a_hit() {
    let clock = clock();
    let banned = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&banned);
    let v = builder(&clock)
        .custom_check(move |_| if flag.load(Ordering::Relaxed) { Err("tenant suspended") } else { Ok(()) })
        .build()
        .unwrap();
    let t = mint(json!({}));
    v.validate(&t).await.unwrap();
    v.validate(&t).await.unwrap();
    banned.store(true, Ordering::Relaxed);
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::Rejected("tenant suspended")));
    assert_eq!(v.stats().token_cache_hits, 2);
}

#[tokio::test]
async fn failures_are_never_cached() {
    let clock = clock();
    let v = builder(&clock).build().unwrap();
    let good = mint(json!({}));
    let forged = format!("{}AAAA", &good[..good.len() - 4]);
    for _ in 0..3 {
        assert_eq!(v.validate(&forged).await.unwrap_err(), invalid(TokenProblem::BadSignature));
    }
    let wrong_audience = mint(json!({"aud": "someone-else"}));
    for _ in 0..2 {
        assert_eq!(v.validate(&wrong_audience).await.unwrap_err(), invalid(TokenProblem::WrongAudience));
    }
    let s = v.stats();
    assert_eq!((s.token_cache_hits, s.token_cache_misses, s.token_cache_entries), (0, 5, 0));
}

/// Keys come from a dev issuer's JWKS. A rotation that keeps the old key published leaves its
/// cached tokens alone; once the old key is retired and the JWKS refreshed, they are refused.
#[tokio::test(start_paused = true)]
async fn a_key_removed_from_the_jwks_stops_verifying_cached_tokens() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let v = Validator::builder()
        .issuer(IssuerConfig::jwks_url(idp.issuer(), idp.jwks_uri()))
        .audience("petstore")
        .build()
        .unwrap();
    let old = idp.token().sign();
    v.validate(&old).await.unwrap();
    v.validate(&old).await.unwrap();
    assert_eq!(v.stats().token_cache_hits, 1);

    idp.rotate();
    let second = idp.token().sign();
    v.validate(&second).await.unwrap(); // unknown kid: refetch, old key still published
    assert_eq!(v.stats().fetches, 2);
    v.validate(&old).await.unwrap();
    assert_eq!(v.stats().token_cache_hits, 2, "a key still published survives the refresh");

    tokio::time::advance(Duration::from_secs(31)).await; // past the unknown-kid cooldown
    idp.rotate();
    idp.retire_old_keys();
    v.validate(&idp.token().sign()).await.unwrap(); // unknown kid: refetch, only the newest key
    assert_eq!(v.stats().fetches, 3);
    let hits = v.stats().token_cache_hits;
    for t in [&old, &second] {
        assert_eq!(v.validate(t).await.unwrap_err(), invalid(TokenProblem::UnknownKey));
    }
    assert_eq!(v.stats().token_cache_hits, hits, "refused by the full path, not answered from the cache");
}

/// When every request is a hit, the hits themselves start the JWKS refresh that notices a removal.
#[tokio::test(start_paused = true)]
async fn a_key_removal_is_noticed_when_every_request_is_a_hit() {
    let idp = DevIssuer::start(Algorithm::EdDSA).await.unwrap();
    let v = Validator::builder()
        .issuer(IssuerConfig::jwks_url(idp.issuer(), idp.jwks_uri()))
        .audience("petstore")
        .build()
        .unwrap();
    let old = idp.token().sign();
    v.validate(&old).await.unwrap();
    idp.rotate();
    idp.retire_old_keys();

    // The dev issuer's JWKS says max-age=300; a refresh is due 60 s before that.
    tokio::time::advance(Duration::from_secs(250)).await;
    v.validate(&old).await.unwrap(); // answered from the cache, starts the refresh
    // Hits keep being answered until the refreshed keys are installed; then the full path refuses.
    let mut refused = None;
    for _ in 0..10_000 {
        if let Err(e) = v.validate(&old).await {
            refused = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(refused, Some(invalid(TokenProblem::UnknownKey)));
    assert!(v.stats().fetches >= 2, "the hit started a refresh");
}

#[tokio::test]
async fn the_cache_never_holds_more_than_its_bounds() {
    let clock = clock();
    let options = TokenCacheOptions::default().max_entries(64).max_bytes(64 * 1024);
    let v = builder(&clock).token_cache(options).build().unwrap();
    for i in 0..2_000 {
        let t = mint(json!({"jti": format!("token-{i}")}));
        v.validate(&t).await.unwrap();
        assert!(v.stats().token_cache_entries <= 64, "after {i} tokens");
    }
    assert!(v.stats().token_cache_entries > 0);

    // A byte bound tighter than the entry bound wins: ~2 KiB tokens, 16 KiB budget.
    let options = TokenCacheOptions::default().max_entries(64).max_bytes(16 * 1024);
    let v = builder(&clock).token_cache(options).build().unwrap();
    let padding = "p".repeat(1_000);
    for i in 0..500 {
        v.validate(&mint(json!({"jti": format!("token-{i}"), "pad": padding}))).await.unwrap();
        assert!(v.stats().token_cache_entries <= 8, "after {i} tokens");
    }
}

#[tokio::test]
async fn turned_off_every_validation_is_a_miss() {
    let clock = clock();
    let t = mint(json!({}));
    let off = builder(&clock).no_token_cache().build().unwrap();
    let config: ValidatorConfig = serde_json::from_value(json!({
        "issuers": [{"issuer": ISS, "jwks": {"keys": [key(Algorithm::ES256).public_jwk()]}}],
        "audiences": [AUD],
        "token_cache": {"max_entries": 0},
    }))
    .unwrap();
    let off_by_config = config.into_builder().unwrap().clock(Arc::clone(&clock)).build().unwrap();
    let es = key(Algorithm::ES256).mint(&good_claims());
    for _ in 0..3 {
        off.validate(&t).await.unwrap();
        off_by_config.validate(&es).await.unwrap();
    }
    for v in [off, off_by_config] {
        let s = v.stats();
        assert_eq!((s.token_cache_hits, s.token_cache_misses, s.token_cache_entries), (0, 3, 0));
    }
}

#[tokio::test]
async fn oversize_tokens_are_not_cached() {
    let clock = clock();
    let v = builder(&clock).token_cache(TokenCacheOptions::default().max_token_bytes(1024)).build().unwrap();
    let big = mint(json!({"pad": "p".repeat(1_000)}));
    assert!(big.len() > 1024);
    v.validate(&big).await.unwrap();
    v.validate(&big).await.unwrap();
    assert_eq!((v.stats().token_cache_hits, v.stats().token_cache_entries), (0, 0));
    let small = mint(json!({}));
    v.validate(&small).await.unwrap();
    v.validate(&small).await.unwrap();
    assert_eq!(v.stats().token_cache_hits, 1);
}

// The pipeline: what an adapter calls. Request checks run on the cache-hit path as on the full
// path, in the documented order; what cannot be decided at once is handed back as a future.

/// A request as an adapter shows it: method, path, headers.
/// Whether the pipeline answered at once, and its outcome.
async fn run(a: &Authenticator, req: &Req) -> (bool, Outcome) {
    match a.authenticate(req) {
        Authentication::Ready(outcome) => (true, outcome),
        Authentication::Pending(pending) => (false, pending.await),
    }
}

fn refused(outcome: Outcome) -> AuthError {
    outcome.expect_err("refused").error().clone()
}

#[tokio::test]
async fn authenticate_answers_known_tokens_at_once_and_checks_the_others() {
    let clock = clock();
    let v = builder(&clock).build().unwrap();
    let a = Authenticator::new(v.clone());
    let t = mint(json!({}));

    let none = Req::get();
    let (now, outcome) = run(&a, &none).await;
    assert!(now);
    let refusal = outcome.unwrap_err();
    assert_eq!(refusal.error(), &AuthError::MissingToken);
    assert_eq!(refusal.rejection().status(), 401);
    let (now, outcome) = run(&a.clone().optional(), &none).await;
    assert!(now && outcome.unwrap().claims.is_none(), "anonymous, let in");

    let (now, outcome) = run(&a, &Req::bearer(&t)).await;
    assert!(!now, "an unknown token waits for the full path");
    assert_eq!(outcome.unwrap().claims.unwrap().registered().iss(), Some(ISS));
    let (now, outcome) = run(&a, &Req::bearer(&t)).await;
    assert!(now, "a cached token is answered at once");
    assert!(outcome.is_ok());
    let s = v.stats();
    assert_eq!((s.token_cache_misses, s.token_cache_hits, s.accepted), (1, 1, 2));

    // Bad syntax is invalid_request, at once, exactly as `locate` says.
    let bad = Req::bearer("a,b");
    assert!(matches!(TokenLocator::default().locate(&bad), Err(AuthError::InvalidRequest(_))));
    let (now, outcome) = run(&a, &bad).await;
    assert!(now);
    assert_eq!(refused(outcome), AuthError::InvalidRequest(RequestProblem::MalformedAuthorization));
    // A time check runs on the answer from the cache too.
    clock.advance(3 * 3600);
    let (now, outcome) = run(&a, &Req::bearer(&t)).await;
    assert!(now);
    assert_eq!(refused(outcome), invalid(TokenProblem::Expired));
    // A custom extractor's token is used as is.
    let found = Ok(Some(Credential::bearer("x y")));
    assert!(matches!(a.authenticate_with(&none, found), Authentication::Pending(_)));
}

#[tokio::test]
async fn request_level_rejections_are_counted_by_reason() {
    let clock = clock();
    let v = builder(&clock).build().unwrap();
    let a = Authenticator::new(v.clone());
    let none = Req::get();
    let _ = run(&a, &none).await;
    let _ = run(&a, &Req::bearer("a").header("authorization", "Bearer b")).await;
    let _ = run(&a, &Req::bearer("a,b")).await;
    let _ = a.refuse(AuthError::InsufficientScope(auth_core::ScopeRequirement::all(["admin"])));
    let s = v.stats();
    assert_eq!(s.rejected("missing_token"), 1);
    assert_eq!(s.rejected("multiple_authorization_headers"), 1);
    assert_eq!(s.rejected("malformed_authorization"), 1);
    assert_eq!(s.rejected("insufficient_scope"), 1);
}

#[tokio::test]
async fn two_authorization_fields_have_their_own_description() {
    let clock = clock();
    let a = Authenticator::new(builder(&clock).build().unwrap());
    let twice = Req::bearer("a").header("authorization", "Bearer b");
    let rejection = run(&a, &twice).await.1.unwrap_err().rejection().clone();
    assert_eq!(rejection.status(), 400);
    assert_eq!(rejection.error_description(), "the request has more than one Authorization header");
    let both = Req::bearer("a");
    let a = a.credential_sources(auth_core::CredentialSources::default().with_cookie("at"));
    let both = both.header("cookie", "at=b");
    let rejection = run(&a, &both).await.1.unwrap_err().rejection().clone();
    assert_eq!(rejection.error_description(), "the access token was sent by more than one method");
}

#[tokio::test]
async fn a_dpop_credential_is_no_credentials_while_dpop_is_off() {
    let clock = clock();
    let off = auth_core::DpopOptions::new(auth_core::DpopMode::Off);
    let a = Authenticator::new(builder(&clock).realm("pets").dpop(off).build().unwrap());
    let t = mint(json!({}));
    let req = Req::get().header("authorization", &format!("DPoP {t}"));
    let refusal = run(&a, &req).await.1.unwrap_err();
    assert_eq!(refusal.error(), &AuthError::MissingToken);
    assert_eq!(refusal.rejection().challenges()[0].to_string(), r#"Bearer realm="pets""#);
}

/// A user's request check that logs its name, reads `x-tenant`, and refuses `blocked`.
struct Tenant(Arc<Mutex<Vec<&'static str>>>);

impl RequestCheck for Tenant {
    fn headers(&self) -> &'static [&'static str] {
        &["x-tenant"]
    }

    fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
        self.0.lock().unwrap().push("tenant");
        let tenant = input.request().header_values("x-tenant").next().unwrap_or_default();
        if tenant == b"blocked" {
            return Checked::Ready(Err(invalid(TokenProblem::Rejected("the tenant is blocked"))));
        }
        let passed = Passed::default()
            .with_header("x-tenant-checked", String::from_utf8_lossy(tenant).into_owned())
            .with_binding(KeyBinding::Dpop {
                jkt: format!("{}:{}", input.request().method(), input.request().path()),
            });
        Checked::Ready(Ok(passed))
    }
}

#[tokio::test]
async fn request_checks_run_in_order_on_every_request_cache_hits_included() {
    let clock = clock();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (first, last) = (Arc::clone(&log), Arc::clone(&log));
    let v = builder(&clock)
        .custom_check(move |_| {
            first.lock().unwrap().push("first");
            Ok(())
        })
        .request_check(Tenant(Arc::clone(&log)))
        .custom_check(move |_| {
            last.lock().unwrap().push("last");
            Ok(())
        })
        .build()
        .unwrap();
    let a = Authenticator::new(v.clone());
    let t = mint(json!({}));
    for expect_now in [false, true] {
        let (now, outcome) = run(&a, &Req::bearer(&t).header("x-tenant", "acme")).await;
        assert_eq!(now, expect_now);
        let authenticated = outcome.unwrap();
        assert_eq!(authenticated.response_headers, [("x-tenant-checked", "acme".to_owned())]);
        assert_eq!(authenticated.binding, Some(KeyBinding::Dpop { jkt: "GET:/pets".into() }));
    }
    assert_eq!(*log.lock().unwrap(), ["first", "tenant", "last", "first", "tenant", "last"]);
    assert_eq!(v.stats().token_cache_hits, 1, "the second request was a cache hit");

    // The cached token is refused by the check on the hit path, and the later check never runs.
    log.lock().unwrap().clear();
    let (now, outcome) = run(&a, &Req::bearer(&t).header("x-tenant", "blocked")).await;
    assert!(now);
    assert_eq!(refused(outcome), invalid(TokenProblem::Rejected("the tenant is blocked")));
    assert_eq!(*log.lock().unwrap(), ["first", "tenant"]);
    assert_eq!(v.stats().rejected("rejected"), 1);
}

/// A check that asks a store it must wait for; `None` stands for a store that cannot answer.
struct Store(Option<bool>, Arc<AtomicBool>);

impl RequestCheck for Store {
    fn check<'a>(&'a self, _: &'a CheckInput<'a>) -> Checked<'a> {
        Checked::Pending(Box::pin(async move {
            self.1.store(true, Ordering::SeqCst);
            tokio::task::yield_now().await;
            match self.0 {
                Some(true) => Ok(Passed::default().with_header("x-store", "ok")),
                Some(false) => Err(invalid(TokenProblem::Rejected("revoked"))),
                None => Err(AuthError::Unavailable { retry_after: Duration::from_millis(1500) }),
            }
        }))
    }
}

#[tokio::test]
async fn a_check_that_waits_runs_on_the_hit_path_and_fails_closed() {
    let clock = clock();
    let t = mint(json!({}));
    let polled = Arc::new(AtomicBool::new(false));
    let ok = Authenticator::new(
        builder(&clock).request_check(Store(Some(true), Arc::clone(&polled))).build().unwrap(),
    );
    for _ in 0..2 {
        let (now, outcome) = run(&ok, &Req::bearer(&t)).await;
        assert!(!now, "a check that waits is awaited, also on a cache hit");
        assert_eq!(outcome.unwrap().response_headers, [("x-store", "ok".to_owned())]);
    }
    assert!(polled.load(Ordering::SeqCst));
    assert_eq!(ok.validator().stats().token_cache_hits, 1);

    let no = Authenticator::new(
        builder(&clock).request_check(Store(Some(false), Arc::clone(&polled))).build().unwrap(),
    );
    assert_eq!(refused(run(&no, &Req::bearer(&t)).await.1), invalid(TokenProblem::Rejected("revoked")));

    let down =
        Authenticator::new(builder(&clock).request_check(Store(None, Arc::clone(&polled))).build().unwrap());
    let refusal = run(&down, &Req::bearer(&t)).await.1.unwrap_err();
    assert_eq!(refusal.rejection().status(), 503, "cannot decide now: never let through");
    assert_eq!(refusal.rejection().retry_after(), Some(2), "1.5 s rounds up");
}

#[tokio::test]
async fn validate_runs_the_checks_with_no_request() {
    let clock = clock();
    struct NeedsMethod;
    impl RequestCheck for NeedsMethod {
        fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
            let known = !input.request().method().is_empty();
            Checked::Ready(if known {
                Ok(Passed::default())
            } else {
                Err(invalid(TokenProblem::Rejected("no request")))
            })
        }
    }
    let v = builder(&clock).request_check(NeedsMethod).build().unwrap();
    let t = mint(json!({}));
    assert_eq!(v.validate(&t).await.unwrap_err(), invalid(TokenProblem::Rejected("no request")));
    assert!(run(&Authenticator::new(v), &Req::bearer(&t)).await.1.is_ok());
}
