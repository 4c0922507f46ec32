//! The validator: raw token in, verified claims or a typed error out.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::algorithm::AlgorithmSet;
use crate::builder::ValidatorBuilder;
use crate::claims::{
    Claims, Field, Payload, Profile, RegisteredSpans, Scopes, TimeRules, Wanted, check_audience, check_time,
};
use crate::clock::Clock;
use crate::error::{AuthError, Challenge, TokenProblem};
use crate::issuer::IssuerRegistry;
use crate::keys::VerifyingKey;
use crate::stats::{Stats, StatsSnapshot};
use crate::token::header::JoseHeader;
use crate::token::jws::{CompactJws, HEADER_BYTES, SIGNATURE_BYTES};
use crate::token_cache::{Entry, TokenCache};

/// A custom check run on verified claims; `Err` carries the fixed `error_description`.
pub type CustomCheck = Arc<dyn Fn(&Claims) -> Result<(), &'static str> + Send + Sync>;

/// Validates access tokens. Built once (see [`Validator::builder`]), cheap to clone, shared
/// across threads and tasks.
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
    pub(crate) issuers: IssuerRegistry,
    pub(crate) allowed: AlgorithmSet,
    pub(crate) profile: Profile,
    pub(crate) audiences: Vec<String>,
    pub(crate) time: TimeRules,
    pub(crate) required_claims: Vec<Arc<str>>,
    pub(crate) allowed_clients: Option<Vec<String>>,
    pub(crate) scope_claims: Vec<String>,
    pub(crate) custom: Option<CustomCheck>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_token_bytes: usize,
    pub(crate) realm: Option<String>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) token_cache: Option<TokenCache>,
}

/// What the full path learned about a valid token.
struct Verified {
    claims: Claims,
    issuer: usize,
    key: Arc<VerifyingKey>,
    payload_len: usize,
}

