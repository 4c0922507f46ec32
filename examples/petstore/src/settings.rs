//! The Petstore's settings, read from environment variables, every one checked at startup.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use auth_core::checks::dpop::DpopNonces;
use auth_core::checks::revocation::{DEFAULT_MAX_STALE, DEFAULT_RETENTION, StalePolicy};
use auth_core::{Algorithm, ConfigError, DpopMode, Profile};

mod shared;
mod step_up;
mod tuning;

pub use shared::RedisUrl;
use shared::revocation_settings;
pub use step_up::{DEFAULT_STEP_UP_ACR, DEFAULT_STEP_UP_MAX_AGE, default_step_up};
pub(crate) use tuning::jwks_field_error;
pub use tuning::{
    AUTH_ALLOWED_CLIENTS, AUTH_JWKS_OPTIONS, AUTH_LEEWAY, AUTH_MAX_TOKEN_AGE, AUTH_REQUIRED_CLAIMS,
    AUTH_SCOPE_CLAIMS, Tuning,
};

/// `PETSTORE_ADDR`: where the API listens. Default `127.0.0.1:8080`.
pub const PETSTORE_ADDR: &str = "PETSTORE_ADDR";
/// `PETSTORE_METRICS`: `1` to serve `GET /metrics` (Prometheus text) on the HTTP Petstores; `0`
/// (default) not.
pub const PETSTORE_METRICS: &str = "PETSTORE_METRICS";
/// `AUTH_ISSUER`: the trusted issuer URL; keys are found by discovery unless `AUTH_JWKS_URL` is set.
pub const AUTH_ISSUER: &str = "AUTH_ISSUER";
/// `AUTH_JWKS_URL`: take keys from this JWKS. Without `AUTH_ISSUER`, any `iss` is accepted.
pub const AUTH_JWKS_URL: &str = "AUTH_JWKS_URL";
/// `AUTH_AUDIENCE`: the audience tokens must name. Default `petstore`.
pub const AUTH_AUDIENCE: &str = "AUTH_AUDIENCE";
/// `AUTH_ALGORITHMS`: comma-separated allow-list. Default every asymmetric algorithm.
pub const AUTH_ALGORITHMS: &str = "AUTH_ALGORITHMS";
/// `AUTH_PROFILE`: `rfc9068` (default) or `generic`.
pub const AUTH_PROFILE: &str = "AUTH_PROFILE";
/// `AUTH_TOKEN_CACHE`: verified-token cache size in entries; `0` turns it off.
pub const AUTH_TOKEN_CACHE: &str = "AUTH_TOKEN_CACHE";
/// `AUTH_DPOP`: `off`, `allowed` (default) or `required` (RFC 9449 DPoP-bound tokens).
pub const AUTH_DPOP: &str = "AUTH_DPOP";
/// `AUTH_DPOP_NONCE`: `1` to require server nonces in DPoP proofs; `0` (default) not.
pub const AUTH_DPOP_NONCE: &str = "AUTH_DPOP_NONCE";
/// `AUTH_DPOP_NONCE_KEY`: the nonce key instances share (base64url, at least 32 bytes); default a
/// random key per process.
pub const AUTH_DPOP_NONCE_KEY: &str = "AUTH_DPOP_NONCE_KEY";
/// `AUTH_PUBLIC_URL`: the URL clients address this service by (`scheme://host[:port][/prefix]`),
/// behind a proxy: a DPoP proof's `htu` must be it followed by the request path.
pub const AUTH_PUBLIC_URL: &str = "AUTH_PUBLIC_URL";
/// `AUTH_RESOURCE`: the canonical URL of this API (RFC 8707 / RFC 9728): the `resource` of its
/// protected-resource metadata, and an audience tokens may name. Default `AUTH_PUBLIC_URL`, else
/// `http://` + the address the server listens on (`localhost` for `0.0.0.0`).
pub const AUTH_RESOURCE: &str = "AUTH_RESOURCE";
/// `AUTH_INTROSPECTION_URL`: the provider's introspection endpoint (RFC 7662), for opaque tokens;
/// when unset and `AUTH_INTROSPECTION_CLIENT_ID` is set, taken from `AUTH_ISSUER`'s discovery.
pub const AUTH_INTROSPECTION_URL: &str = "AUTH_INTROSPECTION_URL";
/// `AUTH_INTROSPECTION_CLIENT_ID`: the client the Petstore introspects as; setting it turns
/// introspection on.
pub const AUTH_INTROSPECTION_CLIENT_ID: &str = "AUTH_INTROSPECTION_CLIENT_ID";
/// `AUTH_INTROSPECTION_CLIENT_SECRET`: that client's secret (sent as `client_secret_basic`).
pub const AUTH_INTROSPECTION_CLIENT_SECRET: &str = "AUTH_INTROSPECTION_CLIENT_SECRET";
/// `AUTH_INTROSPECTION_CACHE_TTL`: seconds an active answer may be reused (never past the token's
/// `exp`); default 300, `0` asks the provider on every request.
pub const AUTH_INTROSPECTION_CACHE_TTL: &str = "AUTH_INTROSPECTION_CACHE_TTL";
/// `AUTH_REDIS_URL`: `redis://host[:port][/db]`, the Redis every instance shares revocations and
/// DPoP proofs seen through; without it, both are kept in this process's memory.
pub const AUTH_REDIS_URL: &str = "AUTH_REDIS_URL";
/// `AUTH_REVOCATION_MAX_STALE`: seconds the shared revocation replica may go unconfirmed before
/// `AUTH_REVOCATION_FAIL` applies; default 30.
pub const AUTH_REVOCATION_MAX_STALE: &str = "AUTH_REVOCATION_MAX_STALE";
/// `AUTH_REVOCATION_FAIL`: what a stale replica does: `closed` (default: 503 + `Retry-After`) or
/// `open` (requests pass, each logged and counted).
pub const AUTH_REVOCATION_FAIL: &str = "AUTH_REVOCATION_FAIL";
/// `AUTH_REVOCATION_RETENTION`: seconds a revocation lasts; default 86,400. It must exceed the
/// longest lifetime of the tokens accepted.
pub const AUTH_REVOCATION_RETENTION: &str = "AUTH_REVOCATION_RETENTION";
/// `AUTH_STEP_UP_ACR`: the `acr` values `POST /store/orders/{id}/payment` accepts, comma-separated
/// (any one satisfies); default `mfa`.
pub const AUTH_STEP_UP_ACR: &str = "AUTH_STEP_UP_ACR";
/// `AUTH_STEP_UP_MAX_AGE`: seconds since the user's authentication (`auth_time`) that
/// `POST /store/orders/{id}/payment` accepts; default 300.
pub const AUTH_STEP_UP_MAX_AGE: &str = "AUTH_STEP_UP_MAX_AGE";

