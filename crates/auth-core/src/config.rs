//! A `serde`-deserializable configuration, for files and environments; turned into a
//! [`ValidatorBuilder`] so both paths share every check.

use std::time::Duration;

use serde::Deserialize;

use crate::algorithm::Algorithm;
use crate::builder::ValidatorBuilder;
use crate::checks::dpop::{DpopMode, DpopNonces, DpopOptions};
use crate::claims::Profile;
use crate::error::ConfigError;
use crate::issuer::{IssuerConfig, KeySource};
use crate::jwks::JwksOptions;
use crate::keys::StaticKey;
use crate::token_cache::TokenCacheOptions;
use crate::validator::Validator;
use crate::verify::introspection::{ClientAuth, IntrospectionOptions};

/// The validator's configuration as data.
///
/// ```
/// use auth_core::ValidatorConfig;
///
/// let config: ValidatorConfig = serde_json::from_str(r#"{
///     "issuers": [{ "issuer": "https://idp.example.com" }],
///     "audiences": ["petstore"],
///     "algorithms": ["RS256", "ES256"],
///     "profile": "rfc9068",
///     "leeway_secs": 30,
///     "jwks": { "unknown_kid_cooldown": 60 }
/// }"#).unwrap();
/// let validator = config.build().unwrap();
/// # let _ = validator;
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ValidatorConfig {
    /// Trusted issuers.
    pub issuers: Vec<IssuerSettings>,
    /// Accepted audiences (any one must be in `aud`).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Turn the audience check off (explicitly).
    #[serde(default)]
    pub skip_audience_check: bool,
    /// Algorithm allow-list; default every asymmetric algorithm.
    pub algorithms: Option<Vec<Algorithm>>,
    /// Token profile: `generic` (default) or `rfc9068`.
    #[serde(default)]
    pub profile: Profile,
    /// Leeway for time claims, in seconds (default 60).
    pub leeway_secs: Option<u64>,
    /// Maximum token age from `iat`, in seconds.
    pub max_token_age_secs: Option<u64>,
    /// Claims that must be present, on top of the profile's.
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Allowed `client_id`/`azp` values.
    pub allowed_client_ids: Option<Vec<String>>,
    /// Claims that hold scopes (default `scope`, `scp`).
    pub scope_claims: Option<Vec<String>>,
    /// JWKS cache and fetch settings.
    #[serde(default)]
    pub jwks: JwksOptions,
    /// Realm for challenges.
    pub realm: Option<String>,
    /// Largest accepted token in bytes.
    pub max_token_bytes: Option<usize>,
    /// Verified-token cache (default on); `{"max_entries": 0}` turns it off.
    pub token_cache: Option<TokenCacheOptions>,
    /// DPoP (default: allowed, every other setting at its default).
    pub dpop: Option<DpopSettings>,
    /// Introspection of opaque tokens (default off).
    pub introspection: Option<IntrospectionSettings>,
}

/// Introspection settings in [`ValidatorConfig`] (see [`IntrospectionOptions`]).
///
/// ```
/// let config: auth_core::ValidatorConfig = serde_json::from_str(r#"{
///     "issuers": [{ "issuer": "https://idp.example.com" }],
///     "audiences": ["petstore"],
///     "introspection": { "client_id": "petstore", "client_secret": "s3cret", "cache_ttl_secs": 60 }
/// }"#).unwrap();
/// assert!(config.build().is_ok());
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IntrospectionSettings {
    /// This resource's client id at the provider.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The endpoint; default the discovered issuer's `introspection_endpoint`.
    pub endpoint: Option<String>,
    /// Send the credentials in the form (`client_secret_post`) instead of HTTP Basic.
    #[serde(default)]
    pub client_secret_post: bool,
    /// Seconds an active answer is reused (default 300; 0: never).
    pub cache_ttl_secs: Option<u64>,
    /// Seconds an inactive answer is remembered (default 10; 0: never).
    pub inactive_ttl_secs: Option<u64>,
    /// Introspect JWTs too, after they verify locally.
    #[serde(default)]
    pub introspect_jwts: bool,
}

