//! Outbound access tokens: tokens of this service's own, for calling other APIs — by client
//! credentials (a call in its own name) or token exchange (RFC 8693: a call on behalf of the
//! caller whose token it holds), each for its target's `resource` / `audience` and `scope`.
//!
//! [`TokenClient::token`] answers from a cache keyed by (grant, target, scope set, and for an
//! exchange the subject token's keyed hash): one request to the provider however many callers
//! wait; a token is refreshed in the background at a fraction of its lifetime (with jitter) when
//! it was used since it was fetched, so no call waits on a refresh that could have happened
//! earlier; while the provider is down, the last good token is used until its real expiry.

mod auth;
mod cache;
mod dpop;
mod outbound;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{ClientCredentials, PrivateKey};
use cache::Key;
pub use dpop::DpopSigner;
pub use outbound::{OutboundError, OutboundTokens, SubjectToken};

use crate::error::ConfigError;
use crate::jwks::JwksOptions;
use crate::jwks::fetch::{Fetcher, check_url};

/// The default lifetime of a token answered without `expires_in`: 300 s.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// The default point of a token's lifetime at which it is refreshed: 0.8 (with ±5% jitter).
pub const DEFAULT_REFRESH_FRACTION: f64 = 0.8;

/// The RFC 8693 grant type.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// An access token as the subject of an exchange.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What a token is for: the API it is sent to (`resource`, RFC 8707, an absolute URI, and/or an
/// `audience` name, RFC 8693) and the scopes asked for.
///
/// ```
/// let target = auth_core::client::Target::resource("https://petstore.example.com").scope("pets:read");
/// # let _ = target;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Target(Arc<TargetParts>);

/// Shared, so that a target (a cache key) is cloned by a reference count on every call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct TargetParts {
    resource: Option<String>,
    audience: Option<String>,
    scopes: BTreeSet<String>,
}

impl Target {
    /// A token for the API at `uri` (sent as `resource`).
    pub fn resource(uri: impl Into<String>) -> Self {
        Target(Arc::new(TargetParts { resource: Some(uri.into()), ..TargetParts::default() }))
    }

    /// A token for the audience `name` (sent as `audience`).
    pub fn audience(name: impl Into<String>) -> Self {
        Target(Arc::new(TargetParts { audience: Some(name.into()), ..TargetParts::default() }))
    }

    /// A token with no target named: the provider's default.
    pub fn any() -> Self {
        Target::default()
    }

    /// Adds scopes (space-separated): the set is what counts, not the order.
    pub fn scope(mut self, scope: &str) -> Self {
        Arc::make_mut(&mut self.0)
            .scopes
            .extend(scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned));
        self
    }
}

fn is_dpop_type(token_type: &str) -> bool {
    token_type.eq_ignore_ascii_case("dpop")
}

/// A token from the provider.
#[derive(Clone)]
pub struct AccessToken {
    token: Arc<str>,
    token_type: Arc<str>,
    header: reqwest::header::HeaderValue,
    expires_at: tokio::time::Instant,
    generation: u64,
}

impl AccessToken {
    /// The token.
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// `Bearer` or `DPoP`, as the provider named it.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The `Authorization` field value: `Bearer <token>`, or `DPoP <token>` for a DPoP-bound one.
    pub fn authorization(&self) -> &str {
        self.header.to_str().unwrap_or_default()
    }

    /// The same as an `http::HeaderValue` (marked sensitive), built once when the token was
    /// fetched: what the outbound adapters send, at the cost of a reference count.
    pub fn authorization_header(&self) -> &reqwest::header::HeaderValue {
        &self.header
    }

    /// Whether the provider bound it to the client's DPoP key (`token_type` `DPoP`).
    pub fn is_dpop(&self) -> bool {
        is_dpop_type(&self.token_type)
    }

    /// A token as the provider answered it; `None` when it cannot be sent in a header field.
    /// The `Authorization` value is built here, once per token.
    fn new(
        token: String,
        token_type: String,
        expires_at: tokio::time::Instant,
        generation: u64,
    ) -> Option<Self> {
        let scheme = if is_dpop_type(&token_type) { "DPoP" } else { "Bearer" };
        let mut header = reqwest::header::HeaderValue::try_from(format!("{scheme} {token}")).ok()?;
        header.set_sensitive(true);
        Some(AccessToken {
            token: Arc::from(token),
            token_type: Arc::from(token_type),
            header,
            expires_at,
            generation,
        })
    }

