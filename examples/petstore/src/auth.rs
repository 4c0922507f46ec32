//! The validator built from [`Settings`], or from the built-in development issuer when no
//! provider is configured.

use std::sync::Arc;

use auth_core::checks::dpop::DpopNonces;
use auth_core::checks::revocation::{RevocationOptions, Revocations};
use auth_core::dev_issuer::{DevIssuer, DpopKey};
use auth_core::metadata::ResourceMetadata;
use auth_core::store::redis::{RedisOptions, RedisStore};
use auth_core::{
    Algorithm, Authenticator, ConfigError, DEFAULT_TOKEN_CACHE_BYTES, DEFAULT_TOKEN_CACHE_ENTRIES,
    DpopOptions, IntrospectionOptions, IssuerConfig, KeySource, TokenCacheOptions, Validator,
};

use crate::metrics::Metrics;
use crate::settings::{
    AUTH_ALGORITHMS, AUTH_AUDIENCE, AUTH_DPOP_NONCE_KEY, AUTH_INTROSPECTION_CLIENT_ID,
    AUTH_INTROSPECTION_URL, AUTH_ISSUER, AUTH_JWKS_URL, AUTH_PUBLIC_URL, AUTH_REDIS_URL, AUTH_RESOURCE,
    AUTH_REVOCATION_MAX_STALE, AUTH_REVOCATION_RETENTION, AUTH_TOKEN_CACHE, Introspection, Settings,
};

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "petstore";

/// Scopes of the ready-made user token.
pub const USER_SCOPES: &str = "pets:read pets:write";
/// Scopes of the ready-made admin token.
pub const ADMIN_SCOPES: &str = "pets:read pets:write admin";

