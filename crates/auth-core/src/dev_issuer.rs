//! A loopback OpenID issuer for examples and tests: it makes keys, serves discovery and a JWKS on
//! `127.0.0.1`, and mints access tokens. Not for production: it has no login, no token endpoint,
//! and its keys live in memory.
//!
//! Signing uses aws-lc-rs directly, so keys are quick to make even in debug builds.
//!
//! ```
//! use auth_core::dev_issuer::DevIssuer;
//! use auth_core::{Algorithm, IssuerConfig, Validator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let idp = DevIssuer::start(Algorithm::ES256).await?;
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::discover(idp.issuer()))
//!     .audience("petstore")
//!     .build()?;
//!
//! let token = idp.token().scope("pets:read").sign();
//! let claims = validator.validate(&token).await?;
//! assert_eq!(claims.registered().sub(), Some("dev-user"));
//! # Ok(()) }
//! ```
//!
//! HMAC (`HS*`) dev issuers never publish their secret: their JWKS is empty. Use them with a
//! validator configured with [`crate::StaticKey::hmac`] and [`SigningKey::hmac_secret`].

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::algorithm::Algorithm;

/// Why a dev key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DevIssuerError {
    /// The crypto library failed to generate a key for this algorithm.
    #[error("cannot generate a {0} key")]
    KeyGeneration(Algorithm),
}

enum Private {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
    Hmac(Vec<u8>),
}

/// A private signing key with its `kid` and algorithm.
///
/// ```
/// use auth_core::dev_issuer::SigningKey;
/// use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = SigningKey::generate(Algorithm::EdDSA)?.with_kid("k1");
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("https://issuer", [StaticKey::jwk(key.public_jwk().to_string())]))
///     .audience("api")
///     .build()?;
/// let token = key.mint(&serde_json::json!({"iss": "https://issuer", "aud": "api", "exp": 4_000_000_000u64}));
/// assert!(validator.validate(&token).await.is_ok());
/// # Ok(()) }
/// ```
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    private: Private,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print private material.
        f.debug_struct("SigningKey").field("alg", &self.alg).field("kid", &self.kid).finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Fails only if the OS has no randomness at all; a zeroed buffer is then merely predictable.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        tracing::error!("the system random source failed");
    }
    buf
}

fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<12>())
}

