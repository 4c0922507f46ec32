//! The validator: the verifiers, the verified-token cache and the request checks of one
//! resource, shared by every request.

use std::fmt;
use std::sync::Arc;

use crate::builder::ValidatorBuilder;
use crate::checks::dpop::{DpopCheck, DpopMode};
use crate::checks::revocation::Revocations;
use crate::checks::{CheckInput, Checked, Passed, RequestCheck, RequestFacts};
use crate::claims::Claims;
use crate::error::{AuthError, ChallengeRules, Rejection, Scheme};
use crate::stats::{Path, Stats, StatsSnapshot};
use crate::token::CredentialSource;
use crate::token_cache::TokenCache;
use crate::verify::TokenVerifier;
use crate::verify::introspection::IntrospectionVerifier;
use crate::verify::jws::JwsVerifier;

/// Validates access tokens. Built once (see [`Validator::builder`]), cheap to clone, shared
/// across threads and tasks. Requests are authenticated through an
/// [`Authenticator`](crate::Authenticator) (what the adapters use); [`Validator::validate`]
/// judges a bare token.
///
/// ```no_run
/// use auth_core::{IssuerConfig, Profile, Validator};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::discover("https://idp.example.com"))
///     .audience("petstore")
///     .profile(Profile::Rfc9068)
///     .build()?;
///
/// let claims = validator.validate("eyJhbGciOi...").await?;
/// println!("caller: {:?}", claims.registered().sub());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Validator(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) jws: JwsVerifier,
    /// In the documented order (see [`crate::checks`]).
    pub(crate) checks: Vec<Arc<dyn RequestCheck>>,
    /// The request headers the checks read, each once.
    pub(crate) check_headers: Vec<&'static str>,
    pub(crate) checks_read_body: bool,
    /// Whether any check reads the request (else the checks are given no request facts).
    pub(crate) checks_read_request: bool,
    pub(crate) challenges: ChallengeRules,
    pub(crate) stats: Arc<Stats>,
    pub(crate) token_cache: Option<TokenCache>,
    pub(crate) dpop_mode: DpopMode,
    /// The DPoP check, when DPoP is on (for its counters).
    pub(crate) dpop: Option<Arc<DpopCheck>>,
    /// The introspection verifier for opaque tokens, when configured.
    pub(crate) introspection: Option<Arc<IntrospectionVerifier>>,
    /// The deny-list, when configured.
    pub(crate) revocations: Option<Revocations>,
    /// The RFC 9728 metadata, when configured.
    pub(crate) resource: Option<Arc<crate::metadata::ProtectedResource>>,
}

/// Whether a token has the shape of a compact JWS (three dot-separated segments): such a token
/// is judged locally, any other is introspected (when introspection is configured).
fn jwt_shaped(token: &[u8]) -> bool {
    token.iter().filter(|b| **b == b'.').count() == 2
}

/// The request checks' answer when they could not all be decided at once.
pub(crate) enum ChecksNow {
    Done(Result<Passed, AuthError>),
    /// The check at this index must wait; those before it passed with this.
    Wait(usize, Passed),
}

impl Validator {
    /// Starts configuring a validator.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// The protected-resource metadata (RFC 9728) configured with
    /// [`ValidatorBuilder::resource_metadata`]: the canonical URL and the document's URLs.
    pub fn protected_resource(&self) -> Option<&crate::metadata::ProtectedResource> {
        self.0.resource.as_deref()
    }

