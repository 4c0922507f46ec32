//! The verified-token cache: hits skip the signature check, yet a cached token never outlives
//! its lifetime, its `nbf`, the custom check or its key's presence in the JWKS; the cache stays
//! within its bounds and can be turned off.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth_core::dev_issuer::DevIssuer;
use auth_core::{
    Algorithm, AuthError, IssuerConfig, ManualClock, TokenCacheOptions, TokenProblem, Validator,
    ValidatorBuilder, ValidatorConfig,
};
use common::{AUD, ISS, NOW, claims_with, good_claims, key, static_key};
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

/// The adapters' first step: a header token the cache knows is answered at once; any other is
/// checked for syntax and handed back for full validation.
#[tokio::test]
async fn decide_answers_known_tokens_at_once_and_checks_the_others() {
    use auth_core::token::FoundToken;
    use auth_core::{Decision, RequestParts, RequestProblem, TokenLocator};

    struct Header(Vec<u8>);
    impl RequestParts for Header {
        fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
            (name == "authorization").then_some(self.0.as_slice()).into_iter()
        }
        fn query(&self) -> Option<&str> {
            None
        }
    }
    let clock = clock();
    let v = builder(&clock).build().unwrap();
    let t = mint(json!({}));

    assert!(matches!(v.decide(None, false), Decision::Now(Err(AuthError::MissingToken))));
    assert!(matches!(v.decide(None, true), Decision::Now(Ok(None))));

    let header = Header(format!("Bearer {t}").into_bytes());
    let found = TokenLocator::default().find_with_form(&header, None).unwrap();
    let Decision::Validate(token) = v.decide(found, false) else {
        panic!("an unknown token must be validated")
    };
    assert_eq!(token, t);
    v.validate(&token).await.unwrap();
    let found = TokenLocator::default().find_with_form(&header, None).unwrap();
    let Decision::Now(Ok(Some(claims))) = v.decide(found, false) else {
        panic!("a cached token is answered")
    };
    assert_eq!(claims.registered().iss(), Some(ISS));
    let s = v.stats();
    assert_eq!((s.token_cache_misses, s.token_cache_hits, s.accepted), (1, 1, 2));

    // Bad syntax is still invalid_request, exactly as `locate` says.
    let bad = Header(b"Bearer a,b".to_vec());
    let located = TokenLocator::default().locate(&bad);
    assert!(matches!(located, Err(AuthError::InvalidRequest(RequestProblem::MalformedAuthorization))));
    let found = TokenLocator::default().find_with_form(&bad, None).unwrap();
    assert!(matches!(
        v.decide(found, false),
        Decision::Now(Err(AuthError::InvalidRequest(RequestProblem::MalformedAuthorization)))
    ));
    // A time check runs on the answer from the cache too.
    clock.advance(3 * 3600);
    let found = TokenLocator::default().find_with_form(&header, None).unwrap();
    assert!(matches!(
        v.decide(found, false),
        Decision::Now(Err(AuthError::InvalidToken(TokenProblem::Expired)))
    ));
    // A custom extractor's token is used as is.
    assert!(matches!(v.decide(Some(FoundToken::trusted("x y")), false), Decision::Validate(_)));
}
