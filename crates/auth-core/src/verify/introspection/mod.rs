//! Opaque access tokens, verified by asking the provider (RFC 7662 token introspection).
//!
//! A token that is not JWT-shaped (three dot-separated segments) is introspected: POSTed to the
//! endpoint with this resource's client credentials. An active answer goes through the claim
//! rules of JWTs (issuer when present, audience, `exp` and `nbf` with the leeway, the operator's
//! required claims and client allow-list, scopes), not the JWT profile's (`typ`, `jti`, `iat`).
//! Answers are cached (see [`IntrospectionOptions`]); one call per token however many requests
//! wait for it; a provider that fails is answered 503 with `Retry-After`, never 401.

mod cache;
mod call;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::Shared;
use tokio::sync::Semaphore;
use url::Url;

pub(crate) use cache::TokenId;
use cache::{Active, AnswerCache, Known, TokenHasher};
use call::{Backoff, Fault};

use crate::claims::Claims;
use crate::clock::Clock;
use crate::error::{AuthError, ConfigError, TokenProblem};
use crate::jwks::fetch::{Fetcher, check_url};
use crate::stats::Stats;

/// The default time an active answer is reused: 300 s (never past the token's `exp`).
pub const DEFAULT_INTROSPECTION_TTL: Duration = Duration::from_secs(300);
/// The default time an inactive (or refused) answer is remembered: 10 s.
pub const DEFAULT_INACTIVE_TTL: Duration = Duration::from_secs(10);

/// How this resource authenticates to the introspection endpoint (RFC 7662 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic with the RFC 6749 §2.3.1 encoding of id and secret (the default).
    #[default]
    SecretBasic,
    /// `client_id` and `client_secret` in the form body.
    SecretPost,
}

/// Introspection settings: the resource's client credentials, the endpoint (configured, or the
/// issuer's `introspection_endpoint` from discovery), and the answer caches.
///
/// ```
/// use std::time::Duration;
/// use auth_core::IntrospectionOptions;
///
/// let options = IntrospectionOptions::new("petstore-api", "s3cret")
///     .endpoint("https://idp.example.com/oauth2/introspect")
///     .cache_ttl(Duration::from_secs(60));
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct IntrospectionOptions {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) auth: ClientAuth,
    pub(crate) cache_ttl: Duration,
    pub(crate) inactive_ttl: Duration,
    pub(crate) max_entries: usize,
    pub(crate) max_bytes: u64,
    pub(crate) max_inactive_entries: usize,
    pub(crate) introspect_jwts: bool,
    pub(crate) max_wait: Duration,
    pub(crate) max_concurrent_calls: usize,
}

impl std::fmt::Debug for IntrospectionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("IntrospectionOptions")
            .field("client_id", &self.client_id)
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("cache_ttl", &self.cache_ttl)
            .field("inactive_ttl", &self.inactive_ttl)
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("max_inactive_entries", &self.max_inactive_entries)
            .field("introspect_jwts", &self.introspect_jwts)
            .finish_non_exhaustive()
    }
}

impl IntrospectionOptions {
    /// Introspection with these client credentials (`client_secret_basic`), the endpoint from
    /// the issuer's discovery document, and the default caches: active answers for
    /// [`DEFAULT_INTROSPECTION_TTL`] (10,000 entries, 16 MiB), inactive ones for
    /// [`DEFAULT_INACTIVE_TTL`] (10,000 entries apart).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        IntrospectionOptions {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            endpoint: None,
            auth: ClientAuth::default(),
            cache_ttl: DEFAULT_INTROSPECTION_TTL,
            inactive_ttl: DEFAULT_INACTIVE_TTL,
            max_entries: 10_000,
            max_bytes: 16 * 1024 * 1024,
            max_inactive_entries: 10_000,
            introspect_jwts: false,
            max_wait: Duration::from_secs(3),
            max_concurrent_calls: 64,
        }
    }

    /// The endpoint, instead of the discovery document's `introspection_endpoint`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// How the client authenticates (default `client_secret_basic`).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// How long an active answer is reused (default 300 s; never past `exp`); zero: never.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// How long an inactive answer is remembered (default 10 s); zero: never.
    pub fn inactive_ttl(mut self, ttl: Duration) -> Self {
        self.inactive_ttl = ttl;
        self
    }

    /// Bounds of the active-answer cache.
    pub fn max_entries(mut self, entries: usize, bytes: u64) -> Self {
        (self.max_entries, self.max_bytes) = (entries, bytes);
        self
    }

    /// Bound of the inactive-answer cache (kept apart so a flood of random tokens cannot evict
    /// the active ones).
    pub fn max_inactive_entries(mut self, entries: usize) -> Self {
        self.max_inactive_entries = entries;
        self
    }

    /// Also introspect JWTs, after they verify locally (for the provider's revocation state).
    pub fn introspect_jwts(mut self) -> Self {
        self.introspect_jwts = true;
        self
    }

    /// How long a request waits for an answer before 503 (default 3 s, as for keys).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Calls to the provider in flight at once (default 64); more wait their turn.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent_calls = calls;
        self
    }
}

