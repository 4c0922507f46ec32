//! Revocation: a deny-list checked after verification, on every request (verified-token cache
//! hits included), so that a token can be taken back before it expires.
//!
//! Four kinds of entry ([`Revocation`]):
//! - one token, by `iss` + `jti` (never a hash of the token's text: ECDSA signatures are
//!   malleable, so the same token can be re-encoded around such a hash);
//! - every token of a subject (`sub`) or of a client (`client_id`, else `azp`) issued before a
//!   time T: `iat` < T, as Keycloak's not-before, so a token issued in the second of T stays
//!   valid and the user can sign in again at once; a token without `iat` is refused by such an
//!   entry; this also covers tokens without `jti`;
//! - every token bound to a DPoP key (`cnf.jkt`).
//!
//! A revoked token is answered 401 `invalid_token`, "the token has been revoked", counted under
//! `revoked`. Each entry lasts the retention ([`RevocationOptions::retention`], default one day,
//! which must exceed the longest token lifetime accepted) or, when the revoked token's own `exp`
//! is known ([`Revocations::revoke_token`]), until `exp` + leeway.
//!
//! [`Revocations::in_memory`] serves one instance. With the `redis` feature,
//! [`Revocations::redis`] shares the list: every instance keeps a local replica, fed by Redis
//! pub/sub and resynchronized at start and after any gap, so the request path never makes a
//! network call; when the replica cannot be confirmed fresh for longer than
//! [`RevocationOptions::max_stale`] (default 30 s), requests are answered 503 with
//! `Retry-After` ([`StalePolicy::FailClosed`], the default) or let through, each one logged and
//! counted ([`StalePolicy::FailOpen`]).
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use auth_core::checks::revocation::{Revocation, RevocationOptions, Revocations};
//!
//! let revocations = Revocations::in_memory(RevocationOptions::default())?;
//! let validator = auth_core::Validator::builder()
//!     .issuer(auth_core::IssuerConfig::discover("https://idp.example.com"))
//!     .audience("https://api.example.com")
//!     .revocations(revocations.clone())
//!     .build()?;
//! // Later, from an admin endpoint:
//! revocations.revoke(Revocation::subject("user-42", None)).await?;
//! # Ok(()) }
//! ```

mod check;
mod replica;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

pub(crate) use check::RevocationCheck;
pub(crate) use replica::{Kind, Replica, Terms, TokenKeys};

use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;

/// The default retention of an entry: one day.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(86_400);
/// The default staleness budget of a shared replica.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(30);
/// The default bound on entries a process records.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// The longest value an entry may name (a `jti`, a `sub`, …), in bytes.
pub const MAX_VALUE_BYTES: usize = 1024;

/// One deny-list entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Revocation {
    /// The token with this `iss` and `jti`.
    Token {
        /// The issuer (`iss`).
        issuer: String,
        /// The token's `jti`.
        jti: String,
    },
    /// Every token of this subject issued before `before` (`iat` < `before`, Unix seconds).
    Subject {
        /// `sub`.
        sub: String,
        /// The cut-off.
        before: i64,
    },
    /// Every token of this client issued before `before` (`client_id`, else `azp`).
    Client {
        /// `client_id`.
        client_id: String,
        /// The cut-off.
        before: i64,
    },
    /// Every token bound to this DPoP key (`cnf.jkt`).
    Key {
        /// The key's RFC 7638 SHA-256 thumbprint, base64url.
        jkt: String,
    },
}

impl Revocation {
    /// The token `iss` + `jti`.
    pub fn token(issuer: impl Into<String>, jti: impl Into<String>) -> Self {
        Revocation::Token { issuer: issuer.into(), jti: jti.into() }
    }

    /// Every token of `sub` issued before `before` (`None`: now, when revoked).
    pub fn subject(sub: impl Into<String>, before: Option<i64>) -> Self {
        Revocation::Subject { sub: sub.into(), before: before.unwrap_or(NOW) }
    }

    /// Every token of `client_id` issued before `before` (`None`: now, when revoked).
    pub fn client(client_id: impl Into<String>, before: Option<i64>) -> Self {
        Revocation::Client { client_id: client_id.into(), before: before.unwrap_or(NOW) }
    }