    /// Validates a raw token (the part after `Bearer `), then runs the request checks with no
    /// request: checks that need one (a DPoP proof) refuse.
    ///
    /// A token this validator accepted before (and still caches) is answered from the
    /// verified-token cache: its time claims run again, and the key that verified it must still
    /// be trusted; see [`crate::TokenCacheOptions`]. Otherwise, in order: shape and header (no
    /// I/O), issuer by `iss` (no I/O for unknown ones), keys (cached; I/O only when none are
    /// loaded or an unknown `kid` may be a rotation), signature, then claims. Nothing about the
    /// token's contents is judged before its signature is checked, except what is needed to
    /// find the key.
    pub async fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        let (path, verified) = match self.cached(token.as_bytes()) {
            Some(answer) => (Path::Cache, answer),
            None => (Path::Full, self.verify_full(token).await),
        };
        let facts = RequestFacts::none();
        let result = match verified {
            Ok(claims) => {
                let bearer = Presented {
                    token: token.as_bytes(),
                    scheme: Scheme::Bearer,
                    source: CredentialSource::Custom,
                };
                let passed = match self.checks_now(&claims, bearer, &facts) {
                    ChecksNow::Done(done) => done,
                    ChecksNow::Wait(from, passed) => {
                        self.checks_later(from, passed, &claims, bearer, &facts).await
                    }
                };
                passed.map(|_| claims)
            }
            Err(e) => Err(e),
        };
        self.record(path, &result);
        result
    }

    /// The verified-token cache's answer for a token's bytes whatever their syntax (only a
    /// token verified before can be found), at once: `None` when the full path must run (always,
    /// when the cache is off). Request checks are not run here.
    pub(crate) fn cached(&self, token: &[u8]) -> Option<Result<Claims, AuthError>> {
        let inner = &*self.0;
        let Some(introspection) = &inner.introspection else { return self.cached_jwt(token) };
        if !jwt_shaped(token) {
            return introspection.cached(token);
        }
        let local = self.cached_jwt(token)?;
        if !introspection.introspect_jwts || local.is_err() {
            return Some(local);
        }
        // Both must know it: the local verdict, and a fresh active answer from the provider.
        match introspection.cached(token)? {
            Ok(_) => Some(local),
            Err(e) => Some(Err(e)),
        }
    }

    fn cached_jwt(&self, token: &[u8]) -> Option<Result<Claims, AuthError>> {
        let inner = &*self.0;
        let cache = inner.token_cache.as_ref()?;
        let entry = cache.get(token)?;
        if !inner.jws.still_trusted(&entry.trust) {
            // The key that verified it is gone (or the keys are past their staleness budget):
            // the full path decides.
            cache.remove(token);
            return None;
        }
        match inner.jws.check_time(&entry.claims) {
            Ok(()) => Some(Ok(entry.claims.clone())),
            Err(problem) => {
                cache.remove(token);
                Some(Err(problem.into()))
            }
        }
    }

    /// The full path of verification; a valid token enters the cache. Request checks are not
    /// run here.
    pub(crate) async fn verify_full(&self, token: &str) -> Result<Claims, AuthError> {
        let timer = &self.0.stats.full_path_time;
        let started = timer.start();
        let verified = self.verify_untimed(token).await;
        timer.stop(started);
        verified
    }

    async fn verify_untimed(&self, token: &str) -> Result<Claims, AuthError> {
        let inner = &*self.0;
        if let Some(introspection) = &inner.introspection
            && !jwt_shaped(token.as_bytes())
        {
            if token.len() > inner.jws.max_token_bytes {
                return Err(crate::TokenProblem::Malformed.into());
            }
            return introspection.verify(token).await;
        }
        let verified = inner.jws.verify(token).await?;
        if let Some(cache) = &inner.token_cache {
            cache.insert(token, &verified.claims, verified.trust, verified.payload_len);
        }
        if let Some(introspection) = inner.introspection.as_ref().filter(|i| i.introspect_jwts) {
            introspection.verify(token).await?;
        }
        Ok(verified.claims)
    }

    /// Whether requests may present tokens with `scheme`, under the DPoP mode
    /// ([`ValidatorBuilder::dpop`]): `Bearer` unless DPoP is required, `DPoP` unless it is off.
    pub fn accepts(&self, scheme: Scheme) -> bool {
        match scheme {
            Scheme::Bearer => self.0.dpop_mode.accepts_bearer(),
            Scheme::DPoP => self.0.dpop_mode.accepts_dpop(),
        }
    }

    /// The DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.0.dpop_mode
    }

    /// Whether any request check is configured.
    pub(crate) fn has_checks(&self) -> bool {
        !self.0.checks.is_empty()
    }

    /// Runs the request checks in order while they answer at once.
    pub(crate) fn checks_now(
        &self,
        claims: &Claims,
        presented: Presented<'_>,
        facts: &RequestFacts<'_>,
    ) -> ChecksNow {
        let mut passed = Passed::default();
        let Presented { token, scheme, source } = presented;
        let input = CheckInput { claims, token, scheme, source, request: facts };
        for (i, check) in self.0.checks.iter().enumerate() {
            match check.check(&input) {
                Checked::Ready(Ok(p)) => merge(&mut passed, p),
                Checked::Ready(Err(e)) => return ChecksNow::Done(Err(e)),
                // Dropped unpolled; the caller runs this check again where it can wait.
                Checked::Pending(_) => return ChecksNow::Wait(i, passed),
            }
        }
        ChecksNow::Done(Ok(passed))
    }

    /// Runs the request checks from index `from` on, waiting where they wait.
    pub(crate) async fn checks_later(
        &self,
        from: usize,
        mut passed: Passed,
        claims: &Claims,
        presented: Presented<'_>,
        facts: &RequestFacts<'_>,
    ) -> Result<Passed, AuthError> {
        let Presented { token, scheme, source } = presented;
        let input = CheckInput { claims, token, scheme, source, request: facts };
        for check in self.0.checks.iter().skip(from) {
            let p = match check.check(&input) {
                Checked::Ready(answer) => answer?,
                Checked::Pending(future) => future.await?,
            };
            merge(&mut passed, p);
        }
        Ok(passed)
    }

    /// Counts an answer, and logs why a token was refused.
    pub(crate) fn record<T>(&self, path: Path, result: &Result<T, AuthError>) {
        self.0.stats.record(path, result);
        if let Err(e) = result {
            tracing::debug!(reason = e.reason(), "access token rejected");
        }
    }

    /// Counts a refusal no validation made (no token, a malformed request, a lacking scope).
    pub(crate) fn record_request_rejection(&self, error: &AuthError) {
        self.0.stats.record_rejection(error);
        tracing::debug!(reason = error.reason(), "request rejected");
    }

    /// Renders `error` as an RFC 6750 answer with this validator's challenge settings (realm,
    /// accepted schemes), for a request without credentials or whose scheme is unknown.
    pub fn rejection(&self, error: &AuthError) -> Rejection {
        Rejection::render(error, &self.0.challenges, None)
    }

    /// [`rejection`](Self::rejection) for a request whose credentials used `scheme`: the error
    /// goes on that scheme's challenge.
    pub fn rejection_for(&self, error: &AuthError, scheme: Option<Scheme>) -> Rejection {
        Rejection::render(error, &self.0.challenges, scheme)
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.0.challenges.realm.as_deref()
    }

    /// Whether every issuer has usable keys loaded (static keys always are).
    ///
    /// With the `metrics` feature, this also sets the gauges `auth_ready` and each key set's
    /// `auth_jwks_age_seconds` (see [`crate::metrics`]): call it before rendering a scrape.
    pub fn is_ready(&self) -> bool {
        // Every issuer is asked (no short cut), so each key set's age gauge is brought up to date.
        let mut ready = true;
        for issuer in self.0.jws.issuers.entries() {
            ready &= issuer.is_ready();
        }
        self.0.stats.ready.set(if ready { 1.0 } else { 0.0 });
        ready
    }

    /// Fetches every issuer's keys now (they are otherwise fetched by the first request).
    /// Returns whether all issuers have keys; failures are logged and retried later.
    pub async fn warm_up(&self) -> bool {
        for issuer in self.0.jws.issuers.entries() {
            let _ = issuer.keys_for(None).await;
        }
        self.is_ready()
    }

    /// A copy of the counters: fetches, failures, stale serves, accepted, rejected by reason
    /// (request-level reasons included), verified-token cache hits, misses and size.
    pub fn stats(&self) -> StatsSnapshot {
        let mut snapshot = self.0.stats.snapshot();
        snapshot.token_cache_entries = self.0.token_cache.as_ref().map_or(0, TokenCache::len);
        snapshot.introspection_entries = self.0.introspection.as_ref().map_or((0, 0), |i| i.cached_entries());
        snapshot.dpop_replay_store_unavailable = self.0.dpop.as_ref().map_or(0, |d| d.undecided());
        if let Some(revocations) = &self.0.revocations {
            snapshot.revocation_stale_refusals = revocations.stale_refusals();
            snapshot.revocation_stale_passes = revocations.stale_passes();
        }
        snapshot
    }

    /// The deny-list configured with
    /// [`ValidatorBuilder::revocations`](crate::ValidatorBuilder::revocations), to revoke with.
    pub fn revocations(&self) -> Option<&Revocations> {
        self.0.revocations.as_ref()
    }

    /// The issuers this validator trusts by name (none for an issuer-agnostic key source).
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.0.jws.issuers.names()
    }
}

/// The credential the checks judge: the token's text, its scheme and where it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Presented<'t> {
    pub(crate) token: &'t [u8],
    pub(crate) scheme: Scheme,
    pub(crate) source: CredentialSource,
}

/// Adds what one check learned to what the checks before it did.
fn merge(into: &mut Passed, p: Passed) {
    if p.binding.is_some() {
        into.binding = p.binding;
    }
    into.headers.extend(p.headers);
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let jws = &self.0.jws;
        f.debug_struct("Validator")
            .field("issuers", &jws.issuers)
            .field("algorithms", &jws.allowed)
            .field("profile", &jws.profile)
            .field("audiences", &jws.audiences)
            .field("request_checks", &self.0.checks.len())
            .finish_non_exhaustive()
    }
}