/// The claim rules an active answer must meet, copied from the validator's.
pub(crate) struct ClaimRules {
    /// The configured issuers: an answer's `iss`, when present, must be one of them.
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: crate::claims::Audiences,
    pub(crate) time: crate::claims::TimeRules,
    pub(crate) scope_claims: Vec<String>,
    pub(crate) required_claims: Vec<Arc<str>>,
    pub(crate) allowed_clients: Option<Vec<String>>,
}

enum Endpoint {
    Fixed(Url),
    Discovered { issuer: String, issuer_url: Url, found: tokio::sync::OnceCell<Url> },
}

type Flight = Shared<Pin<Box<dyn Future<Output = Result<Verdict, Fault>> + Send>>>;

/// What a request that found the provider failing is told to wait, at least.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The provider's answer once the rules ran: the claims, or why the token is refused.
type Verdict = Result<Claims, TokenProblem>;

/// Reads a provider's answer and runs the claim rules on an active one, as a call does: for the
/// fuzz harness. A fault (not JSON, malformed) is its log text.
#[cfg(feature = "fuzzing")]
pub(crate) fn judge_answer(
    content_type: Option<&str>,
    body: &[u8],
    rules: &ClaimRules,
    now: i64,
) -> Result<Verdict, String> {
    match call::read_answer(content_type, body) {
        Ok(Ok(json)) => Ok(call::claims(json, rules, now)),
        Ok(Err(problem)) => Ok(Err(problem)),
        Err(fault) => Err(fault.to_string()),
    }
}

/// The introspection verifier.
pub(crate) struct IntrospectionVerifier {
    endpoint: Endpoint,
    client: call::Client,
    allow_insecure_http: bool,
    cache: AnswerCache,
    hasher: TokenHasher,
    flights: Mutex<HashMap<TokenId, Flight>>,
    limiter: Arc<Semaphore>,
    backoff: Backoff,
    rules: ClaimRules,
    clock: Arc<dyn Clock>,
    ttl: i64,
    inactive_ttl: i64,
    max_wait: Duration,
    pub(crate) introspect_jwts: bool,
    stats: Arc<Stats>,
}

impl IntrospectionVerifier {
    pub(crate) fn new(
        options: &IntrospectionOptions,
        discovery_issuer: Option<&str>,
        fetcher: Fetcher,
        allow_insecure_http: bool,
        rules: ClaimRules,
        clock: Arc<dyn Clock>,
        stats: Arc<Stats>,
    ) -> Result<Self, ConfigError> {
        if options.client_id.is_empty() {
            return Err(ConfigError::new("introspection.client_id", "must not be empty"));
        }
        let endpoint = match (&options.endpoint, discovery_issuer) {
            (Some(url), _) => Endpoint::Fixed(check_url(url, allow_insecure_http, "introspection.endpoint")?),
            (None, Some(issuer)) => Endpoint::Discovered {
                issuer: issuer.to_owned(),
                issuer_url: check_url(issuer, allow_insecure_http, "introspection.endpoint")?,
                found: tokio::sync::OnceCell::new(),
            },
            (None, None) => {
                return Err(ConfigError::new(
                    "introspection.endpoint",
                    "set the endpoint, or trust one issuer by discovery to take its introspection_endpoint",
                ));
            }
        };
        if options.max_concurrent_calls == 0 {
            return Err(ConfigError::new("introspection.max_concurrent_calls", "must be at least 1"));
        }
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Ok(IntrospectionVerifier {
            endpoint,
            client: call::Client::new(fetcher, &options.client_id, &options.client_secret, options.auth),
            allow_insecure_http,
            cache: AnswerCache::new(
                if options.cache_ttl.is_zero() { 0 } else { options.max_entries },
                options.max_bytes,
                if options.inactive_ttl.is_zero() { 0 } else { options.max_inactive_entries },
            ),
            hasher: TokenHasher::new(),
            flights: Mutex::new(HashMap::new()),
            limiter: Arc::new(Semaphore::new(options.max_concurrent_calls)),
            backoff: Backoff::default(),
            rules,
            clock,
            ttl: secs(options.cache_ttl),
            inactive_ttl: secs(options.inactive_ttl),
            max_wait: options.max_wait,
            introspect_jwts: options.introspect_jwts,
            stats,
        })
    }