impl std::fmt::Debug for IntrospectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionSettings")
            .field("client_id", &self.client_id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl IntrospectionSettings {
    fn options(self) -> IntrospectionOptions {
        let mut o = IntrospectionOptions::new(self.client_id, self.client_secret);
        if let Some(url) = self.endpoint {
            o = o.endpoint(url);
        }
        if self.client_secret_post {
            o = o.client_auth(ClientAuth::SecretPost);
        }
        if let Some(secs) = self.cache_ttl_secs {
            o = o.cache_ttl(Duration::from_secs(secs));
        }
        if let Some(secs) = self.inactive_ttl_secs {
            o = o.inactive_ttl(Duration::from_secs(secs));
        }
        if self.introspect_jwts {
            o = o.introspect_jwts();
        }
        o
    }
}

/// DPoP settings in [`ValidatorConfig`] (see [`crate::checks::dpop`]).
///
/// ```
/// let config: auth_core::ValidatorConfig = serde_json::from_str(r#"{
///     "issuers": [{ "issuer": "https://idp.example.com" }],
///     "audiences": ["petstore"],
///     "dpop": { "mode": "required", "max_age_secs": 30, "nonce_key": "c2VjcmV0LXNoYXJlZC1ieS1ldmVyeS1pbnN0YW5jZS0wMTIzNDU2Nzg5" }
/// }"#).unwrap();
/// assert!(config.build().is_ok());
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DpopSettings {
    /// `off`, `allowed` (default) or `required`.
    #[serde(default, deserialize_with = "mode")]
    pub mode: DpopMode,
    /// Proof algorithms (default ES256, ES384, RS256, PS256, EdDSA).
    pub algorithms: Option<Vec<Algorithm>>,
    /// How old a proof may be, in seconds (default 60).
    pub max_age_secs: Option<u64>,
    /// How far ahead a proof's `iat` may be, in seconds (default 60).
    pub max_future_secs: Option<u64>,
    /// Bound of the in-memory replay store (default 1,000,000).
    pub replay_capacity: Option<usize>,
    /// Require server nonces (with a random key unless `nonce_key` is set).
    #[serde(default)]
    pub nonces: bool,
    /// The shared nonce key, base64url, at least 32 bytes (turns nonces on).
    pub nonce_key: Option<String>,
    /// The nonce step in seconds (default 60).
    pub nonce_step_secs: Option<u64>,
}

fn mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DpopMode, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl DpopSettings {
    fn options(self) -> Result<DpopOptions, ConfigError> {
        let mut o = DpopOptions::new(self.mode);
        if let Some(algs) = self.algorithms {
            o = o.algorithms(algs);
        }
        if let Some(secs) = self.max_age_secs {
            o = o.max_age(Duration::from_secs(secs));
        }
        if let Some(secs) = self.max_future_secs {
            o = o.max_future(Duration::from_secs(secs));
        }
        if let Some(n) = self.replay_capacity {
            o = o.replay_capacity(n);
        }
        let nonces = match (self.nonce_key, self.nonces) {
            (Some(key), _) => Some(DpopNonces::from_base64url(&key)?),
            (None, true) => Some(DpopNonces::random()?),
            (None, false) => None,
        };
        if let Some(mut nonces) = nonces {
            if let Some(step) = self.nonce_step_secs {
                nonces = nonces.step(Duration::from_secs(step));
            }
            o = o.nonces(nonces);
        }
        Ok(o)
    }
}

/// One issuer in [`ValidatorConfig`]: `issuer` alone means discovery; with `jwks_uri`, that JWKS;
/// with `jwks`, those keys. `jwks_uri` or `jwks` without `issuer` trusts the keys for any `iss`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IssuerSettings {
    /// The issuer identifier (exact `iss`).
    pub issuer: Option<String>,
    /// A JWKS URL.
    pub jwks_uri: Option<String>,
    /// An inline JWKS document.
    pub jwks: Option<serde_json::Value>,
}

impl ValidatorConfig {
    /// The builder this configuration describes (add a clock, client or custom check to it).
    pub fn into_builder(self) -> Result<ValidatorBuilder, ConfigError> {
        let mut b = ValidatorBuilder::default();
        for (i, s) in self.issuers.into_iter().enumerate() {
            let keys = match (s.jwks_uri, s.jwks) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::new(
                        format!("issuers[{i}]"),
                        "give `jwks_uri` or `jwks`, not both",
                    ));
                }
                (Some(url), None) => KeySource::JwksUrl(url),
                (None, Some(doc)) => KeySource::Static(vec![StaticKey::jwks(doc.to_string())]),
                (None, None) => KeySource::Discovery,
            };
            b = b.issuer(match s.issuer {
                Some(issuer) => IssuerConfig { issuer: Some(issuer), keys },
                None => IssuerConfig::any_issuer(keys),
            });
        }
        for a in self.audiences {
            b = b.audience(a);
        }
        if self.skip_audience_check {
            b = b.skip_audience_check();
        }
        if let Some(algs) = self.algorithms {
            b = b.algorithms(algs);
        }
        b = b.profile(self.profile).jwks_options(self.jwks);
        if let Some(l) = self.leeway_secs {
            b = b.leeway(Duration::from_secs(l));
        }
        if let Some(a) = self.max_token_age_secs {
            b = b.max_token_age(Duration::from_secs(a));
        }
        for c in self.required_claims {
            b = b.require_claim(c);
        }
        if let Some(c) = self.allowed_client_ids {
            b = b.allowed_clients(c);
        }
        if let Some(c) = self.scope_claims {
            b = b.scope_claims(c);
        }
        if let Some(r) = self.realm {
            b = b.realm(r);
        }
        if let Some(m) = self.max_token_bytes {
            b = b.max_token_bytes(m);
        }
        if let Some(c) = self.token_cache {
            b = b.token_cache(c);
        }
        if let Some(d) = self.dpop {
            b = b.dpop(d.options()?);
        }
        if let Some(i) = self.introspection {
            b = b.introspection(i.options());
        }
        Ok(b)
    }

    /// Builds the validator.
    pub fn build(self) -> Result<Validator, ConfigError> {
        self.into_builder()?.build()
    }
}