/// Why the Petstore cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A setting is wrong; the message names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The built-in development issuer could not start.
    #[error("cannot start the development issuer: {0}")]
    DevIssuer(#[source] std::io::Error),
    /// `PETSTORE_METRICS=1`, but the Prometheus recorder cannot be installed.
    #[error("cannot serve metrics (PETSTORE_METRICS): {0}")]
    Metrics(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr} (PETSTORE_ADDR): {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
}

/// The built-in development issuer and the tokens it minted.
#[derive(Debug, Clone)]
pub struct DevAccess {
    /// The running issuer (it stops when the last clone is dropped: keep this alive).
    pub issuer: DevIssuer,
    /// A token with scopes `pets:read pets:write`.
    pub token: String,
    /// A token with scopes `pets:read pets:write admin`.
    pub admin_token: String,
    /// A client DPoP key (ES256)...
    pub dpop_key: Arc<DpopKey>,
    /// ...and a token with scopes `pets:read pets:write` bound to it (`cnf.jkt`).
    pub dpop_token: String,
    /// An opaque token with scopes `pets:read pets:write`, checked by introspection at the
    /// development issuer.
    pub opaque_token: String,
    /// A token with scopes `pets:read pets:write` from a stronger sign-in: `acr` the first value
    /// `AUTH_STEP_UP_ACR` accepts, `auth_time` the startup time. Once that is older than
    /// `AUTH_STEP_UP_MAX_AGE`, mint a fresh one with [`DevAccess::step_up_token`].
    pub step_up_token: String,
    /// The audience and `acr` the step-up tokens are minted with.
    pub(crate) step_up_claims: (String, String),
}

impl DevAccess {
    /// A fresh step-up token: scopes `pets:read pets:write`, the accepted `acr`, `auth_time` now.
    pub fn step_up_token(&self) -> String {
        let (audience, acr) = &self.step_up_claims;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.issuer
            .token()
            .audience(audience.clone())
            .scope(USER_SCOPES)
            .acr(acr.clone())
            .auth_time(now)
            .sign()
    }
}

/// The validator, and the development issuer when one is used.
#[derive(Debug, Clone)]
pub struct Auth {
    /// Validates every request's token.
    pub validator: Validator,
    /// The validator with the request rules (`AUTH_PUBLIC_URL`): what the layers are built from.
    pub authenticator: Authenticator,
    /// Present when no provider is configured.
    pub dev: Option<DevAccess>,
    /// What `POST /store/orders/{id}/payment` requires of the user's authentication
    /// (`AUTH_STEP_UP_ACR`, `AUTH_STEP_UP_MAX_AGE`).
    pub step_up: auth_core::StepUp,
    /// The Prometheus recorder `GET /metrics` renders, with `PETSTORE_METRICS=1`.
    pub metrics: Option<Metrics>,
}

impl Auth {
    /// Builds the validator from `settings`. With neither `AUTH_ISSUER` nor `AUTH_JWKS_URL`,
    /// starts a [`DevIssuer`] on `127.0.0.1` (a free port), trusts it (its JWTs, and its opaque
    /// tokens by introspection), and mints ready tokens.
    ///
    /// Revocations are always checked: in memory, or shared on `AUTH_REDIS_URL` (with the DPoP
    /// proofs seen); reach the list with `validator.revocations()`. A Redis that is down does
    /// not stop startup: the list starts stale and catches up once Redis answers.
    ///
    /// No key is fetched here: call [`spawn_warm_up`] once the server listens.
    pub async fn from_settings(settings: &Settings) -> Result<Auth, StartupError> {
        // Before the validator is built: its series register with the recorder in force then.
        let metrics = if settings.metrics { Some(Metrics::install()?) } else { None };
        if !settings.uses_dev_issuer() {
            let validator = build_validator(settings)?;
            let authenticator = authenticator(settings, &validator)?;
            let step_up = settings.step_up.clone();
            return Ok(Auth { validator, authenticator, dev: None, step_up, metrics });
        }
        let alg = dev_algorithm(settings)?;
        let issuer = DevIssuer::start(alg).await.map_err(StartupError::DevIssuer)?;
        let (client_id, client_secret) = issuer.introspection_client();
        let introspection = Introspection {
            url: Some(issuer.introspection_endpoint()),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        };
        let validator = validator_for(
            settings,
            IssuerConfig::jwks_url(issuer.issuer(), issuer.jwks_uri()),
            Some(&introspection),
        )?;
        let mint = |scope: &str| issuer.token().audience(settings.audience.clone()).scope(scope).sign();
        let (token, admin_token) = (mint(USER_SCOPES), mint(ADMIN_SCOPES));
        let dpop_key = Arc::new(
            DpopKey::generate(Algorithm::ES256)
                .map_err(|e| StartupError::DevIssuer(std::io::Error::other(e)))?,
        );
        let dpop_token =
            issuer.token().audience(settings.audience.clone()).scope(USER_SCOPES).bound_to(&dpop_key).sign();
        let opaque_token = issuer.token().audience(settings.audience.clone()).scope(USER_SCOPES).opaque();
        let authenticator = authenticator(settings, &validator)?;
        let acr = settings.step_up.acr_accepted().and_then(|a| a.first()).cloned().unwrap_or_default();
        let mut dev = DevAccess {
            issuer,
            token,
            admin_token,
            dpop_key,
            dpop_token,
            opaque_token,
            step_up_token: String::new(),
            step_up_claims: (settings.audience.clone(), acr),
        };
        dev.step_up_token = dev.step_up_token();
        Ok(Auth { validator, authenticator, dev: Some(dev), step_up: settings.step_up.clone(), metrics })
    }
}

/// Builds the validator for the provider named by `AUTH_ISSUER` / `AUTH_JWKS_URL`:
/// issuer alone → discovery; both → that JWKS, `iss` checked; JWKS alone → any `iss`.
/// Errors name the variable at fault. Nothing is fetched. With `AUTH_REDIS_URL`, call it inside
/// a tokio runtime (the shared revocation list runs a task of its own).
pub fn build_validator(settings: &Settings) -> Result<Validator, ConfigError> {
    let issuer = configured_issuer(settings).ok_or_else(|| {
        ConfigError::new(AUTH_ISSUER, "set AUTH_ISSUER or AUTH_JWKS_URL (or neither, for the dev issuer)")
    })?;
    validator_for(settings, issuer, settings.introspection.as_ref())
}

/// The validator and the request rules: `AUTH_PUBLIC_URL` as the target DPoP proofs name.
fn authenticator(settings: &Settings, validator: &Validator) -> Result<Authenticator, ConfigError> {
    let authenticator = Authenticator::new(validator.clone());
    match &settings.public_url {
        Some(url) => authenticator.public_base_url(url).map_err(|e| e.for_setting(AUTH_PUBLIC_URL)),
        None => Ok(authenticator),
    }
}

/// `AUTH_DPOP`, `AUTH_DPOP_NONCE` and `AUTH_DPOP_NONCE_KEY` as DPoP options, with the proofs
/// seen kept on `redis` when there is one. A key without `AUTH_DPOP_NONCE=1` is kept for when
/// nonces are turned on: it turns nothing on by itself.
fn dpop_options(settings: &Settings, redis: Option<&RedisStore>) -> Result<DpopOptions, ConfigError> {
    let mut options = DpopOptions::new(settings.dpop);
    if let Some(store) = redis {
        options = options.replay_store(store.replay_store());
    }
    if settings.dpop_nonce {
        let nonces = match &settings.dpop_nonce_key {
            Some(key) => DpopNonces::from_base64url(key).map_err(|e| e.for_setting(AUTH_DPOP_NONCE_KEY))?,
            None => DpopNonces::random()?,
        };
        options = options.nonces(nonces);
    }
    Ok(options)
}

/// The revocation list: in this process's memory, or shared on `AUTH_REDIS_URL` (then also the
/// store the DPoP replay store uses). Must run inside a tokio runtime when Redis is set.
fn shared_state(settings: &Settings) -> Result<(Revocations, Option<RedisStore>), ConfigError> {
    let options = RevocationOptions::default()
        .retention(settings.revocation_retention)
        .max_stale(settings.revocation_max_stale)
        .stale_policy(settings.revocation_fail);
    match &settings.redis_url {
        None => Ok((Revocations::in_memory(options)?, None)),
        Some(url) => {
            let store = RedisStore::new(url.as_str(), RedisOptions::default())?;
            Ok((Revocations::redis(&store, options)?, Some(store)))
        }
    }
}

fn validator_for(
    settings: &Settings,
    issuer: IssuerConfig,
    introspection: Option<&Introspection>,
) -> Result<Validator, ConfigError> {
    let (revocations, redis) = shared_state(settings).map_err(name_variable)?;
    let mut builder = Validator::builder()
        .issuer(issuer)
        .audience(settings.audience.clone())
        .profile(settings.profile)
        .realm(REALM)
        .dpop(dpop_options(settings, redis.as_ref())?)
        .revocations(revocations)
        // RFC 9728: the document at /.well-known/oauth-protected-resource, named in every
        // challenge; a token issued for this resource (RFC 8707) is accepted beside the audience.
        .resource_metadata(ResourceMetadata::new(settings.resource_url()).resource_name("Petstore"))
        .resource_audience();
    if let Some(algorithms) = &settings.algorithms {
        builder = builder.algorithms(algorithms.iter().copied());
    }
    builder = settings.tuning.apply(builder);
    if let Some(entries) = settings.token_cache {
        // The byte budget grows with the entry count, at the default's bytes per entry.
        let per_entry = DEFAULT_TOKEN_CACHE_BYTES / DEFAULT_TOKEN_CACHE_ENTRIES;
        let options =
            TokenCacheOptions::default().max_entries(entries).max_bytes(entries.saturating_mul(per_entry));
        builder = builder.token_cache(options);
    }
    if let Some(client) = introspection {
        let mut options = IntrospectionOptions::new(client.client_id.clone(), client.client_secret.clone());
        if let Some(url) = &client.url {
            options = options.endpoint(url.clone());
        }
        if let Some(ttl) = settings.introspection_cache_ttl {
            options = options.cache_ttl(ttl);
        }
        builder = builder.introspection(options);
    }
    builder.build().map_err(name_variable)
}

/// The provider named by `AUTH_ISSUER` / `AUTH_JWKS_URL`: issuer alone → discovery; both → that
/// JWKS, `iss` checked; JWKS alone → any `iss`. `None` when neither is set (the dev issuer's case).
pub fn configured_issuer(settings: &Settings) -> Option<IssuerConfig> {
    Some(match (&settings.issuer, &settings.jwks_url) {
        (Some(issuer), None) => IssuerConfig::discover(issuer),
        (Some(issuer), Some(jwks)) => IssuerConfig::jwks_url(issuer, jwks),
        (None, Some(jwks)) => IssuerConfig::any_issuer(KeySource::JwksUrl(jwks.clone())),
        (None, None) => return None,
    })
}

/// Renames the builder's setting names to the environment variables they came from, so a
/// startup error names what the user set.
pub fn name_variable(error: ConfigError) -> ConfigError {
    if let Some(error) = crate::settings::jwks_field_error(&error) {
        return error;
    }
    let variable = match error.setting() {
        "scope_claims" => crate::AUTH_SCOPE_CLAIMS,
        "issuers[0].issuer" => AUTH_ISSUER,
        "issuers[0].jwks_uri" => AUTH_JWKS_URL,
        "algorithms" => AUTH_ALGORITHMS,
        "audience" => AUTH_AUDIENCE,
        "token_cache.max_bytes" => AUTH_TOKEN_CACHE,
        "introspection.endpoint" => AUTH_INTROSPECTION_URL,
        "introspection.client_id" => AUTH_INTROSPECTION_CLIENT_ID,
        "redis.url" => AUTH_REDIS_URL,
        "revocation.max_stale" => AUTH_REVOCATION_MAX_STALE,
        "revocation.retention" => AUTH_REVOCATION_RETENTION,
        "resource_metadata.resource" => AUTH_RESOURCE,
        _ => return error,
    };
    error.for_setting(variable)
}

/// The development issuer's signing algorithm: ES256 when `AUTH_ALGORITHMS` allows it, else the
/// first allowed asymmetric algorithm; an error naming `AUTH_ALGORITHMS` when none is.
pub fn dev_algorithm(settings: &Settings) -> Result<Algorithm, ConfigError> {
    let Some(allowed) = &settings.algorithms else { return Ok(Algorithm::ES256) };
    if allowed.contains(&Algorithm::ES256) {
        return Ok(Algorithm::ES256);
    }
    allowed.iter().copied().find(|a| !a.is_symmetric()).ok_or_else(|| {
        ConfigError::new(AUTH_ALGORITHMS, "the development issuer needs an asymmetric algorithm (e.g. ES256)")
    })
}

/// Fetches the signing keys in the background. Until they load, protected routes answer
/// 503 with `Retry-After` (and `/health` answers 200 all along); a provider that is down
/// never stops the service from starting.
pub fn spawn_warm_up(validator: Validator) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move {
        let ready = validator.warm_up().await;
        if ready {
            tracing::info!("signing keys loaded");
        } else {
            tracing::warn!("signing keys not loaded yet; protected routes answer 503 until they are");
        }
        ready
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned())).unwrap()
    }

    #[tokio::test]
    async fn dev_issuer_tokens_are_accepted() {
        let auth = Auth::from_settings(&settings(&[])).await.unwrap();
        let dev = auth.dev.as_ref().unwrap();
        let claims = auth.validator.validate(&dev.token).await.unwrap();
        assert!(claims.scopes().contains("pets:write"));
        assert!(!claims.scopes().contains("admin"));
        let admin = auth.validator.validate(&dev.admin_token).await.unwrap();
        assert!(admin.scopes().contains("admin"));
    }

    #[tokio::test]
    async fn dev_issuer_follows_audience_and_algorithms() {
        let s = settings(&[(AUTH_AUDIENCE, "api://pets"), (AUTH_ALGORITHMS, "EdDSA")]);
        let auth = Auth::from_settings(&s).await.unwrap();
        let claims = auth.validator.validate(&auth.dev.as_ref().unwrap().token).await.unwrap();
        assert_eq!(claims.algorithm(), Some(Algorithm::EdDSA));
        assert_eq!(claims.registered().aud().collect::<Vec<_>>(), ["api://pets"]);
    }

    #[tokio::test]
    async fn token_cache_follows_the_variable() {
        for (value, hits) in [(None, 1), (Some("0"), 0), (Some("500"), 1)] {
            let vars: Vec<_> = value.map(|v| (AUTH_TOKEN_CACHE, v)).into_iter().collect();
            let auth = Auth::from_settings(&settings(&vars)).await.unwrap();
            let token = &auth.dev.as_ref().unwrap().token;
            auth.validator.validate(token).await.unwrap();
            auth.validator.validate(token).await.unwrap();
            assert_eq!(auth.validator.stats().token_cache_hits, hits, "AUTH_TOKEN_CACHE={value:?}");
        }
    }

    #[tokio::test]
    async fn unreachable_provider_does_not_fail_startup() {
        let s = settings(&[(AUTH_JWKS_URL, "http://127.0.0.1:1/jwks")]);
        let auth = Auth::from_settings(&s).await.unwrap();
        assert!(auth.dev.is_none());
        assert!(!auth.validator.is_ready());
    }

    #[tokio::test]
    async fn revocations_are_always_checked() {
        use auth_core::checks::revocation::{Revocation, RevocationState};

        let auth = Auth::from_settings(&settings(&[])).await.unwrap();
        let revocations = auth.validator.revocations().unwrap();
        assert_eq!(revocations.state(), RevocationState::Local);
        let token = &auth.dev.as_ref().unwrap().token;
        auth.validator.validate(token).await.unwrap();
        let iat = auth.validator.validate(token).await.unwrap().registered().iat().unwrap();
        // Tokens issued before the cut-off: a token of the same second stays valid.
        revocations.revoke(Revocation::subject("dev-user", Some(iat + 1))).await.unwrap();
        assert!(auth.validator.validate(token).await.is_err(), "revoked, cache hit or not");

        // Redis that is not there: startup succeeds, the shared list starts stale.
        let s = settings(&[(AUTH_REDIS_URL, "redis://127.0.0.1:1")]);
        let auth = Auth::from_settings(&s).await.unwrap();
        assert_eq!(auth.validator.revocations().unwrap().state(), RevocationState::Stale);
    }

    #[tokio::test]
    async fn revocation_errors_name_the_variable() {
        for (name, value) in [(AUTH_REVOCATION_MAX_STALE, "100000"), (AUTH_REVOCATION_RETENTION, "40000000")]
        {
            let err = Auth::from_settings(&settings(&[(name, value)])).await.unwrap_err();
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn redis_needs_a_runtime_and_says_which_variable() {
        let s = settings(&[(AUTH_ISSUER, "https://idp.example.com"), (AUTH_REDIS_URL, "redis://127.0.0.1")]);
        assert_eq!(build_validator(&s).unwrap_err().setting(), AUTH_REDIS_URL);
    }

    #[test]
    fn builder_errors_name_the_variable() {
        let err = build_validator(&settings(&[(AUTH_ISSUER, "ftp://idp")])).unwrap_err();
        assert_eq!(err.setting(), AUTH_ISSUER);
        let err = build_validator(&settings(&[(AUTH_JWKS_URL, "http://idp.example.com/jwks")])).unwrap_err();
        assert_eq!(err.setting(), AUTH_JWKS_URL);
        let err = build_validator(&settings(&[(AUTH_ISSUER, "https://idp"), (AUTH_ALGORITHMS, "HS256")]))
            .unwrap_err();
        assert_eq!(err.setting(), AUTH_ALGORITHMS);
    }
}