    /// Every token bound to the DPoP key of thumbprint `jkt`.
    pub fn key(jkt: impl Into<String>) -> Self {
        Revocation::Key { jkt: jkt.into() }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Revocation::Token { .. } => Kind::Token,
            Revocation::Subject { .. } => Kind::Subject,
            Revocation::Client { .. } => Kind::Client,
            Revocation::Key { .. } => Kind::Key,
        }
    }

    /// The identity's values (what the entry is keyed by; `before` is a term, not identity).
    pub(crate) fn values(&self) -> (&str, &str) {
        match self {
            Revocation::Token { issuer, jti } => (issuer, jti),
            Revocation::Subject { sub, .. } => (sub, ""),
            Revocation::Client { client_id, .. } => (client_id, ""),
            Revocation::Key { jkt } => (jkt, ""),
        }
    }

    /// The cut-off, for the kinds that have one.
    pub(crate) fn before(&self) -> Option<i64> {
        match self {
            Revocation::Subject { before, .. } | Revocation::Client { before, .. } => Some(*before),
            Revocation::Token { .. } | Revocation::Key { .. } => None,
        }
    }

    /// Checks the values: not empty, at most [`MAX_VALUE_BYTES`], a cut-off not negative.
    pub fn check(&self) -> Result<(), RevocationError> {
        let (first, second) = self.values();
        let named = |v: &str| !v.is_empty() && v.len() <= MAX_VALUE_BYTES;
        let ok = match self {
            Revocation::Token { .. } => named(first) && named(second),
            _ => named(first),
        };
        if !ok {
            return Err(RevocationError::Invalid("values must be 1 to 1024 bytes"));
        }
        if self.before().is_some_and(|b| b < 0 && b != NOW) {
            return Err(RevocationError::Invalid("`before` must be a NumericDate (seconds since 1970)"));
        }
        Ok(())
    }

    /// `before` resolved against `now` (the "now" of [`Revocation::subject`] with `None`).
    fn resolved(mut self, now: i64) -> Self {
        if let Revocation::Subject { before, .. } | Revocation::Client { before, .. } = &mut self
            && *before == NOW
        {
            *before = now;
        }
        self
    }
}

/// "Now", until the revocation is recorded.
const NOW: i64 = i64::MIN;

/// What a replica does when it cannot be confirmed fresh within the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StalePolicy {
    /// Answer 503 with `Retry-After`: no request passes a check that cannot decide (default).
    #[default]
    FailClosed,
    /// Let requests through on what the replica knows; each one logged (`warn`) and counted.
    FailOpen,
}

/// How revocations are kept.
#[derive(Debug, Clone)]
pub struct RevocationOptions {
    pub(crate) retention: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) stale: StalePolicy,
    pub(crate) max_entries: usize,
    pub(crate) leeway: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Default for RevocationOptions {
    fn default() -> Self {
        RevocationOptions {
            retention: DEFAULT_RETENTION,
            max_stale: DEFAULT_MAX_STALE,
            stale: StalePolicy::FailClosed,
            max_entries: DEFAULT_MAX_ENTRIES,
            leeway: crate::DEFAULT_LEEWAY,
            clock: Arc::new(SystemClock),
        }
    }
}

impl RevocationOptions {
    /// How long an entry lasts (default one day). It must exceed the longest lifetime of the
    /// tokens accepted: an entry that expires first lets its token through again.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How long a shared replica may go unconfirmed before [`StalePolicy`] applies (default
    /// 30 s). Unused by the in-memory list, which is always current.
    pub fn max_stale(mut self, budget: Duration) -> Self {
        self.max_stale = budget;
        self
    }

    /// What a stale replica does (default [`StalePolicy::FailClosed`]).
    pub fn stale_policy(mut self, policy: StalePolicy) -> Self {
        self.stale = policy;
        self
    }

