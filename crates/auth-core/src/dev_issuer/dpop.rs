//! A DPoP client key for tests and examples: it makes the proofs a client sends (RFC 9449 §4.2),
//! and its thumbprint binds tokens to it ([`TokenBuilder::bound_to`](super::TokenBuilder::bound_to)).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{DevIssuerError, SigningKey, random_id};
use crate::algorithm::Algorithm;
use crate::checks::dpop::jwk_thumbprint;
use crate::crypto::sha256;

/// A client's DPoP key pair.
///
/// ```
/// use auth_core::dev_issuer::{DevIssuer, DpopKey};
/// use auth_core::{Algorithm, IssuerConfig, Validator};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let idp = DevIssuer::start(Algorithm::ES256).await?;
/// let key = DpopKey::generate(Algorithm::ES256)?;
/// let token = idp.token().bound_to(&key).sign();
/// let proof = key.proof("GET", "https://api.example.com/pets").access_token(&token).sign();
/// // Sent as `Authorization: DPoP <token>` and `DPoP: <proof>`.
/// # let _ = proof; Ok(()) }
/// ```
pub struct DpopKey {
    key: SigningKey,
    jwk: Value,
    jkt: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey").field("alg", &self.key.algorithm()).field("jkt", &self.jkt).finish()
    }
}

impl DpopKey {
    /// A fresh key for `alg` (asymmetric: ES256, ES384, RS*, PS*, EdDSA).
    pub fn generate(alg: Algorithm) -> Result<DpopKey, DevIssuerError> {
        if alg.is_symmetric() {
            return Err(DevIssuerError::KeyGeneration(alg));
        }
        Ok(DpopKey::from_signing_key(SigningKey::generate(alg)?))
    }

    /// A DPoP key from a signing key (its `kid` is not used).
    pub fn from_signing_key(key: SigningKey) -> DpopKey {
        let mut jwk = key.public_jwk();
        if let Some(members) = jwk.as_object_mut() {
            members.remove("kid");
            members.remove("use");
            members.remove("alg");
        }
        let jkt = jwk_thumbprint(&jwk).unwrap_or_default();
        DpopKey { key, jwk, jkt }
    }

    /// The private key as unpadded base64url PKCS#8, to hand to another process.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.to_pkcs8().unwrap_or_default())
    }

    /// A key from [`DpopKey::to_base64url`]'s text.
    pub fn from_base64url(alg: Algorithm, text: &str) -> Result<DpopKey, DevIssuerError> {
        let der = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| DevIssuerError::KeyGeneration(alg))?;
        Ok(DpopKey::from_signing_key(SigningKey::from_pkcs8(alg, &der)?))
    }

    /// The algorithm proofs are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The public JWK put in proofs.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: a bound token's `cnf.jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// A proof for a request with `method` to `uri` (`htu`: pass it without query), issued now,
    /// with a random `jti`.
    pub fn proof(&self, method: &str, uri: &str) -> ProofBuilder<'_> {
        let mut claims = Map::new();
        claims.insert("jti".into(), random_id().into());
        claims.insert("htm".into(), method.into());
        claims.insert("htu".into(), uri.into());
        claims.insert("iat".into(), super::now_unix().into());
        let mut header = Map::new();
        header.insert("typ".into(), "dpop+jwt".into());
        header.insert("alg".into(), self.key.algorithm().as_str().into());
        header.insert("jwk".into(), self.jwk.clone());
        ProofBuilder { key: self, header, claims }
    }
}

/// One proof being made: [`DpopKey::proof`], then what the request needs, then [`sign`](Self::sign).
/// Every field can be overridden or removed, to make proofs that break one rule.
#[derive(Debug, Clone)]
pub struct ProofBuilder<'k> {
    key: &'k DpopKey,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl ProofBuilder<'_> {
    /// Sets `ath` to base64url(SHA-256(`token`)): needed when the request carries a token.
    pub fn access_token(self, token: &str) -> Self {
        let ath = URL_SAFE_NO_PAD.encode(sha256(&[token.as_bytes()]));
        self.claim("ath", ath.into())
    }

    /// Sets `nonce` (a server's `DPoP-Nonce`).
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce.into())
    }

    /// Sets `iat` (seconds since the epoch).
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", iat.into())
    }

    /// Sets `jti`.
    pub fn jti(self, jti: &str) -> Self {
        self.claim("jti", jti.into())
    }

    /// Sets any claim; `null` removes it.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        if value.is_null() {
            self.claims.remove(name);
        } else {
            self.claims.insert(name.into(), value);
        }
        self
    }

    /// Sets a header field over the defaults (`typ: dpop+jwt`, `alg`, `jwk`); `null` removes it.
    pub fn header(mut self, name: &str, value: Value) -> Self {
        if value.is_null() {
            self.header.remove(name);
        } else {
            self.header.insert(name.into(), value);
        }
        self
    }

    /// The signed proof: the `DPoP` header's value.
    pub fn sign(&self) -> String {
        self.key.key.sign_jwt(&Value::Object(self.header.clone()), &Value::Object(self.claims.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_keep_their_thumbprint() {
        for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::ES384] {
            let key = DpopKey::generate(alg).unwrap();
            let again = DpopKey::from_base64url(alg, &key.to_base64url()).unwrap();
            assert_eq!(key.thumbprint(), again.thumbprint());
            assert_eq!(key.thumbprint().len(), 43);
        }
        assert!(DpopKey::generate(Algorithm::HS256).is_err());
    }
}
