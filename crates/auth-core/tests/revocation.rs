//! Revocation through the validator: each of the four kinds of entry refuses its tokens on the
//! full path and from the verified-token cache, the `iat` cut-off, expiry, lifting, bounds.

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth_core::checks::revocation::{
    Revocation, RevocationError, RevocationOptions, RevocationState, Revocations,
};
use auth_core::{Algorithm, DpopMode, DpopOptions, ManualClock, Profile, TokenProblem, Validator};
use common::{ISS, NOW, SUB, claims_with, key, problem, static_key};
use serde_json::{Value, json};

struct Setup {
    clock: Arc<ManualClock>,
    revocations: Revocations,
    validator: Validator,
}

fn setup(options: RevocationOptions) -> Setup {
    let clock = Arc::new(ManualClock::new(NOW));
    let revocations = Revocations::in_memory(options.clock(Arc::clone(&clock))).expect("options");
    let validator = common::builder([static_key(key(Algorithm::ES256))], &[Algorithm::ES256])
        .clock(Arc::clone(&clock))
        .profile(Profile::Generic)
        // A bound token sent as Bearer is accepted unchecked: the binding alone is revoked here.
        .dpop(DpopOptions::new(DpopMode::Off))
        .revocations(revocations.clone())
        .build()
        .expect("validator builds");
    Setup { clock, revocations, validator }
}

fn token(changes: Value) -> String {
    key(Algorithm::ES256).mint(&claims_with(changes))
}

async fn refused(validator: &Validator, token: &str) -> bool {
    match validator.validate(token).await {
        Ok(_) => false,
        result => {
            assert_eq!(problem(result), TokenProblem::Revoked);
            true
        }
    }
}

#[tokio::test]
async fn each_kind_refuses_its_tokens_from_the_cache_and_in_full() {
    let bound = json!({ "cnf": { "jkt": "thumbprint-A" } });
    let cases: [(Revocation, Value, Value); 4] = [
        (Revocation::token(ISS, "jti-1"), json!({}), json!({ "jti": "jti-2" })),
        (Revocation::subject(SUB, None), json!({}), json!({ "sub": "someone-else" })),
        (Revocation::client("client-a", None), json!({}), json!({ "client_id": "client-b" })),
        (Revocation::key("thumbprint-A"), bound, json!({ "cnf": { "jkt": "thumbprint-B" } })),
    ];
    for (revocation, claims, other) in cases {
        let s = setup(RevocationOptions::default());
        let (revoked, spared) = (token(claims), token(other));
        assert!(!refused(&s.validator, &revoked).await, "{revocation:?} before revoking");
        s.revocations.revoke(revocation.clone()).await.expect("recorded");
        assert!(refused(&s.validator, &revoked).await, "{revocation:?}: a cache hit");
        assert_eq!(s.validator.stats().token_cache_hits, 1, "the second answer came from the cache");
        assert!(!refused(&s.validator, &spared).await, "{revocation:?} spares other tokens");

        let fresh = setup(RevocationOptions::default());
        fresh.revocations.revoke(revocation.clone()).await.expect("recorded");
        assert!(refused(&fresh.validator, &revoked).await, "{revocation:?}: the full path");
        assert_eq!(fresh.validator.stats().rejected("revoked"), 1);
    }
}

#[tokio::test]
async fn a_cut_off_spares_tokens_issued_in_its_second_and_refuses_tokens_without_iat() {
    let s = setup(RevocationOptions::default());
    s.revocations.revoke(Revocation::subject(SUB, Some(NOW - 5))).await.unwrap();
    assert!(refused(&s.validator, &token(json!({ "iat": NOW - 6 }))).await);
    assert!(!refused(&s.validator, &token(json!({ "iat": NOW - 5 }))).await, "issued in the second of T");
    assert!(refused(&s.validator, &token(json!({ "iat": null }))).await, "no iat");

    // `before` defaults to now; a client is `client_id`, else `azp`.
    let s = setup(RevocationOptions::default());
    s.revocations.revoke(Revocation::client("spa", None)).await.unwrap();
    assert!(refused(&s.validator, &token(json!({ "client_id": null, "azp": "spa", "iat": NOW - 1 }))).await);
    assert!(!refused(&s.validator, &token(json!({ "client_id": null, "azp": "spa", "iat": NOW }))).await);
}