    /// The most entries this process records (default 1,000,000); beyond, [`Revocations::revoke`]
    /// answers [`RevocationError::Full`]. Entries another instance shared are always kept.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// The leeway added to a revoked token's `exp` (default the validator's default, 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for cut-offs and expiries (tests inject [`crate::ManualClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.retention.is_zero() || self.retention > Duration::from_secs(366 * 86_400) {
            return Err(ConfigError::new("revocation.retention", "must be between 1 s and 366 days"));
        }
        if self.max_stale.is_zero() || self.max_stale > Duration::from_secs(86_400) {
            return Err(ConfigError::new("revocation.max_stale", "must be between 1 ms and one day"));
        }
        if self.max_entries == 0 {
            return Err(ConfigError::new("revocation.max_entries", "must be at least 1"));
        }
        Ok(())
    }
}

/// Why a revocation could not be recorded or lifted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The entry is malformed (the text says how).
    #[error("invalid revocation: {0}")]
    Invalid(&'static str),
    /// The process already records [`RevocationOptions::max_entries`] entries.
    #[error("the revocation list is full")]
    Full,
    /// The shared store cannot be reached; nothing was recorded. Retry after `retry_after`.
    #[error("the revocation store is unavailable ({reason})")]
    Unavailable {
        /// Why, for logs.
        reason: &'static str,
        /// When to retry.
        retry_after: Duration,
    },
}

/// Whether the replica can be trusted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationState {
    /// In memory, this process only: always current.
    Local,
    /// Shared, and confirmed current within the staleness budget.
    Fresh,
    /// Shared, and not confirmed within the budget (or never yet).
    Stale,
}

impl RevocationState {
    /// `local`, `fresh` or `stale`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationState::Local => "local",
            RevocationState::Fresh => "fresh",
            RevocationState::Stale => "stale",
        }
    }
}

/// The shared state's freshness, as the request path reads it: one atomic.
#[derive(Debug)]
pub(crate) struct Freshness(AtomicU8);

impl Freshness {
    const LOCAL: u8 = 0;
    const FRESH: u8 = 1;
    const STALE: u8 = 2;

    pub(crate) fn state(&self) -> RevocationState {
        match self.0.load(Ordering::Acquire) {
            Self::LOCAL => RevocationState::Local,
            Self::FRESH => RevocationState::Fresh,
            _ => RevocationState::Stale,
        }
    }

    /// Not confirmed yet (a shared list before its first read).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn stale() -> Self {
        Freshness(AtomicU8::new(Self::STALE))
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn set(&self, fresh: bool) {
        self.0.store(if fresh { Self::FRESH } else { Self::STALE }, Ordering::Release);
    }
}

/// Where entries go beyond this process.
pub(crate) enum Backend {
    /// Nowhere: this process only.
    Local,
    /// A shared store, which feeds the replica.
    #[cfg(feature = "redis")]
    Redis(crate::store::redis::RevocationFeed),
}

/// What every clone of a [`Revocations`] shares.
pub(crate) struct Shared {
    pub(crate) replica: Replica,
    pub(crate) freshness: Freshness,
    pub(crate) options: RevocationOptions,
    pub(crate) backend: Backend,
    /// Requests let through by [`StalePolicy::FailOpen`] while stale.
    pub(crate) stale_passes: AtomicU64,
    /// Requests answered 503 because the replica was stale.
    pub(crate) stale_refusals: AtomicU64,
}

/// The deny-list: the handle an application revokes with, and what
/// [`ValidatorBuilder::revocations`](crate::ValidatorBuilder::revocations) checks every request
/// against. Clones share the list.
#[derive(Clone)]
pub struct Revocations(pub(crate) Arc<Shared>);

impl Revocations {
    /// A list in this process's memory: one instance; nothing survives a restart.
    pub fn in_memory(options: RevocationOptions) -> Result<Self, ConfigError> {
        options.check()?;
        Ok(Revocations::with_backend(options, Backend::Local, Freshness(AtomicU8::new(Freshness::LOCAL))))
    }

    pub(crate) fn with_backend(options: RevocationOptions, backend: Backend, freshness: Freshness) -> Self {
        Revocations(Arc::new(Shared {
            replica: Replica::new(),
            freshness,
            options,
            backend,
            stale_passes: AtomicU64::new(0),
            stale_refusals: AtomicU64::new(0),
        }))
    }

