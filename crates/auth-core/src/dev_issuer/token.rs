//! [`TokenBuilder`]: one access token, its claims and header chosen by the test, signed with the
//! issuer's current key.

use std::sync::PoisonError;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use serde_json::{Map, Value, json};

use super::{DevIssuer, DpopKey, now_unix, random_bytes, random_id};

/// Builds and signs one access token with a [`DevIssuer`]'s current key.
///
/// ```
/// # use auth_core::{Algorithm, dev_issuer::DevIssuer};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let idp = DevIssuer::start(Algorithm::EdDSA).await?;
/// let token = idp
///     .token()
///     .subject("alice")
///     .scope("pets:read pets:write")
///     .claim("tenant", serde_json::json!("acme"))
///     .expires_in(std::time::Duration::from_secs(60))
///     .sign();
/// # let _ = token; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    issuer: DevIssuer,
    claims: Map<String, Value>,
    removed: Vec<String>,
    header: Map<String, Value>,
    issued_at: i64,
    expires_in: Duration,
}

impl TokenBuilder {
    /// The defaults [`DevIssuer::token`] documents.
    pub(super) fn new(issuer: DevIssuer) -> TokenBuilder {
        let mut claims = Map::new();
        claims.insert("iss".into(), issuer.issuer().into());
        claims.insert("sub".into(), "dev-user".into());
        claims.insert("aud".into(), "petstore".into());
        claims.insert("client_id".into(), "dev-client".into());
        claims.insert("jti".into(), random_id().into());
        TokenBuilder {
            issuer,
            claims,
            removed: Vec::new(),
            header: Map::new(),
            issued_at: now_unix(),
            expires_in: Duration::from_secs(3600),
        }
    }

    /// Sets `aud` (a string; use [`TokenBuilder::claim`] for an array).
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.claim("aud", Value::String(aud.into()))
    }

    /// Sets `sub`.
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", Value::String(sub.into()))
    }

    /// Sets `client_id`.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        self.claim("client_id", Value::String(client_id.into()))
    }

    /// Sets `scope`, space-separated (`"pets:read pets:write"`).
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.claim("scope", Value::String(scope.into()))
    }

    /// Sets `acr`, the authentication context class of the user's sign-in (`"mfa"`, RFC 9470).
    pub fn acr(self, acr: impl Into<String>) -> Self {
        self.claim("acr", Value::String(acr.into()))
    }

    /// Sets `auth_time`, when the user signed in (seconds since the epoch, RFC 9470).
    pub fn auth_time(self, auth_time: i64) -> Self {
        self.claim("auth_time", Value::from(auth_time))
    }

    /// Sets any claim (overrides the defaults, `iat` and `exp` included).
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        let name = name.into();
        self.removed.retain(|r| *r != name);
        self.claims.insert(name, value);
        self
    }

    /// Leaves a claim out (a default such as `exp` or `aud` too).
    pub fn remove_claim(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.claims.remove(&name);
        self.removed.push(name);
        self
    }

    /// Sets `exp` to `iat` + `lifetime`. Default one hour.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// Sets `iat` (seconds since the epoch); `exp` follows unless set explicitly.
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.issued_at = iat;
        self
    }

    /// Sets a header field over the defaults (`alg`, `typ: at+jwt`, `kid`); `null` removes it.
    pub fn header(mut self, name: impl Into<String>, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    /// Binds the token to a DPoP key: `cnf: {"jkt": <its thumbprint>}` (RFC 9449 §6).
    pub fn bound_to(self, key: &DpopKey) -> Self {
        self.claim("cnf", json!({ "jkt": key.thumbprint() }))
    }

    /// Issues an opaque token instead (random text, not a JWT) with these claims: the issuer's
    /// introspection endpoint answers for it until its `exp` or [`DevIssuer::revoke`].
    pub fn opaque(&self) -> String {
        let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        let claims = self.claims();
        self.issuer
            .0
            .state
            .opaque
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), claims);
        token
    }

    fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        let lifetime = i64::try_from(self.expires_in.as_secs()).unwrap_or(i64::MAX);
        claims.insert("iat".into(), self.issued_at.into());
        claims.insert("exp".into(), self.issued_at.saturating_add(lifetime).into());
        claims.extend(self.claims.clone());
        for name in &self.removed {
            claims.remove(name);
        }
        claims
    }

    /// Signs with the issuer's current key.
    pub fn sign(&self) -> String {
        let key = self.issuer.signing_key();
        let mut header = Map::new();
        header.insert("alg".into(), key.algorithm().as_str().into());
        header.insert("typ".into(), "at+jwt".into());
        header.insert("kid".into(), key.kid().into());
        for (name, value) in &self.header {
            if value.is_null() {
                header.remove(name);
            } else {
                header.insert(name.clone(), value.clone());
            }
        }
        key.sign_jwt(&Value::Object(header), &Value::Object(self.claims()))
    }
}