    /// The cached answer for `token`, at once: `None` when the provider must be asked.
    pub(crate) fn cached(&self, token: &[u8]) -> Option<Result<Claims, AuthError>> {
        let now = self.clock.now_unix();
        match self.cache.get(self.hasher.id(token), now)? {
            Known::Active(active) => {
                Stats::inc(&self.stats.introspection_hits);
                // The token's own lifetime still runs out on a cached answer.
                Some(
                    crate::claims::check_time(active.claims.registered(), now, &self.rules.time)
                        .map(|()| active.claims)
                        .map_err(AuthError::from),
                )
            }
            Known::Refused(problem) => {
                Stats::inc(&self.stats.introspection_negative_hits);
                Some(Err(problem.into()))
            }
        }
    }

    /// The provider's answer for `token` (one call however many wait), bounded by `max_wait`.
    pub(crate) async fn verify(self: &Arc<Self>, token: &str) -> Result<Claims, AuthError> {
        if let Some(answer) = self.cached(token.as_bytes()) {
            return answer;
        }
        let id = self.hasher.id(token.as_bytes());
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            match flights.get(&id) {
                Some(flight) => flight.clone(),
                None => {
                    // A call may have ended between the look-up above and this lock: its answer
                    // is cached before its flight is removed, so look again before a new call.
                    if let Some(answer) = self.cached(token.as_bytes()) {
                        return answer;
                    }
                    if let Some(wait) = self.backoff.waiting() {
                        return Err(AuthError::Unavailable { retry_after: wait });
                    }
                    let this = Arc::clone(self);
                    let token = token.to_owned();
                    let task = tokio::spawn(async move { this.call(id, &token).await });
                    let flight: Pin<Box<dyn Future<Output = Result<Verdict, Fault>> + Send>> =
                        Box::pin(task.map(|joined| joined.unwrap_or(Err(Fault::Internal))));
                    let flight = flight.shared();
                    flights.insert(id, flight.clone());
                    flight
                }
            }
        };
        match tokio::time::timeout(self.max_wait, flight).await {
            Ok(Ok(verdict)) => verdict.map_err(AuthError::from),
            Ok(Err(_)) => {
                Err(AuthError::Unavailable { retry_after: self.backoff.waiting().unwrap_or(FIRST_RETRY) })
            }
            // The provider is slow: the call goes on for whoever waits, new tokens back off.
            Err(_) => {
                let wait = self.backoff.waiting().unwrap_or_else(|| self.backoff.failed());
                tracing::warn!(waited = ?self.max_wait, "token introspection too slow; answered 503");
                Err(AuthError::Unavailable { retry_after: wait })
            }
        }
    }

    /// One call to the provider; its verdict enters the caches, a failure does not.
    async fn call(&self, id: TokenId, token: &str) -> Result<Verdict, Fault> {
        let result = self.call_unrecorded(token).await;
        let now = self.clock.now_unix();
        match &result {
            Ok(Ok(claims)) => {
                self.backoff.succeeded();
                let fresh_until = now.saturating_add(self.ttl);
                self.cache.insert_active(id, Active { claims: claims.clone(), fresh_until });
            }
            Ok(Err(problem)) => {
                self.backoff.succeeded();
                self.cache.insert_refused(id, now.saturating_add(self.inactive_ttl), problem.clone());
            }
            Err(fault) => {
                Stats::inc(&self.stats.introspection_failures);
                let wait = self.backoff.failed();
                tracing::warn!(error = %fault, retry_in = ?wait, "token introspection failed");
            }
        }
        // After the caches: a request arriving now finds the answer there.
        self.flights.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        result
    }

    async fn call_unrecorded(&self, token: &str) -> Result<Verdict, Fault> {
        let _permit = self.limiter.acquire().await.map_err(|_| Fault::Internal)?;
        let endpoint = self.endpoint().await?;
        Stats::inc(&self.stats.introspection_calls);
        let answer = self.client.introspect(&endpoint, token).await?;
        Ok(answer.and_then(|json| call::claims(json, &self.rules, self.clock.now_unix())))
    }

    async fn endpoint(&self) -> Result<Url, Fault> {
        match &self.endpoint {
            Endpoint::Fixed(url) => Ok(url.clone()),
            Endpoint::Discovered { issuer, issuer_url, found } => found
                .get_or_try_init(|| async {
                    let resolved = crate::jwks::discovery::discover(
                        self.client.fetcher(),
                        issuer,
                        issuer_url,
                        self.allow_insecure_http,
                    )
                    .await
                    .map_err(Fault::Fetch)?;
                    let url = resolved.metadata.introspection_endpoint.ok_or(Fault::NoEndpoint)?;
                    check_url(&url, self.allow_insecure_http, "introspection_endpoint")
                        .map_err(|e| Fault::BadEndpoint(e.to_string()))
                })
                .await
                .cloned(),
        }
    }

    /// (active, inactive) answers cached now.
    pub(crate) fn cached_entries(&self) -> (usize, usize) {
        self.cache.len()
    }
}