    /// Revokes; the entry lasts the retention. With a shared store, this returns once the store
    /// recorded it (this instance refuses at once; the others within their replica's delay).
    pub async fn revoke(&self, revocation: Revocation) -> Result<(), RevocationError> {
        let now = self.now();
        let until = now.saturating_add(secs(self.0.options.retention));
        revocation.check()?;
        self.record(revocation, now, until).await
    }

    /// Revokes the token these verified claims came from: by `iss` + `jti`, until its `exp` plus
    /// leeway (or the retention, if shorter). A token without `jti` cannot be revoked alone:
    /// revoke its subject or client instead.
    pub async fn revoke_token(&self, claims: &Claims) -> Result<(), RevocationError> {
        let registered = claims.registered();
        let jti = registered.jti().ok_or(RevocationError::Invalid("the token has no `jti`"))?;
        if jti.is_empty() || jti.len() > MAX_VALUE_BYTES {
            return Err(RevocationError::Invalid("values must be 1 to 1024 bytes"));
        }
        let revocation = Revocation::token(registered.iss().unwrap_or(""), jti);
        let now = self.now();
        let mut until = now.saturating_add(secs(self.0.options.retention));
        if let Some(exp) = registered.exp() {
            until = until.min(exp.saturating_add(secs(self.0.options.leeway)));
        }
        self.record(revocation, now, until).await
    }

    async fn record(&self, revocation: Revocation, now: i64, until: i64) -> Result<(), RevocationError> {
        let revocation = revocation.resolved(now);
        let terms = Terms { before: revocation.before(), expires_at: until };
        if self.0.replica.len() >= self.0.options.max_entries && !self.0.replica.contains(&revocation) {
            self.0.replica.purge(now);
            if self.0.replica.len() >= self.0.options.max_entries {
                return Err(RevocationError::Full);
            }
        }
        match &self.0.backend {
            Backend::Local => {}
            #[cfg(feature = "redis")]
            Backend::Redis(feed) => feed.add(&revocation, terms).await?,
        }
        self.0.replica.insert(&revocation, terms);
        tracing::info!(kind = revocation.kind_label(), "revocation recorded");
        Ok(())
    }

    /// Lifts the entry with `revocation`'s identity (its `before` is ignored); lifting an entry
    /// that does not exist succeeds.
    pub async fn lift(&self, revocation: &Revocation) -> Result<(), RevocationError> {
        revocation.check()?;
        match &self.0.backend {
            Backend::Local => {}
            #[cfg(feature = "redis")]
            Backend::Redis(feed) => feed.lift(revocation).await?,
        }
        self.0.replica.remove(revocation);
        tracing::info!(kind = revocation.kind_label(), "revocation lifted");
        Ok(())
    }

    /// Whether the replica can be trusted now.
    pub fn state(&self) -> RevocationState {
        self.0.freshness.state()
    }

    /// Entries held (expired ones until purged).
    pub fn len(&self) -> usize {
        self.0.replica.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether an entry refuses a token with these claims (bound to `jkt`, when it is).
    pub fn is_revoked(&self, claims: &Claims) -> bool {
        self.0.replica.refuses(claims, || self.now())
    }

    /// Requests let through while stale under [`StalePolicy::FailOpen`].
    pub fn stale_passes(&self) -> u64 {
        self.0.stale_passes.load(Ordering::Relaxed)
    }

    /// Requests answered 503 while stale under [`StalePolicy::FailClosed`].
    pub fn stale_refusals(&self) -> u64 {
        self.0.stale_refusals.load(Ordering::Relaxed)
    }

    pub(crate) fn now(&self) -> i64 {
        self.0.options.clock.now_unix()
    }
}

impl Revocation {
    fn kind_label(&self) -> &'static str {
        match self {
            Revocation::Token { .. } => "jti",
            Revocation::Subject { .. } => "sub",
            Revocation::Client { .. } => "client_id",
            Revocation::Key { .. } => "jkt",
        }
    }
}

impl fmt::Debug for Revocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revocations")
            .field("state", &self.state())
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