    /// When it expires.
    pub fn expires_at(&self) -> tokio::time::Instant {
        self.expires_at
    }

    /// Which fetch it came from: [`TokenClient::invalidate`] drops it only while it is still
    /// the cached one.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The provider cannot be reached or answers garbage, and no good token is left: retry later.
    #[error("no token can be obtained now; retry after {}s", retry_after.as_secs())]
    Unavailable {
        /// When to try again.
        retry_after: Duration,
    },
    /// The provider refused the request (a 4xx: wrong credentials, a target or scope not allowed,
    /// a subject token it does not accept). Logged with the details.
    #[error("the token endpoint refused the request (HTTP {status})")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
}

/// Configures a [`TokenClient`].
#[derive(Debug, Clone)]
pub struct TokenClientBuilder {
    client_id: String,
    credentials: Option<ClientCredentials>,
    token_endpoint: Option<String>,
    issuer: Option<String>,
    default_lifetime: Duration,
    refresh_fraction: f64,
    max_entries: usize,
    http: JwksOptions,
    http_client: Option<reqwest::Client>,
    dpop: Option<DpopSigner>,
}

/// Gets, caches and refreshes this service's outbound tokens. Cheap to clone.
///
/// ```no_run
/// use auth_core::client::{ClientCredentials, Target, TokenClient};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = TokenClient::builder("gateway")
///     .credentials(ClientCredentials::SecretBasic { secret: "s3cret".into() })
///     .issuer("https://idp.example.com")   // token_endpoint by discovery
///     .build()?;
/// let target = Target::resource("https://petstore.example.com").scope("pets:read");
/// let token = client.token(&target).await?;                 // client credentials
/// let on_behalf = client.exchange("caller-token", &target).await?;  // token exchange
/// # let _ = (token, on_behalf); Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenClient(Arc<cache::Shared>);

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient").field("client_id", &self.0.client_id).finish_non_exhaustive()
    }
}

impl TokenClient {
    /// Starts configuring the client `client_id`.
    pub fn builder(client_id: impl Into<String>) -> TokenClientBuilder {
        TokenClientBuilder {
            client_id: client_id.into(),
            credentials: None,
            token_endpoint: None,
            issuer: None,
            default_lifetime: DEFAULT_TOKEN_LIFETIME,
            refresh_fraction: DEFAULT_REFRESH_FRACTION,
            max_entries: 1000,
            http: JwksOptions::default(),
            http_client: None,
            dpop: None,
        }
    }

    /// A token of this client's own (client credentials) for `target`.
    pub async fn token(&self, target: &Target) -> Result<AccessToken, TokenError> {
        let key = Key::new(target, None);
        cache::get(&self.0, key, None).await
    }

    /// A token for `target` on behalf of the caller whose access token is `subject_token`
    /// (RFC 8693 token exchange).
    pub async fn exchange(&self, subject_token: &str, target: &Target) -> Result<AccessToken, TokenError> {
        let key = Key::new(target, Some(self.0.subject_id(subject_token)));
        cache::get(&self.0, key, Some(Arc::from(subject_token))).await
    }

    /// Drops `token` from the cache if it is still the one cached (the downstream API answered
    /// 401 `invalid_token` to it): a token fetched meanwhile by another caller is kept.
    /// Returns whether it was dropped.
    pub fn invalidate(&self, target: &Target, subject_token: Option<&str>, token: &AccessToken) -> bool {
        let key = Key::new(target, subject_token.map(|s| self.0.subject_id(s)));
        self.0.invalidate(&key, token.generation)
    }

    /// The DPoP key, when tokens are DPoP-bound.
    pub fn dpop(&self) -> Option<&DpopSigner> {
        self.0.settings().dpop.as_ref()
    }

    /// Requests made to the token endpoint so far.
    pub fn requests(&self) -> u64 {
        self.0.requests()
    }
}

