//! Counters a user can read: fetches, failures, stale serves, rejections by reason.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::{AuthError, Reason};

/// Live counters of one validator. Relaxed atomics: cheap, eventually consistent.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) fetches: AtomicU64,
    pub(crate) fetch_failures: AtomicU64,
    pub(crate) stale_serves: AtomicU64,
    pub(crate) unknown_kid_refreshes: AtomicU64,
    pub(crate) unknown_kid_suppressed: AtomicU64,
    pub(crate) introspection_calls: AtomicU64,
    pub(crate) introspection_failures: AtomicU64,
    pub(crate) introspection_hits: AtomicU64,
    pub(crate) introspection_negative_hits: AtomicU64,
    /// Answers, by path and outcome: one counter moves per accepted token. Accepted, hits and
    /// misses are sums of these.
    hits_accepted: Striped,
    hits_rejected: AtomicU64,
    full_accepted: Striped,
    full_rejected: AtomicU64,
    rejected: Rejected,
}

/// One counter per rejection reason.
#[derive(Debug)]
struct Rejected([AtomicU64; Reason::ALL.len()]);

impl Default for Rejected {
    fn default() -> Self {
        Rejected(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

/// Which path answered a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The verified-token cache.
    Cache,
    /// The full path: signature and claims.
    Full,
}

impl Stats {
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an answer given by `path`.
    pub(crate) fn record<T>(&self, path: Path, answer: &Result<T, AuthError>) {
        match (path, answer) {
            (Path::Cache, Ok(_)) => self.hits_accepted.inc(),
            (Path::Full, Ok(_)) => self.full_accepted.inc(),
            (Path::Cache, Err(e)) => {
                self.record_rejection(e);
                Stats::inc(&self.hits_rejected);
            }
            (Path::Full, Err(e)) => {
                self.record_rejection(e);
                Stats::inc(&self.full_rejected);
            }
        }
    }

    /// Counts a refusal by its reason: the validator's, and the request-level ones (no token, a
    /// malformed request, a lacking scope) that no validation answers.
    pub(crate) fn record_rejection(&self, error: &AuthError) {
        if let Some(counter) = self.rejected.0.get(error.reason_code() as usize) {
            Stats::inc(counter);
        }
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            fetches: get(&self.fetches),
            fetch_failures: get(&self.fetch_failures),
            stale_serves: get(&self.stale_serves),
            unknown_kid_refreshes: get(&self.unknown_kid_refreshes),
            unknown_kid_suppressed: get(&self.unknown_kid_suppressed),
            introspection_calls: get(&self.introspection_calls),
            introspection_failures: get(&self.introspection_failures),
            introspection_hits: get(&self.introspection_hits),
            introspection_negative_hits: get(&self.introspection_negative_hits),
            introspection_entries: (0, 0),
            accepted: self.hits_accepted.get() + self.full_accepted.get(),
            token_cache_hits: self.hits_accepted.get() + get(&self.hits_rejected),
            token_cache_misses: self.full_accepted.get() + get(&self.full_rejected),
            token_cache_entries: 0,
            dpop_replay_store_unavailable: 0,
            revocation_stale_refusals: 0,
            revocation_stale_passes: 0,
            rejected: Reason::ALL
                .iter()
                .zip(&self.rejected.0)
                .filter(|(_, c)| get(c) > 0)
                .map(|(r, c)| (r.label(), get(c)))
                .collect(),
        }
    }
}

/// A counter every accepted token moves, split across cache lines: threads counting at once each
/// add to their own stripe (picked once per thread), so counting does not bounce one cache line
/// between cores on every request. Reading sums the stripes.
#[derive(Debug, Default)]
struct Striped([Stripe; STRIPES]);

/// One stripe, alone on its cache line pair (128 bytes: adjacent-line prefetch pairs lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

const STRIPES: usize = 16;

impl Striped {
    fn inc(&self) {
        thread_local! {
            static STRIPE: usize = {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES
            };
        }
        let i = STRIPE.with(|s| *s);
        if let Some(stripe) = self.0.get(i) {
            stripe.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn get(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

/// A copy of a validator's counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// JWKS and discovery fetches started.
    pub fetches: u64,
    /// Fetches that failed (status, timeout, size, garbage).
    pub fetch_failures: u64,
    /// Validations served from keys past their TTL because the provider could not be reached.
    pub stale_serves: u64,
    /// Refreshes triggered by a token naming an unknown `kid`.
    pub unknown_kid_refreshes: u64,
    /// Unknown-`kid` refreshes refused by the cooldown (the token failed fast instead).
    pub unknown_kid_suppressed: u64,
    /// Calls made to the introspection endpoint.
    pub introspection_calls: u64,
    /// Introspection calls that failed (status, timeout, garbage, credentials refused).
    pub introspection_failures: u64,
    /// Opaque tokens answered from a cached active introspection answer.
    pub introspection_hits: u64,
    /// Opaque tokens answered from a cached inactive (or refused) answer.
    pub introspection_negative_hits: u64,
    /// Introspection answers cached now: (active, inactive).
    pub introspection_entries: (usize, usize),
    /// Tokens accepted.
    pub accepted: u64,
    /// Validations answered from the verified-token cache (accepted, or refused because a
    /// time claim or the custom check now fails).
    pub token_cache_hits: u64,
    /// Validations that ran the full path (signature and JSON): cache off, token not cached or
    /// too large to cache, or its key no longer trusted.
    pub token_cache_misses: u64,
    /// Tokens held by the verified-token cache now.
    pub token_cache_entries: usize,
    /// DPoP proofs answered 503 because the replay store could not record them (full, or a
    /// shared store down): also counted under `unavailable`.
    pub dpop_replay_store_unavailable: u64,
    /// Requests answered 503 because the shared revocation replica was stale (also counted
    /// under `unavailable`).
    pub revocation_stale_refusals: u64,
    /// Requests let through while the revocation replica was stale (fail-open policy).
    pub revocation_stale_passes: u64,
    /// Rejections by reason label ([`AuthError::reason`]), only reasons seen.
    pub rejected: Vec<(&'static str, u64)>,
}

impl StatsSnapshot {
    /// Rejections counted for `reason`.
    pub fn rejected(&self, reason: &str) -> u64 {
        self.rejected.iter().find(|(r, _)| *r == reason).map_or(0, |(_, c)| *c)
    }
}
