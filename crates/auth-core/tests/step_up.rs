//! Step-up (RFC 9470) on real signed tokens: every branch of `acr` and `auth_time`, ordered
//! levels, the validator's clock and leeway, static requirements, and introspected tokens.

#![cfg(feature = "dev-issuer")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth_core::requirements::{check_static_step_up, check_step_up};
use auth_core::{
    AcrLevels, Algorithm, AuthError, Claims, IntrospectionOptions, IssuerConfig, ManualClock, StepUp,
    StepUpSet, Validator,
};
use common::*;
use serde_json::json;

const ALG: Algorithm = Algorithm::ES256;

fn at(clock: &Arc<ManualClock>, leeway: u64) -> Validator {
    builder([static_key(key(ALG))], &[ALG])
        .clock(Arc::clone(clock))
        .leeway(Duration::from_secs(leeway))
        .build()
        .unwrap()
}

async fn claims(v: &Validator, changes: serde_json::Value) -> Claims {
    v.validate(&token(ALG, &claims_with(changes))).await.unwrap()
}

/// (`acr_values`, `max_age`) of the challenge, or `None` when the requirement is met.
fn failed(r: Result<(), AuthError>) -> Option<(Option<String>, Option<String>)> {
    let e = match r {
        Ok(()) => return None,
        Err(e) => e,
    };
    assert_eq!(e.reason(), "insufficient_user_authentication", "{e:?}");
    let rejection = e.rejection(None);
    assert_eq!(rejection.status(), 401);
    let c = &rejection.challenges()[0];
    assert_eq!(c.param("error"), Some("insufficient_user_authentication"));
    Some((c.param("acr_values").map(Into::into), c.param("max_age").map(Into::into)))
}

fn pay() -> StepUp {
    StepUp::acr(["mfa", "hwk"]).max_age(Duration::from_secs(300))
}

#[tokio::test]
async fn every_branch_of_acr_and_auth_time() {
    let clock = Arc::new(ManualClock::new(NOW));
    let v = at(&clock, 0);
    let fresh = NOW - 10;
    let check = |c: &Claims| check_step_up(Some(c), &pay(), &v);
    let both = Some((Some("mfa hwk".to_owned()), Some("300".to_owned())));
    let acr_only = Some((Some("mfa hwk".to_owned()), None));
    let age_only = Some((None, Some("300".to_owned())));

    // Accepted acr, fresh auth_time (any one of the set satisfies).
    assert_eq!(failed(check(&claims(&v, json!({"acr": "mfa", "auth_time": fresh})).await)), None);
    assert_eq!(failed(check(&claims(&v, json!({"acr": "hwk", "auth_time": fresh})).await)), None);
    // acr missing; not accepted; not a string.
    assert_eq!(failed(check(&claims(&v, json!({"auth_time": fresh})).await)), acr_only);
    assert_eq!(failed(check(&claims(&v, json!({"acr": "pwd", "auth_time": fresh})).await)), acr_only);
    assert_eq!(failed(check(&claims(&v, json!({"acr": 2, "auth_time": fresh})).await)), acr_only);
    // auth_time too old; missing with a max_age (fails closed); not a number.
    assert_eq!(failed(check(&claims(&v, json!({"acr": "mfa", "auth_time": NOW - 301})).await)), age_only);
    assert_eq!(failed(check(&claims(&v, json!({"acr": "mfa"})).await)), age_only);
    assert_eq!(failed(check(&claims(&v, json!({"acr": "mfa", "auth_time": "now"})).await)), age_only);
    // Both failing.
    assert_eq!(failed(check(&claims(&v, json!({"acr": "pwd", "auth_time": NOW - 3600})).await)), both);
    assert_eq!(failed(check(&claims(&v, json!({})).await)), both);
    // Exactly the maximum age is still fine; a second later is not.
    let edge = claims(&v, json!({"acr": "mfa", "auth_time": NOW - 300})).await;
    assert_eq!(failed(check(&edge)), None);
    clock.advance(1);
    assert_eq!(failed(check(&edge)), age_only);
    // Anonymous.
    assert_eq!(check_step_up(None, &pay(), &v), Err(AuthError::MissingToken));
}