impl SigningKey {
    /// A fresh key for `alg` with a random `kid`: RSA 2048 for `RS*`/`PS*`, P-256 for `ES256`,
    /// P-384 for `ES384`, Ed25519 for `EdDSA`, 64 random bytes for `HS*`.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, DevIssuerError> {
        let fail = |_| DevIssuerError::KeyGeneration(alg);
        let private = match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                Private::Hmac(random_bytes::<64>().to_vec())
            }
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                Private::Rsa(sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(fail)?)
            }
            Algorithm::ES256 => {
                Private::Ec(sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).map_err(fail)?)
            }
            Algorithm::ES384 => {
                Private::Ec(sig::EcdsaKeyPair::generate(&sig::ECDSA_P384_SHA384_FIXED_SIGNING).map_err(fail)?)
            }
            Algorithm::EdDSA => Private::Ed(sig::Ed25519KeyPair::generate().map_err(fail)?),
        };
        Ok(SigningKey { alg, kid: random_id(), private })
    }

    /// Replaces the `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id put in token headers and in the JWK.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (`use: sig`, with `kid` and `alg`). For HMAC keys: the `oct` JWK, which
    /// contains the secret.
    pub fn public_jwk(&self) -> Value {
        let (kid, alg) = (self.kid.as_str(), self.alg.as_str());
        match &self.private {
            Private::Rsa(k) => {
                let (n, e) =
                    crate::keys::der::parse_rsa_public_key(k.public_key().as_ref()).unwrap_or_default();
                json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
                       "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e)})
            }
            Private::Ec(k) => {
                let point = k.public_key().as_ref();
                let len = (point.len().saturating_sub(1)) / 2;
                let (x, y) = point.get(1..).unwrap_or_default().split_at(len);
                let crv = if self.alg == Algorithm::ES384 { "P-384" } else { "P-256" };
                json!({"kty": "EC", "kid": kid, "use": "sig", "alg": alg, "crv": crv,
                       "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
            }
            Private::Ed(k) => json!({"kty": "OKP", "kid": kid, "use": "sig", "alg": alg, "crv": "Ed25519",
                                     "x": URL_SAFE_NO_PAD.encode(k.public_key().as_ref())}),
            Private::Hmac(secret) => {
                json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret), "kid": kid, "alg": alg})
            }
        }
    }

    /// The private key as PKCS#8 v1 DER (to hand a key to another process); `None` for HMAC keys.
    pub fn to_pkcs8(&self) -> Option<Vec<u8>> {
        let der = match &self.private {
            Private::Rsa(k) => {
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(k).map(|d| d.as_ref().to_vec())
            }
            Private::Ec(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Private::Ed(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
            Private::Hmac(_) => return None,
        };
        der.ok()
    }

    /// A key read from PKCS#8 DER ([`SigningKey::to_pkcs8`]) for `alg`, with a random `kid`.
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<SigningKey, DevIssuerError> {
        let fail = |_| DevIssuerError::KeyGeneration(alg);
        let private = match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                return Err(DevIssuerError::KeyGeneration(alg));
            }
            Algorithm::ES256 => Private::Ec(
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(fail)?,
            ),
            Algorithm::ES384 => Private::Ec(
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, der).map_err(fail)?,
            ),
            Algorithm::EdDSA => Private::Ed(sig::Ed25519KeyPair::from_pkcs8(der).map_err(fail)?),
            _ => Private::Rsa(sig::RsaKeyPair::from_pkcs8(der).map_err(fail)?),
        };
        Ok(SigningKey { alg, kid: random_id(), private })
    }

    /// The public key as SubjectPublicKeyInfo DER; `None` for HMAC keys.
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        let der = match &self.private {
            Private::Rsa(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Private::Ec(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Private::Ed(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Private::Hmac(_) => return None,
        };
        der.ok()
    }

    /// The public key as a `PUBLIC KEY` PEM; `None` for HMAC keys.
    pub fn public_key_pem(&self) -> Option<String> {
        let b64 = STANDARD.encode(self.public_key_der()?);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }

    /// The HMAC secret; `None` for asymmetric keys.
    pub fn hmac_secret(&self) -> Option<&[u8]> {
        match &self.private {
            Private::Hmac(s) => Some(s),
            _ => None,
        }
    }

    /// The raw JWS signature of `signing_input` (ECDSA in the fixed `r || s` form). Empty if the
    /// crypto library fails (logged), so the token simply does not verify.
    pub fn sign_bytes(&self, signing_input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        let result = match &self.private {
            Private::Rsa(k) => {
                let padding: &'static dyn sig::RsaEncoding = match self.alg {
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                    _ => &sig::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(padding, &rng, signing_input, &mut out).map(|()| out)
            }
            Private::Ec(k) => k.sign(&rng, signing_input).map(|s| s.as_ref().to_vec()),
            Private::Ed(k) => Ok(k.sign(signing_input).as_ref().to_vec()),
            Private::Hmac(secret) => {
                let alg = match self.alg {
                    Algorithm::HS384 => aws_lc_rs::hmac::HMAC_SHA384,
                    Algorithm::HS512 => aws_lc_rs::hmac::HMAC_SHA512,
                    _ => aws_lc_rs::hmac::HMAC_SHA256,
                };
                Ok(aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(alg, secret), signing_input)
                    .as_ref()
                    .to_vec())
            }
        };
        result.unwrap_or_else(|_| {
            tracing::error!(alg = %self.alg, "dev issuer failed to sign");
            Vec::new()
        })
    }

    /// Whether `signature` over `message` is this key's (for the token endpoint's exchanges).
    pub(crate) fn verify_own(&self, message: &[u8], signature: &[u8]) -> bool {
        let public = |alg: &'static dyn sig::VerificationAlgorithm, key: &[u8]| {
            sig::UnparsedPublicKey::new(alg, key).verify(message, signature).is_ok()
        };
        match &self.private {
            Private::Rsa(k) => {
                let alg: &'static dyn sig::VerificationAlgorithm = match self.alg {
                    Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
                    _ => &sig::RSA_PKCS1_2048_8192_SHA256,
                };
                public(alg, k.public_key().as_ref())
            }
            Private::Ec(k) => {
                let alg: &'static dyn sig::VerificationAlgorithm = if self.alg == Algorithm::ES384 {
                    &sig::ECDSA_P384_SHA384_FIXED
                } else {
                    &sig::ECDSA_P256_SHA256_FIXED
                };
                public(alg, k.public_key().as_ref())
            }
            Private::Ed(k) => public(&sig::ED25519, k.public_key().as_ref()),
            Private::Hmac(_) => crate::crypto::constant_time_eq(&self.sign_bytes(message), signature),
        }
    }

    /// A compact JWS with exactly this header (the caller controls `alg`, `typ`, `kid`, `crit`…)
    /// and these claims, signed with this key.
    pub fn sign_jwt(&self, header: &Value, claims: &Value) -> String {
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.sign_bytes(token.as_bytes());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        token
    }

    /// Signs `claims` as an RFC 9068 access token: header `{"alg", "typ": "at+jwt", "kid"}`.
    pub fn mint(&self, claims: &Value) -> String {
        self.sign_jwt(&json!({"alg": self.alg.as_str(), "typ": "at+jwt", "kid": self.kid}), claims)
    }
}

