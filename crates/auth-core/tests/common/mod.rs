//! Shared fixtures for the validation test binaries: keys (generated once per binary), token
//! assembly from raw header and payload text, and validators with static keys and a fixed clock.

#![allow(dead_code)]

use std::sync::OnceLock;

use auth_core::dev_issuer::SigningKey;
use auth_core::{
    Algorithm, AuthError, Claims, IssuerConfig, ManualClock, RequestView, StaticKey, TokenProblem, Validator,
    ValidatorBuilder,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The fixed "now" of every validator built here.
pub(crate) const NOW: i64 = 1_700_000_000;
/// The trusted issuer.
pub(crate) const ISS: &str = "https://issuer.test";
/// The configured audience.
pub(crate) const AUD: &str = "api";
/// A subject value that must never leak into error responses.
pub(crate) const SUB: &str = "user-4711-secret-subject";

/// One key per algorithm, generated on first use and kept for the whole test binary.
pub(crate) fn key(alg: Algorithm) -> &'static SigningKey {
    static KEYS: [OnceLock<SigningKey>; 12] = [const { OnceLock::new() }; 12];
    let i = Algorithm::ALL.iter().position(|a| *a == alg).expect("known algorithm");
    KEYS[i].get_or_init(|| SigningKey::generate(alg).expect("key generation").with_kid(format!("kid-{alg}")))
}

/// A second, unrelated key per algorithm (the attacker's).
pub(crate) fn other_key(alg: Algorithm) -> &'static SigningKey {
    static KEYS: [OnceLock<SigningKey>; 12] = [const { OnceLock::new() }; 12];
    let i = Algorithm::ALL.iter().position(|a| *a == alg).expect("known algorithm");
    KEYS[i].get_or_init(|| SigningKey::generate(alg).expect("key generation").with_kid(format!("kid-{alg}")))
}

/// base64url without padding.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims that pass every default check.
pub(crate) fn good_claims() -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "sub": SUB,
        "exp": NOW + 300,
        "iat": NOW - 10,
        "jti": "jti-1",
        "client_id": "client-a",
    })
}

/// `good_claims()` with `changes` merged in (a `null` removes the claim).
pub(crate) fn claims_with(changes: Value) -> Value {
    let mut c = good_claims();
    let obj = c.as_object_mut().expect("object");
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    c
}

/// The header `mint` uses: alg, `typ: at+jwt`, the key's kid.
pub(crate) fn header_for(key: &SigningKey, alg: Algorithm) -> Value {
    json!({ "alg": alg.as_str(), "typ": "at+jwt", "kid": key.kid() })
}

/// A compact JWS over exactly these header and payload texts, signed by `key`.
pub(crate) fn raw_token(key: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = key.sign_bytes(input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// A compact JWS with a chosen signature.
pub(crate) fn forged(header: &str, payload: &str, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header), b64(payload), b64(signature))
}

/// A token signed by `key` with its own algorithm's header and these claims.
pub(crate) fn token(alg: Algorithm, claims: &Value) -> String {
    key(alg).mint(claims)
}

/// The key as the operator would configure it: a JWK for public keys, the secret for HMAC.
pub(crate) fn static_key(key: &SigningKey) -> StaticKey {
    match key.hmac_secret() {
        Some(secret) => StaticKey::hmac(secret.to_vec()).with_kid(key.kid()),
        None => StaticKey::jwk(key.public_jwk().to_string()),
    }
}

/// A builder trusting `keys` for [`ISS`], audience [`AUD`], allowing `algs`, at [`NOW`].
pub(crate) fn builder(keys: impl IntoIterator<Item = StaticKey>, algs: &[Algorithm]) -> ValidatorBuilder {
    Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, keys))
        .audience(AUD)
        .algorithms(algs.iter().copied())
        .clock(ManualClock::new(NOW))
}

/// A validator trusting the test key of `alg`, allowing only `alg`.
pub(crate) fn validator(alg: Algorithm) -> Validator {
    builder([static_key(key(alg))], &[alg]).build().expect("validator builds")
}

/// The token problem of a rejection (panics on acceptance or another error class).
pub(crate) fn problem(result: Result<Claims, AuthError>) -> TokenProblem {
    match result {
        Err(AuthError::InvalidToken(p)) => p,
        Err(other) => panic!("expected invalid_token, got {other:?}"),
        Ok(claims) => panic!("expected rejection, token accepted: {claims:?}"),
    }
}

/// A request for the pipeline: `GET /pets?limit=2` to `api.example.com`, with the headers added.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: &'static str,
    pub(crate) headers: Vec<(&'static str, Vec<u8>)>,
}

impl Req {
    /// No credentials.
    pub(crate) fn get() -> Self {
        Req { method: "GET", headers: vec![("host", b"api.example.com".to_vec())] }
    }

    /// `Authorization: Bearer <token>`.
    pub(crate) fn bearer(token: &str) -> Self {
        Req::get().header("authorization", &format!("Bearer {token}"))
    }

    /// `Authorization: DPoP <token>` and `DPoP: <proof>`.
    pub(crate) fn dpop(token: &str, proof: &str) -> Self {
        Req::get().header("authorization", &format!("DPoP {token}")).header("dpop", proof)
    }

    /// One more header field.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.as_bytes().to_vec()));
        self
    }
}

impl RequestView for Req {
    fn method(&self) -> &str {
        self.method
    }
    fn scheme(&self) -> Option<&str> {
        None
    }
    fn authority(&self) -> Option<&str> {
        None
    }
    fn path(&self) -> &str {
        "/pets"
    }
    fn query(&self) -> Option<&str> {
        Some("limit=2")
    }
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| v.as_slice())
    }
}