#[tokio::test]
async fn entries_expire_after_the_retention_and_can_be_lifted() {
    let s = setup(RevocationOptions::default().retention(Duration::from_secs(100)));
    let long_lived = token(json!({ "exp": NOW + 10_000 }));
    s.revocations.revoke(Revocation::token(ISS, "jti-1")).await.unwrap();
    s.clock.advance(100);
    assert!(refused(&s.validator, &long_lived).await, "the last second of the retention");
    s.clock.advance(1);
    assert!(!refused(&s.validator, &long_lived).await, "expired on its own");

    s.revocations.revoke(Revocation::subject(SUB, None)).await.unwrap();
    assert!(refused(&s.validator, &long_lived).await);
    s.revocations.lift(&Revocation::subject(SUB, Some(0))).await.unwrap();
    assert!(!refused(&s.validator, &long_lived).await, "lifted: `before` is not part of the identity");
    s.revocations.lift(&Revocation::key("never-revoked")).await.expect("lifting nothing succeeds");
}

#[tokio::test]
async fn revoking_a_token_by_its_claims_lasts_until_its_expiry() {
    let s = setup(RevocationOptions::default().leeway(Duration::from_secs(60)));
    let without_jti = s.validator.validate(&token(json!({ "jti": null }))).await.unwrap();
    assert!(matches!(s.revocations.revoke_token(&without_jti).await, Err(RevocationError::Invalid(_))));

    let revoked = token(json!({ "exp": NOW + 300 }));
    let claims = s.validator.validate(&revoked).await.unwrap();
    s.revocations.revoke_token(&claims).await.unwrap();
    assert!(refused(&s.validator, &revoked).await);
    // The same jti in a token valid longer (a re-issue with a reused jti): the entry ends at
    // exp + leeway, not after the day of retention.
    let reissued = token(json!({ "exp": NOW + 10_000 }));
    s.clock.advance(360);
    assert!(refused(&s.validator, &reissued).await, "exp + leeway");
    s.clock.advance(1);
    assert!(!refused(&s.validator, &reissued).await, "after exp + leeway");
}

#[tokio::test]
async fn malformed_entries_and_a_full_list_are_refused() {
    let s = setup(RevocationOptions::default().max_entries(2));
    for bad in [
        Revocation::token("", "jti"),
        Revocation::token(ISS, ""),
        Revocation::subject("", None),
        Revocation::client("c", Some(-5)),
        Revocation::key("k".repeat(1025)),
    ] {
        assert!(
            matches!(s.revocations.revoke(bad.clone()).await, Err(RevocationError::Invalid(_))),
            "{bad:?}"
        );
    }
    s.revocations.revoke(Revocation::key("a")).await.unwrap();
    s.revocations.revoke(Revocation::key("b")).await.unwrap();
    assert_eq!(s.revocations.revoke(Revocation::key("c")).await, Err(RevocationError::Full));
    // The same identity again widens its entry; it needs no room.
    s.revocations.revoke(Revocation::key("a")).await.unwrap();
    assert_eq!(s.revocations.len(), 2);
    assert_eq!(s.revocations.state(), RevocationState::Local);
}

#[test]
fn options_out_of_range_name_the_setting() {
    let zero = RevocationOptions::default().retention(Duration::ZERO);
    assert_eq!(Revocations::in_memory(zero).unwrap_err().setting(), "revocation.retention");
    let stale = RevocationOptions::default().max_stale(Duration::ZERO);
    assert_eq!(Revocations::in_memory(stale).unwrap_err().setting(), "revocation.max_stale");
}