/// Every variable [`Settings::from_env`] reads, but those of the finer validator settings ([`Tuning`]).
pub const VARIABLES: [&str; 23] = [
    PETSTORE_ADDR,
    PETSTORE_METRICS,
    AUTH_ISSUER,
    AUTH_JWKS_URL,
    AUTH_AUDIENCE,
    AUTH_ALGORITHMS,
    AUTH_PROFILE,
    AUTH_TOKEN_CACHE,
    AUTH_DPOP,
    AUTH_DPOP_NONCE,
    AUTH_DPOP_NONCE_KEY,
    AUTH_PUBLIC_URL,
    AUTH_RESOURCE,
    AUTH_INTROSPECTION_URL,
    AUTH_INTROSPECTION_CLIENT_ID,
    AUTH_INTROSPECTION_CLIENT_SECRET,
    AUTH_INTROSPECTION_CACHE_TTL,
    AUTH_REDIS_URL,
    AUTH_REVOCATION_MAX_STALE,
    AUTH_REVOCATION_FAIL,
    AUTH_REVOCATION_RETENTION,
    AUTH_STEP_UP_ACR,
    AUTH_STEP_UP_MAX_AGE,
];

/// The default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// The default audience, and the realm named in challenges.
pub const DEFAULT_AUDIENCE: &str = "petstore";

