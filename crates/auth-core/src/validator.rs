//! The validator: raw token in, verified claims or a typed error out.

use std::fmt;
use std::sync::Arc;

use crate::algorithm::AlgorithmSet;
use crate::builder::ValidatorBuilder;
use crate::claims::{
    Claims, Field, Payload, Profile, RegisteredSpans, Scopes, TimeRules, Wanted, check_audience, check_time,
};
use crate::clock::Clock;
use crate::error::{AuthError, Challenge, TokenProblem};
use crate::issuer::{IssuerRegistry, Keys};
use crate::keys::VerifyingKey;
use crate::stats::{Path, Stats, StatsSnapshot};
use crate::token::header::JoseHeader;
use crate::token::jws::{CompactJws, HEADER_BYTES, SIGNATURE_BYTES, decode_header};
use crate::token::known_headers::KnownHeaders;
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
    pub(crate) known_headers: KnownHeaders,
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
        if let Some(answer) = self.cached_answer(token.as_bytes()) {
            return answer;
        }
        self.validate_in_full(token).await
    }

    /// The full path of [`Validator::validate`], without asking the verified-token cache first
    /// (a valid token still enters it): for a token [`Validator::decide`] answered
    /// [`Decision::Validate`](crate::Decision::Validate) for, whose cache lookup was just made.
    /// Its answer is the one [`Validator::validate`] gives.
    pub async fn validate_in_full(&self, token: &str) -> Result<Claims, AuthError> {
        let inner = &*self.0;
        let result = self.verify(token).await.map(|verified| {
            if let Some(cache) = &inner.token_cache {
                cache.insert(token, &verified.claims, verified.issuer, &verified.key, verified.payload_len);
            }
            verified.claims
        });
        self.record(Path::Full, &result);
        result
    }

    /// The answer of the verified-token cache alone, at once (no I/O, nothing to await), for a
    /// token's bytes whatever their syntax (only a token verified before can be found): `Some`
    /// with exactly what [`Validator::validate`] would answer, `None` when the full path must
    /// run (always, when the cache is off). [`Validator::decide`] asks it first.
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
        if result.is_err() {
            cache.remove(token);
        }
        self.record(Path::Cache, &result);
        Some(result)
    }

    /// Counts an answer, and logs why a token was refused.
    fn record(&self, path: Path, result: &Result<Claims, AuthError>) {
        self.0.stats.record(path, result);
        if let Err(e) = result {
            tracing::debug!(reason = e.reason(), "access token rejected");
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
    ///
    /// Without waiting whenever the issuer's keys are at hand (static keys, or fetched keys
    /// within their budget that hold the token's `kid`): then nothing is kept across an await and
    /// the buffers stay on the stack. Only when keys must be fetched does the path wait, in a
    /// boxed future of its own, so every other validation's future stays small.
    async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        match self.verify_with(token, None) {
            Ok(verified) => Ok(verified),
            Err(Stop::Failed(e)) => Err(e),
            Err(Stop::FetchKeys { issuer, kid }) => {
                Box::pin(self.fetch_keys_then_verify(token, issuer, kid)).await
            }
        }
    }

    /// Fetches (or waits for) the keys of the issuer at `issuer` for `kid`, then verifies the
    /// token with them. The token is parsed again: this happens once per key fetch.
    async fn fetch_keys_then_verify(
        &self,
        token: &str,
        issuer: usize,
        kid: Option<String>,
    ) -> Result<Verified, AuthError> {
        let issuer_keys = self.0.issuers.get(issuer).ok_or(TokenProblem::UnknownIssuer)?;
        let keys = issuer_keys.keys_for(kid.as_deref()).await?;
        self.verify_with(token, Some(keys)).map_err(|stop| match stop {
            Stop::Failed(e) => e,
            // Not reached: given keys, the path never stops for more.
            Stop::FetchKeys { .. } => TokenProblem::UnknownKey.into(),
        })
    }

    /// The full path with `keys` (from a fetch), or with the keys at hand when `None`: stops with
    /// [`Stop::FetchKeys`] when there are none at hand.
    fn verify_with(&self, token: &str, keys: Option<Keys<'_>>) -> Result<Verified, Stop> {
        let inner = &*self.0;
        let mut signature_buf = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse(token, inner.max_token_bytes, &mut signature_buf)?;
        // A header text a verified token had is read from the memo; any other is decoded (into a
        // buffer only set up then) and read.
        let known_headers = inner.known_headers.snapshot();
        let known = KnownHeaders::find(&known_headers, jws.header_text);
        let (mut header_buf, decoded, parsed);
        let (alg, kid, typ) = match known {
            Some(known) => (known.alg, known.kid.as_deref(), known.typ.as_deref()),
            None => {
                header_buf = [0; HEADER_BYTES];
                decoded = decode_header(jws.header_text, &mut header_buf)?;
                parsed = JoseHeader::parse(&decoded)?;
                (parsed.alg, parsed.kid.as_deref(), parsed.typ.as_deref())
            }
        };
        if !inner.allowed.contains(alg) {
            return Err(TokenProblem::AlgorithmNotAllowed.into());
        }
        inner.profile.check_typ(typ)?;
        let header_text = jws.header_text;
        let (signing_input, signature) = (jws.signing_input, jws.signature);
        let json = String::from_utf8(jws.payload).map_err(|_| TokenProblem::Malformed)?;
        let wanted = Wanted { scope_claims: &inner.scope_claims, required: &inner.required_claims };
        let payload = Payload::parse(&json, wanted)?;
        let (issuer_index, issuer) = inner.issuers.select(payload.string("iss")?)?;
        let keys = match keys {
            Some(keys) => keys,
            None => issuer
                .keys_now(kid)
                .ok_or_else(|| Stop::FetchKeys { issuer: issuer_index, kid: kid.map(str::to_owned) })?,
        };

        let key = {
            let mut candidates = keys.set().candidates(kid, alg).peekable();
            if candidates.peek().is_none() {
                return Err(TokenProblem::UnknownKey.into());
            }
            let key = candidates.find(|k| k.verify(alg, signing_input, &signature));
            Arc::clone(key.ok_or(TokenProblem::BadSignature)?)
        };
        // The snapshot is not needed past the signature: let it go before the claims work.
        drop(keys);

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
        let claims = Claims::verified(registered, scopes, alg, key.shared_kid().cloned());
        if let Some(check) = &inner.custom {
            check(&claims).map_err(TokenProblem::Rejected)?;
        }
        if known.is_none() {
            inner.known_headers.remember(header_text, alg, kid, typ);
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

/// Why the full path stopped before its answer.
enum Stop {
    Failed(AuthError),
    /// The issuer's keys must be fetched first: none yet, past their staleness budget, or no key
    /// with the token's `kid` (which may be a rotation).
    FetchKeys {
        issuer: usize,
        kid: Option<String>,
    },
}

impl<E: Into<AuthError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
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
