//! DPoP (RFC 9449) through the pipeline: real proofs from keys generated here, one test per rule
//! breaking that rule alone on an otherwise valid request, replay, a small store under a flood,
//! server nonces, the three modes and the challenges they answer with.

mod common;

use std::sync::{Arc, OnceLock};

use auth_core::checks::KeyBinding;
use auth_core::checks::dpop::{DpopNonces, MemoryReplayStore};
use auth_core::dev_issuer::{DpopKey, ProofBuilder};
use auth_core::{
    Algorithm, AuthError, Authentication, Authenticator, DpopMode, DpopOptions, DpopProblem, ManualClock,
    Outcome, Rejection, Scheme, TokenProblem, ValidatorBuilder,
};
use common::{NOW, Req, claims_with, key, static_key};
use serde_json::json;

const TARGET: &str = "http://api.example.com/pets";

fn dpop_key(alg: Algorithm) -> &'static DpopKey {
    static KEYS: [OnceLock<DpopKey>; 12] = [const { OnceLock::new() }; 12];
    let i = Algorithm::ALL.iter().position(|a| *a == alg).expect("known algorithm");
    KEYS[i].get_or_init(|| DpopKey::generate(alg).expect("key generation"))
}

/// The attacker's key.
fn other_dpop_key() -> &'static DpopKey {
    static KEY: OnceLock<DpopKey> = OnceLock::new();
    KEY.get_or_init(|| DpopKey::generate(Algorithm::ES256).expect("key generation"))
}

fn builder(clock: &Arc<ManualClock>, options: DpopOptions) -> ValidatorBuilder {
    common::builder([static_key(key(Algorithm::ES256))], &[Algorithm::ES256])
        .clock(Arc::clone(clock))
        .realm("pets")
        .dpop(options)
}

fn authenticator(clock: &Arc<ManualClock>, options: DpopOptions) -> Authenticator {
    Authenticator::new(builder(clock, options).build().expect("validator builds"))
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

/// An access token bound to `key`.
fn bound_token(key: &DpopKey) -> String {
    common::key(Algorithm::ES256).mint(&claims_with(json!({ "cnf": { "jkt": key.thumbprint() } })))
}

fn unbound_token() -> String {
    common::key(Algorithm::ES256).mint(&claims_with(json!({})))
}

/// A valid proof for `GET /pets` with `token`, issued at [`NOW`].
fn proof<'k>(key: &'k DpopKey, token: &str) -> ProofBuilder<'k> {
    key.proof("GET", TARGET).access_token(token).issued_at(NOW)
}

async fn run(a: &Authenticator, req: &Req) -> Outcome {
    match a.authenticate(req) {
        Authentication::Ready(outcome) => outcome,
        Authentication::Pending(pending) => pending.await,
    }
}

fn refused(outcome: Outcome) -> (AuthError, Rejection) {
    outcome.expect_err("refused").into_parts()
}

fn challenges(r: &Rejection) -> Vec<String> {
    r.challenges().iter().map(ToString::to_string).collect()
}

const ALGS: &str = r#"algs="ES256 ES384 RS256 PS256 EdDSA""#;

#[tokio::test]
async fn a_valid_proof_passes_with_every_default_algorithm() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256, Algorithm::EdDSA] {
        let key = dpop_key(alg);
        let token = bound_token(key);
        let passed = run(&a, &Req::dpop(&token, &proof(key, &token).sign())).await.expect("accepted");
        assert_eq!(passed.binding, Some(KeyBinding::Dpop { jkt: key.thumbprint().to_owned() }), "{alg}");
        assert_eq!(passed.scheme, Some(Scheme::DPoP));
        assert!(passed.response_headers.is_empty());
        // The token is cached now; the next request, with a new proof, is judged just the same.
        let again = proof(key, &token).sign();
        assert!(run(&a, &Req::dpop(&token, &again)).await.is_ok(), "{alg} from the cache");
    }
    assert_eq!(a.validator().stats().token_cache_hits, 5);
}