/// The Petstore's configuration. An empty variable counts as unset.
///
/// ```
/// use petstore::Settings;
///
/// let settings = Settings::from_lookup(|name| match name {
///     "AUTH_ISSUER" => Some("https://idp.example.com".to_owned()),
///     "AUTH_ALGORITHMS" => Some("RS256, ES256".to_owned()),
///     _ => None,
/// })?;
/// assert_eq!(settings.audience, "petstore");
/// assert_eq!(settings.addr.port(), 8080);
///
/// let err = Settings::from_lookup(|name| (name == "AUTH_PROFILE").then(|| "foo".to_owned())).unwrap_err();
/// assert_eq!(err.setting(), "AUTH_PROFILE");
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Listen address (`PETSTORE_ADDR`).
    pub addr: SocketAddr,
    /// `GET /metrics` served (`PETSTORE_METRICS=1`).
    pub metrics: bool,
    /// Trusted issuer (`AUTH_ISSUER`).
    pub issuer: Option<String>,
    /// JWKS URL (`AUTH_JWKS_URL`).
    pub jwks_url: Option<String>,
    /// Required audience (`AUTH_AUDIENCE`).
    pub audience: String,
    /// Algorithm allow-list (`AUTH_ALGORITHMS`); `None` means every asymmetric algorithm.
    pub algorithms: Option<Vec<Algorithm>>,
    /// Token profile (`AUTH_PROFILE`).
    pub profile: Profile,
    /// Verified-token cache entries (`AUTH_TOKEN_CACHE`); `None` when unset, `Some(0)` for off.
    pub token_cache: Option<usize>,
    /// DPoP mode (`AUTH_DPOP`).
    pub dpop: DpopMode,
    /// Server nonces required in DPoP proofs (`AUTH_DPOP_NONCE=1`).
    pub dpop_nonce: bool,
    /// The shared nonce key, base64url (`AUTH_DPOP_NONCE_KEY`).
    pub dpop_nonce_key: Option<String>,
    /// The external base URL (`AUTH_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// The canonical URL of the API (`AUTH_RESOURCE`), when set; see [`Settings::resource_url`].
    pub resource: Option<String>,
    /// Introspection of opaque tokens (`AUTH_INTROSPECTION_*`), when a client is configured.
    pub introspection: Option<Introspection>,
    /// How long an active introspection answer is reused (`AUTH_INTROSPECTION_CACHE_TTL`);
    /// `None` for the default (300 s).
    pub introspection_cache_ttl: Option<Duration>,
    /// The shared Redis (`AUTH_REDIS_URL`); `None`: revocations and DPoP proofs seen stay in
    /// this process. Its `Debug` leaves out any password.
    pub redis_url: Option<RedisUrl>,
    /// The staleness budget of the shared revocation replica (`AUTH_REVOCATION_MAX_STALE`).
    pub revocation_max_stale: Duration,
    /// What a stale replica does (`AUTH_REVOCATION_FAIL`).
    pub revocation_fail: StalePolicy,
    /// How long a revocation lasts (`AUTH_REVOCATION_RETENTION`).
    pub revocation_retention: Duration,
    /// `AUTH_STEP_UP_ACR` and `AUTH_STEP_UP_MAX_AGE`: what `POST /store/orders/{id}/payment`
    /// requires of the user's authentication (RFC 9470).
    pub step_up: auth_core::StepUp,
    /// The validator's finer settings (`AUTH_LEEWAY`, `AUTH_JWKS_OPTIONS`, …).
    pub tuning: Tuning,
}