#[tokio::test]
async fn ordered_levels_accept_stronger_and_refuse_weaker() {
    let clock = Arc::new(ManualClock::new(NOW));
    let v = at(&clock, 0);
    let mfa = AcrLevels::new(["pwd", "mfa", "phr"]).unwrap().at_least("mfa").unwrap();
    let acr = |a: &'static str| claims(&v, json!({ "acr": a }));
    assert_eq!(
        failed(check_step_up(Some(&acr("pwd").await), &mfa, &v)),
        Some((Some("mfa phr".into()), None))
    );
    assert_eq!(failed(check_step_up(Some(&acr("mfa").await), &mfa, &v)), None);
    assert_eq!(failed(check_step_up(Some(&acr("phr").await), &mfa, &v)), None);
}

#[tokio::test]
async fn the_validator_leeway_extends_the_maximum_age() {
    let clock = Arc::new(ManualClock::new(NOW));
    let v = at(&clock, 60);
    let recent = StepUp::recent(Duration::from_secs(300));
    let c = claims(&v, json!({"auth_time": NOW - 360})).await;
    assert_eq!(failed(check_step_up(Some(&c), &recent, &v)), None);
    clock.advance(1);
    assert_eq!(failed(check_step_up(Some(&c), &recent, &v)), Some((None, Some("300".into()))));
    // An auth_time beyond the leeway in the future is no proof of a recent sign-in.
    let ahead = claims(&v, json!({"auth_time": NOW + 120})).await;
    assert!(failed(check_step_up(Some(&ahead), &recent, &v)).is_some());
}

struct Payment;
impl StepUpSet for Payment {
    const ACR: &'static [&'static str] = &["mfa", "hwk"];
    const MAX_AGE: Option<u64> = Some(300);
}

#[tokio::test]
async fn a_static_requirement_answers_as_the_dynamic_one() {
    let clock = Arc::new(ManualClock::new(NOW));
    let v = at(&clock, 0);
    for changes in [
        json!({"acr": "mfa", "auth_time": NOW}),
        json!({"acr": "pwd", "auth_time": NOW}),
        json!({"acr": "mfa", "auth_time": NOW - 301}),
        json!({"acr": "mfa"}),
        json!({}),
    ] {
        let c = claims(&v, changes.clone()).await;
        assert_eq!(
            check_static_step_up::<Payment>(Some(&c), &v),
            check_step_up(Some(&c), &pay(), &v),
            "{changes}"
        );
    }
    assert_eq!(Payment::requirement(), pay());
    assert_eq!(check_static_step_up::<Payment>(None, &v), Err(AuthError::MissingToken));
}

#[tokio::test]
async fn introspected_tokens_are_judged_the_same() {
    let idp = auth_core::dev_issuer::DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (id, secret) = idp.introspection_client();
    let v = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .introspection(IntrospectionOptions::new(id, secret))
        .build()
        .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let strong = v.validate(&idp.token().acr("mfa").auth_time(now).opaque()).await.unwrap();
    assert_eq!(failed(check_step_up(Some(&strong), &pay(), &v)), None);
    let weak = v.validate(&idp.token().opaque()).await.unwrap();
    assert_eq!(
        failed(check_step_up(Some(&weak), &pay(), &v)),
        Some((Some("mfa hwk".into()), Some("300".into())))
    );
    // And a JWT from the same issuer, through its JWKS.
    let jwt = v.validate(&idp.token().acr("hwk").auth_time(now - 5).sign()).await.unwrap();
    assert_eq!(failed(check_step_up(Some(&jwt), &pay(), &v)), None);
    idp.shutdown();
}