#[tokio::test]
async fn a_proof_is_accepted_once() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    let req = Req::dpop(&token, &proof(key, &token).sign());
    assert!(run(&a, &req).await.is_ok());
    let (error, rejection) = refused(run(&a, &req).await);
    assert_eq!(error, AuthError::InvalidDpopProof(DpopProblem::Replayed));
    assert_eq!(rejection.status(), 401);
    assert_eq!(
        challenges(&rejection),
        [
            format!(
                r#"DPoP realm="pets", {ALGS}, error="invalid_dpop_proof", error_description="the DPoP proof was already used""#
            ),
            r#"Bearer realm="pets""#.to_owned(),
        ]
    );
    assert_eq!(a.validator().stats().rejected("dpop_replayed"), 1);
    // Still refused when the window has nearly passed; accepted by nobody after it (too old).
    clock.advance(60);
    assert_eq!(refused(run(&a, &req).await).0, AuthError::InvalidDpopProof(DpopProblem::Replayed));
    clock.advance(1);
    assert_eq!(refused(run(&a, &req).await).0, AuthError::InvalidDpopProof(DpopProblem::TooOld));
}

/// A proof key read once is taken from the cache only for the very same JWK text under the
/// same algorithm: once the client's public key is cached, the same key sent with a private
/// member, an `alg` member of another algorithm or `use` `enc` is still refused, and the same key
/// written another way (an extra member) is read again and gives the same binding.
#[tokio::test]
async fn a_cached_proof_key_excuses_no_other_jwk_text() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    assert!(run(&a, &Req::dpop(&token, &proof(key, &token).sign())).await.is_ok(), "the key is cached");
    let with = |member: &str, value: serde_json::Value| {
        let mut jwk = key.public_jwk().clone();
        jwk[member] = value;
        proof(key, &token).header("jwk", jwk).sign()
    };
    for (name, bad) in [
        ("private member d", with("d", json!("AAAA"))),
        ("alg ES384", with("alg", json!("ES384"))),
        ("use enc", with("use", json!("enc"))),
        ("key_ops without verify", with("key_ops", json!(["sign"]))),
    ] {
        let (error, _) = refused(run(&a, &Req::dpop(&token, &bad)).await);
        assert_eq!(error, AuthError::InvalidDpopProof(DpopProblem::BadKey), "{name}");
    }
    let passed = run(&a, &Req::dpop(&token, &with("kid", json!("client-key-1")))).await.expect("accepted");
    assert_eq!(passed.binding, Some(KeyBinding::Dpop { jkt: key.thumbprint().to_owned() }));
}