/// The introspection client (`AUTH_INTROSPECTION_CLIENT_ID`, `AUTH_INTROSPECTION_CLIENT_SECRET`)
/// and endpoint (`AUTH_INTROSPECTION_URL`).
#[derive(Clone, PartialEq, Eq)]
pub struct Introspection {
    /// The endpoint; `None` for the one `AUTH_ISSUER`'s discovery names.
    pub url: Option<String>,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for Introspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspection")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics: false,
            issuer: None,
            jwks_url: None,
            audience: DEFAULT_AUDIENCE.to_owned(),
            algorithms: None,
            profile: Profile::Rfc9068,
            token_cache: None,
            dpop: DpopMode::Allowed,
            dpop_nonce: false,
            dpop_nonce_key: None,
            public_url: None,
            resource: None,
            introspection: None,
            introspection_cache_ttl: None,
            redis_url: None,
            revocation_max_stale: DEFAULT_MAX_STALE,
            revocation_fail: StalePolicy::FailClosed,
            revocation_retention: DEFAULT_RETENTION,
            step_up: default_step_up(),
            tuning: Tuning::default(),
        }
    }
}

impl Settings {
    /// Reads the process environment. A variable that is not valid UTF-8 is an error too.
    pub fn from_env() -> Result<Settings, ConfigError> {
        refuse_non_utf8(&VARIABLES)?;
        refuse_non_utf8(&tuning::TUNING_VARIABLES)?;
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map). The error names the variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut settings = Settings::default();
        if let Some(addr) = get(PETSTORE_ADDR) {
            settings.addr = addr.parse().map_err(|e| {
                ConfigError::new(
                    PETSTORE_ADDR,
                    format!("`{addr}` is not a socket address like {DEFAULT_ADDR}: {e}"),
                )
            })?;
        }
        if let Some(flag) = get(PETSTORE_METRICS) {
            settings.metrics = switch(PETSTORE_METRICS, &flag)?;
        }
        settings.issuer = get(AUTH_ISSUER);
        settings.jwks_url = get(AUTH_JWKS_URL);
        if let Some(audience) = get(AUTH_AUDIENCE) {
            settings.audience = audience;
        }
        if let Some(list) = get(AUTH_ALGORITHMS) {
            settings.algorithms = Some(parse_algorithms(&list)?);
        }
        if let Some(profile) = get(AUTH_PROFILE) {
            settings.profile = profile.parse().map_err(|e: String| ConfigError::new(AUTH_PROFILE, e))?;
        }
        if let Some(entries) = get(AUTH_TOKEN_CACHE) {
            settings.token_cache = Some(entries.parse().map_err(|_| {
                ConfigError::new(
                    AUTH_TOKEN_CACHE,
                    format!("`{entries}` is not a number of entries (0 turns it off)"),
                )
            })?);
        }
        if let Some(mode) = get(AUTH_DPOP) {
            settings.dpop = mode.parse().map_err(|e: String| ConfigError::new(AUTH_DPOP, e))?;
        }
        if let Some(flag) = get(AUTH_DPOP_NONCE) {
            settings.dpop_nonce = switch(AUTH_DPOP_NONCE, &flag)?;
        }
        if let Some(key) = get(AUTH_DPOP_NONCE_KEY) {
            // Checked now, so a bad key stops startup naming its variable.
            DpopNonces::from_base64url(&key).map_err(|e| e.for_setting(AUTH_DPOP_NONCE_KEY))?;
            settings.dpop_nonce_key = Some(key);
        }
        if let Some(url) = get(AUTH_PUBLIC_URL) {
            auth_core::TargetRules::default()
                .public_base_url(&url)
                .map_err(|e| e.for_setting(AUTH_PUBLIC_URL))?;
            settings.public_url = Some(url);
        }
        if let Some(url) = get(AUTH_RESOURCE) {
            auth_core::metadata::check_resource_url(&url).map_err(|e| e.for_setting(AUTH_RESOURCE))?;
            settings.resource = Some(url);
        } else if let Some(url) = &settings.public_url {
            auth_core::metadata::check_resource_url(url).map_err(|e| {
                ConfigError::new(
                    AUTH_RESOURCE,
                    format!(
                        "defaults to AUTH_PUBLIC_URL `{url}`, which {}; set AUTH_RESOURCE to the \
                         https URL clients use",
                        e.message()
                    ),
                )
            })?;
        }
        settings.introspection = introspection(&get)?;
        if let Some(secs) = get(AUTH_INTROSPECTION_CACHE_TTL) {
            let secs: u64 = secs.parse().map_err(|_| {
                ConfigError::new(AUTH_INTROSPECTION_CACHE_TTL, format!("`{secs}` is not a number of seconds"))
            })?;
            settings.introspection_cache_ttl = Some(Duration::from_secs(secs));
        }
        revocation_settings(&get, &mut settings)?;
        settings.step_up = step_up::step_up(&get)?;
        settings.tuning = Tuning::read(&get)?;
        if settings.introspection.is_some() && settings.uses_dev_issuer() {
            return Err(ConfigError::new(
                AUTH_INTROSPECTION_CLIENT_ID,
                "needs AUTH_ISSUER: the development issuer answers introspection with a client of its own",
            ));
        }
        Ok(settings)
    }

    /// The settings of a server that listens on `addr` (the bound address, when `PETSTORE_ADDR`
    /// names port 0): the default of [`resource_url`](Self::resource_url) names it.
    pub fn bound_to(mut self, addr: SocketAddr) -> Settings {
        self.addr = addr;
        self
    }

    /// The canonical URL of the API: `AUTH_RESOURCE`, else `AUTH_PUBLIC_URL`, else `http://` +
    /// the listen address (`localhost` for an unspecified address such as `0.0.0.0`).
    pub fn resource_url(&self) -> String {
        if let Some(url) = self.resource.as_ref().or(self.public_url.as_ref()) {
            return url.clone();
        }
        let host = match self.addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!("http://{host}:{}", self.addr.port())
    }

    /// Whether no provider is configured, so the built-in development issuer is used.
    pub fn uses_dev_issuer(&self) -> bool {
        self.issuer.is_none() && self.jwks_url.is_none()
    }
}