impl Validator {
    /// Starts configuring a validator.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// Validates a raw token (the part after `Bearer `).
    ///
    /// A token this validator accepted before (and still caches) is answered from the
    /// verified-token cache: its time claims and the custom check run again, and the key that
    /// verified it must still be trusted; see [`crate::TokenCacheOptions`].
    ///
    /// Otherwise, in order: shape and header (no I/O), issuer by `iss` (no I/O for unknown ones), keys
    /// (cached; I/O only when none are loaded or an unknown `kid` may be a rotation), signature,
    /// then claims. Nothing about the token's contents is judged before its signature is checked,
    /// except what is needed to find the key.
    pub async fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(answer) = self.validate_cached(token) {
            return answer;
        }
        let inner = &*self.0;
        Stats::inc(&inner.stats.token_cache_misses);
        let result = match self.verify(token).await {
            Ok(verified) => {
                if let Some(cache) = &inner.token_cache {
                    cache.insert(
                        token,
                        &verified.claims,
                        verified.issuer,
                        &verified.key,
                        verified.payload_len,
                    );
                }
                Ok(verified.claims)
            }
            Err(e) => Err(e),
        };
        self.record(&result);
        result
    }

    /// The answer of the verified-token cache alone, at once (no I/O, nothing to await): `Some`
    /// when `token` is cached, with exactly what [`Validator::validate`] would answer; `None` when
    /// the full path must run, so call [`Validator::validate`] then (it counts the miss).
    ///
    /// Adapters call it first so a token they have seen before costs no boxed future and no copy
    /// of the token; `None` whenever the cache is off.
    ///
    /// ```
    /// # async fn demo(validator: auth_core::Validator, token: &str) {
    /// let answer = match validator.validate_cached(token) {
    ///     Some(answer) => answer,
    ///     None => validator.validate(token).await,
    /// };
    /// # let _ = answer; }
    /// ```
    pub fn validate_cached(&self, token: &str) -> Option<Result<Claims, AuthError>> {
        self.cached_answer(token.as_bytes())
    }

    /// [`Validator::validate_cached`] for a token's bytes, whatever their syntax: only a token
    /// verified before can be found.
    pub(crate) fn cached_answer(&self, token: &[u8]) -> Option<Result<Claims, AuthError>> {
        let inner = &*self.0;
        let cache = inner.token_cache.as_ref()?;
        let entry = cache.get(token)?;
        let Some(result) = self.recheck(&entry) else {
            // The key that verified it is gone (or the keys are past their staleness budget):
            // the full path decides.
            cache.remove(token);
            return None;
        };
        Stats::inc(&inner.stats.token_cache_hits);
        if result.is_err() {
            cache.remove(token);
        }
        self.record(&result);
        Some(result)
    }

    /// Counts an answer, and logs why a token was refused.
    fn record(&self, result: &Result<Claims, AuthError>) {
        match result {
            Ok(_) => Stats::inc(&self.0.stats.accepted),
            Err(e) => {
                self.0.stats.record_rejection(e);
                tracing::debug!(reason = e.reason(), "access token rejected");
            }
        }
    }

    /// A cached token's answer now: what can change since it was verified is checked again (the
    /// time claims, the custom check, the key still being trusted). `None` when the key is no
    /// longer among the issuer's current keys.
    fn recheck(&self, entry: &Entry) -> Option<Result<Claims, AuthError>> {
        let inner = &*self.0;
        if !inner.issuers.get(entry.issuer)?.still_holds(&entry.key) {
            return None;
        }
        let checks = || -> Result<(), TokenProblem> {
            check_time(entry.claims.registered(), inner.clock.now_unix(), &inner.time)?;
            if let Some(check) = &inner.custom {
                check(&entry.claims).map_err(TokenProblem::Rejected)?;
            }
            Ok(())
        };
        Some(checks().map(|()| entry.claims.clone()).map_err(AuthError::from))
    }

    /// The full path: parse, find the key, verify the signature, check the claims.
    async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let inner = &*self.0;
        // Only the signature's buffer is kept while the keys are awaited: the future stays small,
        // and moving it costs less.
        let mut signature_buf = [0; SIGNATURE_BYTES];
        let (signing_input, json, signature, alg, kid) = {
            let mut header_buf = [0; HEADER_BYTES];
            let jws = CompactJws::parse(token, inner.max_token_bytes, &mut header_buf, &mut signature_buf)?;
            let header = JoseHeader::parse(&jws.header)?;
            if !inner.allowed.contains(header.alg) {
                return Err(TokenProblem::AlgorithmNotAllowed.into());
            }
            inner.profile.check_typ(header.typ.as_deref())?;
            let json = String::from_utf8(jws.payload).map_err(|_| TokenProblem::Malformed)?;
            (jws.signing_input, json, jws.signature, header.alg, header.kid.map(Cow::into_owned))
        };
        let wanted = Wanted { scope_claims: &inner.scope_claims, required: &inner.required_claims };
        let payload = Payload::parse(&json, wanted)?;
        let (issuer_index, issuer) = inner.issuers.select(payload.string("iss")?)?;
        let keys = issuer.keys_for(kid.as_deref()).await?;

        let key = {
            let mut candidates = keys.set().candidates(kid.as_deref(), alg).peekable();
            if candidates.peek().is_none() {
                return Err(TokenProblem::UnknownKey.into());
            }
            let key = candidates.find(|k| k.verify(alg, signing_input, &signature));
            Arc::clone(key.ok_or(TokenProblem::BadSignature)?)
        };

        // Everything the payload is read for, before the registered claims take its text; the
        // errors are reported in the order of the checks below.
        let registered = RegisteredSpans::read(&payload, &json);
        let missing_custom =
            inner.required_claims.iter().find(|name| payload.get(name).is_none_or(|v| *v == Field::Null));
        let scopes = Scopes::read(&payload, &inner.scope_claims);
        drop(payload);
        let payload_len = json.len();
        let registered = registered?.with_text(json.into_boxed_str());

        check_time(&registered, inner.clock.now_unix(), &inner.time)?;
        for name in inner.profile.required_claims() {
            if !registered.has(name) {
                return Err(TokenProblem::MissingClaim(name).into());
            }
        }
        if let Some(name) = missing_custom {
            return Err(TokenProblem::MissingCustomClaim(Arc::clone(name)).into());
        }
        check_audience(&registered, &inner.audiences)?;
        if let Some(allowed) = &inner.allowed_clients {
            let client = registered.client_id().or(registered.azp());
            let client = client.ok_or(TokenProblem::MissingClaim("client_id"))?;
            if !allowed.iter().any(|c| c == client) {
                return Err(TokenProblem::ClientNotAllowed.into());
            }
        }
        let scopes = scopes?;
        let claims = Claims::verified(registered, scopes, alg, kid);
        if let Some(check) = &inner.custom {
            check(&claims).map_err(TokenProblem::Rejected)?;
        }
        Ok(Verified { claims, issuer: issuer_index, key, payload_len })
    }

    /// Renders `error` as an RFC 6750 answer with this validator's realm.
    pub fn challenge(&self, error: &AuthError) -> Challenge {
        error.challenge(self.0.realm.as_deref())
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.0.realm.as_deref()
    }

    /// Whether every issuer has usable keys loaded (static keys always are).
    pub fn is_ready(&self) -> bool {
        self.0.issuers.entries().all(|i| i.is_ready())
    }

    /// Fetches every issuer's keys now (they are otherwise fetched by the first request).
    /// Returns whether all issuers have keys; failures are logged and retried later.
    pub async fn warm_up(&self) -> bool {
        for issuer in self.0.issuers.entries() {
            let _ = issuer.keys_for(None).await;
        }
        self.is_ready()
    }

    /// A copy of the counters: fetches, failures, stale serves, accepted, rejected by reason,
    /// verified-token cache hits, misses and size.
    pub fn stats(&self) -> StatsSnapshot {
        let mut snapshot = self.0.stats.snapshot();
        snapshot.token_cache_entries = self.0.token_cache.as_ref().map_or(0, TokenCache::len);
        snapshot
    }
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("issuers", &self.0.issuers)
            .field("algorithms", &self.0.allowed)
            .field("profile", &self.0.profile)
            .field("audiences", &self.0.audiences)
            .finish_non_exhaustive()
    }
}