/// Each case breaks one rule of an otherwise valid request.
#[tokio::test]
async fn each_rule_refuses_a_proof_that_breaks_it_alone() {
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    let valid = || proof(key, &token);
    let mut private_jwk = key.public_jwk().clone();
    private_jwk["d"] = json!("AAAA");
    let weak_rsa = json!({"kty": "RSA", "n": common::b64([0xc3u8; 128]), "e": "AQAB"});
    let hs = key.proof("GET", TARGET).header("alg", json!("HS256")).access_token(&token).issued_at(NOW);
    let mut oversized = valid().claim("pad", json!("x".repeat(9000))).sign();
    oversized.truncate(oversized.len());
    let signed_by_other = {
        // The header names this key; the signature is the other key's.
        let good = valid().sign();
        let other = other_dpop_key().proof("GET", TARGET).access_token(&token).issued_at(NOW).sign();
        let (head, _) = good.rsplit_once('.').unwrap();
        format!("{head}.{}", other.rsplit_once('.').unwrap().1)
    };
    let cases: Vec<(&str, String, DpopProblem)> = vec![
        ("not a JWS", "abc.def".into(), DpopProblem::Malformed),
        ("too large", oversized, DpopProblem::TooLarge),
        ("typ at+jwt", valid().header("typ", json!("at+jwt")).sign(), DpopProblem::WrongType),
        ("no typ", valid().header("typ", json!(null)).sign(), DpopProblem::WrongType),
        ("alg none", valid().header("alg", json!("none")).sign(), DpopProblem::AlgorithmNotAllowed),
        ("alg HS256", hs.sign(), DpopProblem::AlgorithmNotAllowed),
        ("alg not fitting the key", valid().header("alg", json!("ES384")).sign(), DpopProblem::BadKey),
        ("no jwk", valid().header("jwk", json!(null)).sign(), DpopProblem::Malformed),
        ("private jwk", valid().header("jwk", private_jwk).sign(), DpopProblem::BadKey),
        (
            "RSA-1024 jwk",
            valid().header("alg", json!("RS256")).header("jwk", weak_rsa).sign(),
            DpopProblem::BadKey,
        ),
        ("crit", valid().header("crit", json!(["exp"])).sign(), DpopProblem::Malformed),
        ("signature by another key", signed_by_other, DpopProblem::BadSignature),
        ("htm POST", valid().claim("htm", json!("POST")).sign(), DpopProblem::WrongMethod),
        ("htm lowercase", valid().claim("htm", json!("get")).sign(), DpopProblem::WrongMethod),
        (
            "htu other host",
            valid().claim("htu", json!("http://evil.example.com/pets")).sign(),
            DpopProblem::WrongUri,
        ),
        (
            "htu https",
            valid().claim("htu", json!("https://api.example.com/pets")).sign(),
            DpopProblem::WrongUri,
        ),
        (
            "htu other path",
            valid().claim("htu", json!("http://api.example.com/pets/1")).sign(),
            DpopProblem::WrongUri,
        ),
        ("no htu", valid().claim("htu", json!(null)).sign(), DpopProblem::Malformed),
        ("iat 61 s old", valid().issued_at(NOW - 61).sign(), DpopProblem::TooOld),
        ("iat 61 s ahead", valid().issued_at(NOW + 61).sign(), DpopProblem::FromTheFuture),
        ("iat a string", valid().claim("iat", json!("1700000000")).sign(), DpopProblem::Malformed),
        ("no jti", valid().claim("jti", json!(null)).sign(), DpopProblem::Malformed),
        ("no ath", valid().claim("ath", json!(null)).sign(), DpopProblem::WrongTokenHash),
        ("ath of another token", valid().access_token(&unbound_token()).sign(), DpopProblem::WrongTokenHash),
        (
            "another key than the token's",
            other_dpop_key().proof("GET", TARGET).access_token(&token).issued_at(NOW).sign(),
            DpopProblem::WrongKey,
        ),
    ];
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    for (name, bad, expected) in cases {
        let (error, rejection) = refused(run(&a, &Req::dpop(&token, &bad)).await);
        assert_eq!(error, AuthError::InvalidDpopProof(expected), "{name}");
        assert_eq!(rejection.status(), 401, "{name}");
        assert_eq!(rejection.challenges()[0].param("error"), Some("invalid_dpop_proof"), "{name}");
        assert!(!rejection.body().contains(&token[..20]), "{name}");
    }
    // Edges that pass: exactly 60 s old and ahead; htu with another case, default port and query.
    for ok in [
        valid().issued_at(NOW - 60).sign(),
        valid().issued_at(NOW + 60).sign(),
        valid().claim("htu", json!("HTTP://API.example.com:80/pets?limit=2")).sign(),
    ] {
        assert!(run(&a, &Req::dpop(&token, &ok)).await.is_ok());
    }
}

#[tokio::test]
async fn the_header_must_be_there_once() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    let no_proof = Req::get().header("authorization", &format!("DPoP {token}"));
    assert_eq!(refused(run(&a, &no_proof).await).0, AuthError::InvalidDpopProof(DpopProblem::Missing));
    let twice = Req::dpop(&token, &proof(key, &token).sign()).header("dpop", &proof(key, &token).sign());
    assert_eq!(refused(run(&a, &twice).await).0, AuthError::InvalidDpopProof(DpopProblem::Multiple));
}

#[tokio::test]
async fn the_target_follows_the_public_base_url() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default())
        .public_base_url("https://pets.example.com/api")
        .unwrap();
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    let as_host = proof(key, &token).sign();
    assert_eq!(
        refused(run(&a, &Req::dpop(&token, &as_host)).await).0,
        AuthError::InvalidDpopProof(DpopProblem::WrongUri)
    );
    let public =
        key.proof("GET", "https://pets.example.com/api/pets").access_token(&token).issued_at(NOW).sign();
    assert!(run(&a, &Req::dpop(&token, &public)).await.is_ok());
}