impl TokenClientBuilder {
    /// How the client authenticates (required).
    pub fn credentials(mut self, credentials: ClientCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The token endpoint.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// The issuer whose discovery document names the token endpoint (when none is set).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The lifetime assumed for a token answered without `expires_in` (default 300 s).
    pub fn default_lifetime(mut self, lifetime: Duration) -> Self {
        self.default_lifetime = lifetime;
        self
    }

    /// The point of a token's lifetime at which it is refreshed, between 0.1 and 0.95
    /// (default 0.8); each token's point is moved by up to ±5% of its lifetime at random, so
    /// that instances started together do not refresh together.
    pub fn refresh_at(mut self, fraction: f64) -> Self {
        self.refresh_fraction = fraction;
        self
    }

    /// How many tokens are cached (default 1,000: targets × scope sets, and one per caller for
    /// exchanges).
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// Ask for DPoP-bound tokens (RFC 9449): every token request carries a proof by this key
    /// (with the nonce the provider asks for, RFC 9449 §8), and the outbound adapters send each
    /// call with a fresh proof.
    pub fn dpop(mut self, signer: DpopSigner) -> Self {
        self.dpop = Some(signer);
        self
    }

    /// Timeouts, body limit and `http://` rules of the requests (those of JWKS fetches).
    pub fn http_options(mut self, options: JwksOptions) -> Self {
        self.http = options;
        self
    }

    /// Builds the client. Nothing is fetched yet.
    pub fn build(self) -> Result<TokenClient, ConfigError> {
        if self.client_id.is_empty() {
            return Err(ConfigError::new("client.client_id", "must not be empty"));
        }
        let credentials = self
            .credentials
            .ok_or_else(|| ConfigError::new("client.credentials", "how the client authenticates"))?;
        if !(0.1..=0.95).contains(&self.refresh_fraction) {
            return Err(ConfigError::new("client.refresh_at", "must be between 0.1 and 0.95"));
        }
        if self.default_lifetime.is_zero() {
            return Err(ConfigError::new("client.default_lifetime", "must be at least one second"));
        }
        if self.max_entries == 0 {
            return Err(ConfigError::new("client.max_entries", "must be at least 1"));
        }
        self.http.check()?;
        let insecure = self.http.allow_insecure_http;
        let endpoint = match (&self.token_endpoint, &self.issuer) {
            (Some(url), _) => cache::Endpoint::Fixed(check_url(url, insecure, "client.token_endpoint")?),
            (None, Some(issuer)) => cache::Endpoint::Discovered {
                issuer: issuer.clone(),
                issuer_url: check_url(issuer, insecure, "client.issuer")?,
                found: tokio::sync::OnceCell::new(),
            },
            (None, None) => {
                return Err(ConfigError::new(
                    "client.token_endpoint",
                    "set the token endpoint or the issuer",
                ));
            }
        };
        let fetcher = Fetcher::new(&self.http, self.http_client)?;
        Ok(TokenClient(Arc::new(cache::Shared::new(cache::Settings {
            client_id: self.client_id,
            credentials,
            endpoint,
            fetcher,
            insecure,
            default_lifetime: self.default_lifetime,
            refresh_fraction: self.refresh_fraction,
            max_entries: self.max_entries,
            dpop: self.dpop,
        }))))
    }
}

/// The form of one token request.
fn grant_form(target: &Target, subject: Option<&str>) -> Vec<(&'static str, String)> {
    let mut form = Vec::new();
    match subject {
        None => form.push(("grant_type", "client_credentials".to_owned())),
        Some(subject) => {
            form.push(("grant_type", TOKEN_EXCHANGE.to_owned()));
            form.push(("subject_token", subject.to_owned()));
            form.push(("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()));
            form.push(("requested_token_type", ACCESS_TOKEN_TYPE.to_owned()));
        }
    }
    if let Some(resource) = &target.0.resource {
        form.push(("resource", resource.clone()));
    }
    if let Some(audience) = &target.0.audience {
        form.push(("audience", audience.clone()));
    }
    if !target.0.scopes.is_empty() {
        form.push(("scope", target.0.scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ")));
    }
    form
}