/// `AUTH_INTROSPECTION_URL`, `_CLIENT_ID` and `_CLIENT_SECRET`: none, or a client id and secret
/// (with or without the URL).
fn introspection(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Introspection>, ConfigError> {
    let (url, id, secret) = (
        get(AUTH_INTROSPECTION_URL),
        get(AUTH_INTROSPECTION_CLIENT_ID),
        get(AUTH_INTROSPECTION_CLIENT_SECRET),
    );
    match (id, secret) {
        (Some(client_id), Some(client_secret)) => Ok(Some(Introspection { url, client_id, client_secret })),
        (Some(_), None) => Err(ConfigError::new(
            AUTH_INTROSPECTION_CLIENT_SECRET,
            "must be set with AUTH_INTROSPECTION_CLIENT_ID",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            AUTH_INTROSPECTION_CLIENT_ID,
            "must be set with AUTH_INTROSPECTION_CLIENT_SECRET",
        )),
        (None, None) if url.is_some() => Err(ConfigError::new(
            AUTH_INTROSPECTION_CLIENT_ID,
            "must be set with AUTH_INTROSPECTION_URL (the client the Petstore introspects as)",
        )),
        (None, None) => Ok(None),
    }
}

/// The first of `names` set to a value that is not valid UTF-8, as an error naming it (a lookup
/// with `std::env::var(..).ok()` would take it for unset).
pub fn refuse_non_utf8(names: &[&str]) -> Result<(), ConfigError> {
    for name in names {
        if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
            return Err(ConfigError::new(*name, "is not valid UTF-8"));
        }
    }
    Ok(())
}

/// A `0`/`1` switch; the error names the variable `name`.
fn switch(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(ConfigError::new(name, format!("`{other}` is not 0 or 1"))),
    }
}

fn parse_algorithms(list: &str) -> Result<Vec<Algorithm>, ConfigError> {
    let algorithms = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| a.parse::<Algorithm>().map_err(|e| ConfigError::new(AUTH_ALGORITHMS, e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if algorithms.is_empty() {
        return Err(ConfigError::new(AUTH_ALGORITHMS, "names no algorithm"));
    }
    Ok(algorithms)
}

#[cfg(test)]
mod tests;