#[derive(Debug)]
struct Keys {
    current: Arc<SigningKey>,
    /// Every key whose public part is served, the current one included.
    published: Vec<Arc<SigningKey>>,
}

#[derive(Debug)]
struct State {
    issuer: String,
    addr: SocketAddr,
    keys: RwLock<Keys>,
    /// Opaque tokens issued and not revoked, with their claims.
    opaque: RwLock<std::collections::HashMap<String, Map<String, Value>>>,
    /// The resource's credentials at the introspection endpoint.
    introspection_client: (String, String),
    /// The service client's credentials at the token endpoint.
    service_client: (String, String),
}

impl State {
    fn read<R>(&self, f: impl FnOnce(&Keys) -> R) -> R {
        f(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn write<R>(&self, f: impl FnOnce(&mut Keys) -> R) -> R {
        f(&mut self.keys.write().unwrap_or_else(PoisonError::into_inner))
    }
}

#[derive(Debug)]
struct Handle {
    state: Arc<State>,
    /// Dropping this (with the last [`DevIssuer`]) or sending on it stops the server.
    stop: watch::Sender<bool>,
}

/// A running loopback issuer. Clones share one server; it stops when the last clone is dropped
/// or on [`DevIssuer::shutdown`].
#[derive(Debug, Clone)]
pub struct DevIssuer(Arc<Handle>);

impl DevIssuer {
    /// Starts an issuer on `127.0.0.1` (a free port) signing with a fresh `alg` key.
    pub async fn start(alg: Algorithm) -> std::io::Result<DevIssuer> {
        DevIssuer::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), alg).await
    }

    /// Starts an issuer on `addr` signing with a fresh `alg` key. Must run inside a Tokio runtime.
    pub async fn start_on(addr: SocketAddr, alg: Algorithm) -> std::io::Result<DevIssuer> {
        let key = Arc::new(SigningKey::generate(alg).map_err(std::io::Error::other)?);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            issuer: format!("http://{addr}"),
            addr,
            keys: RwLock::new(Keys { current: Arc::clone(&key), published: vec![key] }),
            opaque: RwLock::new(std::collections::HashMap::new()),
            introspection_client: ("dev-resource".to_owned(), random_id()),
            service_client: ("dev-service".to_owned(), random_id()),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, Arc::clone(&state), stopped));
        Ok(DevIssuer(Arc::new(Handle { state, stop })))
    }

    /// The issuer identifier: `http://127.0.0.1:PORT`, no trailing slash.
    pub fn issuer(&self) -> &str {
        &self.0.state.issuer
    }

    /// The JWKS URL: the issuer followed by `/jwks`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.0.state.issuer)
    }

    /// The introspection endpoint (RFC 7662) answering for [`TokenBuilder::opaque`] tokens: the
    /// issuer followed by `/introspect`, also named in the discovery document.
    pub fn introspection_endpoint(&self) -> String {
        format!("{}/introspect", self.0.state.issuer)
    }

    /// The client id and secret the introspection endpoint accepts (`client_secret_basic` or
    /// `client_secret_post`); the secret is random per issuer.
    pub fn introspection_client(&self) -> (&str, &str) {
        let (id, secret) = &self.0.state.introspection_client;
        (id, secret)
    }

    /// The token endpoint: `client_credentials` and RFC 8693 token exchange for
    /// [`DevIssuer::service_client`], `client_secret_basic` or `client_secret_post`. Tokens are
    /// JWTs signed with the current key, for `resource` (or `audience`, else `petstore`) and the
    /// requested `scope`, valid one hour; an exchanged token keeps the subject token's `sub` and
    /// names the client in `act`. The subject token must be one this issuer signed and unexpired.
    /// An exchange with `acr_values` stands in for a step-up sign-in (RFC 9470): the token gets
    /// `acr` (the first value asked for) and `auth_time` now.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.0.state.issuer)
    }

    /// The client id and secret the token endpoint accepts; the secret is random per issuer.
    pub fn service_client(&self) -> (&str, &str) {
        let (id, secret) = &self.0.state.service_client;
        (id, secret)
    }

    /// Revokes an opaque token: introspection answers `active: false` from now on.
    pub fn revoke(&self, token: &str) {
        self.0.state.opaque.write().unwrap_or_else(PoisonError::into_inner).remove(token);
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.0.state.addr
    }

    /// The key tokens are signed with now.
    pub fn signing_key(&self) -> Arc<SigningKey> {
        self.0.state.read(|k| Arc::clone(&k.current))
    }

    /// Makes a new key (same algorithm, new `kid`) the signing key. The old public keys stay in
    /// the JWKS, so tokens already issued keep verifying, until [`DevIssuer::retire_old_keys`].
    /// If key generation fails (logged), the current key stays.
    pub fn rotate(&self) -> Arc<SigningKey> {
        let alg = self.0.state.read(|k| k.current.algorithm());
        let key = match SigningKey::generate(alg) {
            Ok(k) => Arc::new(k),
            Err(e) => {
                tracing::error!(error = %e, "dev issuer could not rotate its key");
                return self.signing_key();
            }
        };
        self.0.state.write(|k| {
            k.current = Arc::clone(&key);
            k.published.push(Arc::clone(&key));
        });
        key
    }

    /// Stops publishing every key but the current one.
    pub fn retire_old_keys(&self) {
        self.0.state.write(|k| k.published = vec![Arc::clone(&k.current)]);
    }

    /// A token builder with defaults: `iss` = this issuer, `sub` = `dev-user`, `aud` = `petstore`,
    /// `client_id` = `dev-client`, `iat` = now, `exp` = now + 1 h, a random `jti`, no `scope`.
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(self.clone())
    }

    /// Stops the server now (it also stops when the last handle is dropped).
    pub fn shutdown(&self) {
        let _ = self.0.stop.send(true);
    }
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

