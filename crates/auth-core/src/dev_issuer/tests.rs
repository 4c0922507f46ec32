//! Round trips through the validator: static keys, and the server with discovery.

use super::*;
use crate::{AuthError, IssuerConfig, StaticKey, TokenProblem, Validator};

fn claims(iss: &str) -> Value {
    json!({"iss": iss, "sub": "u", "aud": "api", "iat": now_unix(), "exp": now_unix() + 600})
}

async fn get_json(url: &str) -> Value {
    serde_json::from_slice(&reqwest::get(url).await.unwrap().bytes().await.unwrap()).unwrap()
}

fn static_validator(iss: &str, key: StaticKey, alg: Algorithm) -> Validator {
    Validator::builder()
        .issuer(IssuerConfig::static_keys(iss, [key]))
        .audience("api")
        .algorithms([alg])
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_algorithm_round_trips_through_jwk_and_pem() {
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg).unwrap().with_kid("k1");
        assert_eq!((key.kid(), key.algorithm()), ("k1", alg));
        let token = key.mint(&claims("https://iss"));
        let jwk = StaticKey::jwk(key.public_jwk().to_string());
        let claims = static_validator("https://iss", jwk, alg).validate(&token).await.unwrap();
        assert_eq!(claims.registered().sub(), Some("u"), "{alg}");
        if alg.is_symmetric() {
            assert!(key.public_key_pem().is_none() && key.hmac_secret().is_some());
            continue;
        }
        assert!(key.hmac_secret().is_none());
        let pem = StaticKey::pem(key.public_key_pem().unwrap()).with_kid("k1");
        assert!(static_validator("https://iss", pem, alg).validate(&token).await.is_ok(), "{alg} pem");
        let der = StaticKey::der(key.public_key_der().unwrap()).with_kid("k1");
        assert!(static_validator("https://iss", der, alg).validate(&token).await.is_ok(), "{alg} der");
    }
}

#[tokio::test]
async fn a_tampered_token_or_another_key_does_not_verify() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let other = SigningKey::generate(Algorithm::ES256).unwrap().with_kid(key.kid());
    let v = static_validator("https://iss", StaticKey::jwk(key.public_jwk().to_string()), Algorithm::ES256);
    let forged = other.mint(&claims("https://iss"));
    assert_eq!(v.validate(&forged).await.unwrap_err(), AuthError::InvalidToken(TokenProblem::BadSignature));
}

#[tokio::test]
async fn discovery_jwks_and_rotation_through_the_server() {
    let idp = DevIssuer::start(Algorithm::RS256).await.unwrap();
    assert_eq!(idp.jwks_uri(), format!("{}/jwks", idp.issuer()));
    assert!(!idp.issuer().ends_with('/'));
    let v = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .build()
        .unwrap();
    let old = idp.token().scope("pets:read").sign();
    let claims = v.validate(&old).await.unwrap();
    assert_eq!(claims.registered().client_id(), Some("dev-client"));
    assert!(claims.scopes().contains("pets:read"));

    let before = idp.signing_key().kid().to_owned();
    let new_key = idp.rotate();
    assert_ne!(new_key.kid(), before);
    let new = idp.token().sign();
    assert!(v.validate(&new).await.is_ok(), "rotated key is fetched on first use");
    assert!(v.validate(&old).await.is_ok(), "old key is still published");
    let stats = v.stats();
    assert_eq!((stats.fetches, stats.unknown_kid_refreshes), (2, 1), "first fetch, one unknown-kid refresh");

    let jwks: Value = get_json(&idp.jwks_uri()).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    idp.retire_old_keys();
    let jwks = reqwest::get(idp.jwks_uri()).await.unwrap();
    assert_eq!(jwks.headers()["cache-control"], "max-age=300");
    let jwks: Value = serde_json::from_slice(&jwks.bytes().await.unwrap()).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], new_key.kid());
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let missing = reqwest::get(format!("{}/nothing", idp.issuer())).await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn token_builder_controls_claims_and_header() {
    let idp = DevIssuer::start(Algorithm::EdDSA).await.unwrap();
    let v =
        Validator::builder().issuer(IssuerConfig::discover(idp.issuer())).audience("orders").build().unwrap();
    let t = idp.token().audience("orders").subject("alice").claim("tenant", json!("acme")).sign();
    let c = v.validate(&t).await.unwrap();
    assert_eq!(c.registered().sub(), Some("alice"));
    assert_eq!(c.get("tenant"), Some(&json!("acme")));
    let expired = idp.token().audience("orders").issued_at(now_unix() - 7200).sign();
    assert_eq!(v.validate(&expired).await.unwrap_err(), AuthError::InvalidToken(TokenProblem::Expired));
    let no_exp = idp.token().audience("orders").remove_claim("exp").sign();
    assert!(v.validate(&no_exp).await.is_err());
    let unknown_kid = idp.token().audience("orders").header("kid", json!("nope")).sign();
    assert_eq!(
        v.validate(&unknown_kid).await.unwrap_err(),
        AuthError::InvalidToken(TokenProblem::UnknownKey)
    );
}

#[tokio::test]
async fn hmac_issuers_publish_no_secret_and_the_server_stops_with_its_last_handle() {
    let idp = DevIssuer::start(Algorithm::HS256).await.unwrap();
    let jwks: Value = get_json(&idp.jwks_uri()).await;
    assert_eq!(jwks, json!({"keys": []}));
    let secret = idp.signing_key().hmac_secret().unwrap().to_vec();
    let key = StaticKey::hmac(secret).with_kid(idp.signing_key().kid());
    let v = static_validator(idp.issuer(), key, Algorithm::HS256);
    assert!(v.validate(&idp.token().audience("api").sign()).await.is_ok());

    let url = idp.jwks_uri();
    let clone = idp.clone();
    drop(idp);
    assert!(reqwest::get(&url).await.is_ok(), "a clone keeps the server up");
    clone.shutdown();
    tokio::task::yield_now().await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert!(client.get(&url).send().await.is_err(), "stopped after shutdown");
}