#[tokio::test]
async fn tokens_and_schemes_in_allowed_mode() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::default());
    let key = dpop_key(Algorithm::ES256);
    let bound = bound_token(key);
    // A bound token as a bearer token: invalid_token on the Bearer challenge, DPoP named beside it.
    let (error, rejection) = refused(run(&a, &Req::bearer(&bound)).await);
    assert_eq!(error, AuthError::InvalidToken(TokenProblem::DpopBoundAsBearer));
    let c = challenges(&rejection);
    assert!(c[0].starts_with(r#"Bearer realm="pets", error="invalid_token""#), "{c:?}");
    assert_eq!(c[1], format!(r#"DPoP realm="pets", {ALGS}"#));
    // An unbound token with the DPoP scheme: invalid_token on the DPoP challenge.
    let unbound = unbound_token();
    let (error, rejection) = refused(run(&a, &Req::dpop(&unbound, &proof(key, &unbound).sign())).await);
    assert_eq!(error, AuthError::InvalidToken(TokenProblem::NotDpopBound));
    let c = challenges(&rejection);
    assert!(c[0].starts_with(&format!(r#"DPoP realm="pets", {ALGS}, error="invalid_token""#)), "{c:?}");
    assert_eq!(c[1], r#"Bearer realm="pets""#);
    // Unbound bearer tokens are as before: one Bearer challenge, no DPoP one.
    assert!(run(&a, &Req::bearer(&unbound)).await.is_ok());
    let (_, rejection) = refused(run(&a, &Req::get()).await);
    assert_eq!(challenges(&rejection), [r#"Bearer realm="pets""#]);
    // A lacking scope after a DPoP request is challenged on DPoP.
    let scope = a.refuse_for(
        AuthError::InsufficientScope(auth_core::ScopeRequirement::all(["admin"])),
        Some(Scheme::DPoP),
    );
    let c = challenges(scope.rejection());
    assert!(
        c[0].starts_with("DPoP")
            && c[0].contains(r#"error="insufficient_scope", "#)
            && c[0].contains(r#"scope="admin""#),
        "{c:?}"
    );
    assert_eq!(c[1], r#"Bearer realm="pets""#);
}

#[tokio::test]
async fn required_mode_takes_no_bearer_token() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::new(DpopMode::Required));
    let key = dpop_key(Algorithm::ES256);
    let unbound = unbound_token();
    for req in [Req::bearer(&unbound), Req::get()] {
        let (error, rejection) = refused(run(&a, &req).await);
        assert_eq!(error, AuthError::MissingToken);
        assert_eq!(challenges(&rejection), [format!(r#"DPoP realm="pets", {ALGS}"#)]);
    }
    let a = a.credential_sources(auth_core::CredentialSources::default().with_cookie("at"));
    let cookie = Req::get().header("cookie", &format!("at={unbound}"));
    assert_eq!(refused(run(&a, &cookie).await).0, AuthError::MissingToken);
    let token = bound_token(key);
    assert!(run(&a, &Req::dpop(&token, &proof(key, &token).sign())).await.is_ok());
    // A bare token, no request: no proof, so refused.
    assert_eq!(
        a.validator().validate(&unbound).await.unwrap_err(),
        AuthError::InvalidToken(TokenProblem::DpopRequired)
    );
}

#[tokio::test]
async fn off_mode_is_bearer_only_and_leaves_bindings_unchecked() {
    let clock = clock();
    let a = authenticator(&clock, DpopOptions::new(DpopMode::Off));
    let key = dpop_key(Algorithm::ES256);
    let bound = bound_token(key);
    assert!(run(&a, &Req::bearer(&bound)).await.is_ok());
    let (error, rejection) = refused(run(&a, &Req::dpop(&bound, &proof(key, &bound).sign())).await);
    assert_eq!(error, AuthError::MissingToken);
    assert_eq!(challenges(&rejection), [r#"Bearer realm="pets""#]);
}

#[tokio::test]
async fn a_flood_never_evicts_a_live_proof() {
    let clock = clock();
    let store = Arc::new(MemoryReplayStore::new(64));
    let a = authenticator(&clock, DpopOptions::default().replay_store(Arc::clone(&store)));
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);
    let first = Req::dpop(&token, &proof(key, &token).sign());
    assert!(run(&a, &first).await.is_ok());
    let (mut accepted, mut unavailable) = (vec![first], 0);
    for _ in 0..2_000 {
        let req = Req::dpop(&token, &proof(key, &token).sign());
        match run(&a, &req).await {
            Ok(_) => accepted.push(req),
            Err(refusal) => {
                let (error, rejection) = refusal.into_parts();
                assert!(matches!(error, AuthError::Unavailable { .. }), "{error:?}");
                assert_eq!((rejection.status(), rejection.retry_after()), (503, Some(61)));
                unavailable += 1;
            }
        }
    }
    // Bounded by its table (four slots per proof of capacity), whatever the flood.
    assert!(store.len() >= store.capacity() && store.len() <= 4 * store.capacity(), "{}", store.len());
    assert_eq!(accepted.len(), store.len());
    assert!(unavailable > 1_500, "{unavailable}");
    assert_eq!(a.validator().stats().dpop_replay_store_unavailable, unavailable);
    for req in &accepted {
        assert_eq!(refused(run(&a, req).await).0, AuthError::InvalidDpopProof(DpopProblem::Replayed));
    }
    // Once the proofs can no longer be accepted, their room is free again.
    clock.advance(61);
    let token = bound_token(key);
    let fresh = key.proof("GET", TARGET).access_token(&token).issued_at(NOW + 61).sign();
    assert!(run(&a, &Req::dpop(&token, &fresh)).await.is_ok());
}

#[tokio::test]
async fn server_nonces_are_issued_retried_and_rotated() {
    let clock = clock();
    let nonces = DpopNonces::with_key(&[9; 32]).unwrap();
    let a = authenticator(&clock, DpopOptions::default().nonces(nonces.clone()));
    let key = dpop_key(Algorithm::ES256);
    let token = bound_token(key);

    // No nonce: use_dpop_nonce with one to use.
    let (error, rejection) = refused(run(&a, &Req::dpop(&token, &proof(key, &token).sign())).await);
    assert_eq!(error, AuthError::UseDpopNonce);
    assert!(
        challenges(&rejection)[0]
            .starts_with(&format!(r#"DPoP realm="pets", {ALGS}, error="use_dpop_nonce""#))
    );
    let nonce = nonce_of(&rejection);
    // The retry with it passes, with no new nonce.
    let ok = run(&a, &Req::dpop(&token, &proof(key, &token).nonce(&nonce).sign())).await.unwrap();
    assert!(ok.response_headers.is_empty());
    // In the next step it still passes, and the answer carries the new nonce.
    clock.advance(60);
    let late = key.proof("GET", TARGET).access_token(&token).issued_at(NOW + 60).nonce(&nonce).sign();
    let ok = run(&a, &Req::dpop(&token, &late)).await.unwrap();
    let (name, next) = &ok.response_headers[0];
    assert_eq!(*name, "dpop-nonce");
    assert_ne!(*next, nonce);
    // Two steps on, the old one is refused; the new one passes.
    clock.advance(60);
    let stale = key.proof("GET", TARGET).access_token(&token).issued_at(NOW + 120).nonce(&nonce).sign();
    assert_eq!(refused(run(&a, &Req::dpop(&token, &stale)).await).0, AuthError::UseDpopNonce);
    let fresh = key.proof("GET", TARGET).access_token(&token).issued_at(NOW + 120).nonce(next).sign();
    assert!(run(&a, &Req::dpop(&token, &fresh)).await.is_ok());

    // A restarted process with a random key refuses the nonces of the one before it.
    let restarted = authenticator(&clock, DpopOptions::default().nonces(DpopNonces::random().unwrap()));
    let before =
        key.proof("GET", TARGET).access_token(&token).issued_at(NOW + 120).nonce(next).jti("again").sign();
    let (error, rejection) = refused(run(&restarted, &Req::dpop(&token, &before)).await);
    assert_eq!(error, AuthError::UseDpopNonce);
    assert_ne!(nonce_of(&rejection), *next);
    // Two instances sharing a key accept each other's.
    let peer = authenticator(&clock, DpopOptions::default().nonces(nonces));
    assert!(run(&peer, &Req::dpop(&token, &before)).await.is_ok());
}

fn nonce_of(rejection: &Rejection) -> String {
    rejection.headers().find(|(n, _)| *n == "dpop-nonce").expect("a DPoP-Nonce header").1
}

#[test]
fn bad_settings_name_themselves() {
    let clock = clock();
    let cases = [
        (DpopOptions::default().algorithms([Algorithm::HS256]), "dpop.algorithms"),
        (DpopOptions::default().algorithms([]), "dpop.algorithms"),
        (DpopOptions::default().replay_capacity(0), "dpop.replay_capacity"),
        (DpopOptions::default().max_age(std::time::Duration::ZERO), "dpop.max_age"),
        (DpopOptions::default().max_age(std::time::Duration::from_secs(86_401)), "dpop.max_age"),
        (DpopOptions::default().max_future(std::time::Duration::from_secs(86_401)), "dpop.max_future"),
    ];
    for (options, setting) in cases {
        let err = builder(&clock, options).build().unwrap_err();
        assert_eq!(err.setting(), setting);
    }
    assert_eq!("Required".parse::<DpopMode>(), Ok(DpopMode::Required));
    assert!("on".parse::<DpopMode>().is_err());
}