type Response = hyper::Response<Full<Bytes>>;

async fn serve(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::debug!(error = %e, "dev issuer accept failed");
                    continue;
                }
            },
            // A message or a dropped sender: either way, stop.
            _ = stopped.changed() => return,
        };
        let state = Arc::clone(&state);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move {
                    if req.method() == hyper::Method::POST {
                        match req.uri().path() {
                            "/introspect" => {
                                return Ok::<_, Infallible>(endpoints::introspect(&state, req).await);
                            }
                            "/token" => return Ok::<_, Infallible>(endpoints::token(&state, req).await),
                            _ => {}
                        }
                    }
                    Ok::<_, Infallible>(route(&state, &req))
                }
            });
            let conn =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = conn => if let Err(e) = result {
                    tracing::debug!(error = %e, "dev issuer connection ended with an error");
                },
                _ = stopped.changed() => {}
            }
        });
    }
}

fn route(state: &State, req: &hyper::Request<Incoming>) -> Response {
    if req.method() != hyper::Method::GET {
        return respond(405, None, Value::Null);
    }
    match req.uri().path() {
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            let alg = state.read(|k| k.current.algorithm());
            let body = json!({
                "issuer": state.issuer,
                "jwks_uri": format!("{}/jwks", state.issuer),
                "token_endpoint": format!("{}/token", state.issuer),
                "introspection_endpoint": format!("{}/introspect", state.issuer),
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [alg.as_str()],
            });
            respond(200, None, body)
        }
        "/jwks" => {
            let keys: Vec<Value> = state.read(|k| {
                k.published.iter().filter(|k| !k.algorithm().is_symmetric()).map(|k| k.public_jwk()).collect()
            });
            respond(200, Some("max-age=300"), json!({ "keys": keys }))
        }
        _ => respond(404, None, Value::Null),
    }
}

fn respond(status: u16, cache_control: Option<&str>, body: Value) -> Response {
    let mut builder = hyper::Response::builder().status(status);
    if let Some(cc) = cache_control {
        builder = builder.header(http::header::CACHE_CONTROL, cc);
    }
    let body = if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) };
    if !body.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
    }
    builder.body(Full::new(body)).unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

mod dpop;
mod endpoints;
mod token;
pub use dpop::{DpopKey, ProofBuilder};
pub use token::TokenBuilder;

#[cfg(test)]
mod tests;
