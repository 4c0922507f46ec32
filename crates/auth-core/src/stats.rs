//! Counters a user can read: fetches, failures, stale serves, rejections by reason.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::AuthError;

/// Live counters of one validator. Relaxed atomics: cheap, eventually consistent.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) fetches: AtomicU64,
    pub(crate) fetch_failures: AtomicU64,
    pub(crate) stale_serves: AtomicU64,
    pub(crate) unknown_kid_refreshes: AtomicU64,
    pub(crate) unknown_kid_suppressed: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) token_cache_hits: AtomicU64,
    pub(crate) token_cache_misses: AtomicU64,
    rejected: [AtomicU64; REASONS.len()],
}

const REASONS: [&str; 24] = [
    "missing_token",
    "malformed_authorization",
    "empty_credentials",
    "multiple_credentials",
    "malformed",
    "algorithm_not_allowed",
    "type_not_accepted",
    "unsupported_critical",
    "unknown_issuer",
    "unknown_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "too_old",
    "missing_claim",
    "wrong_claim_type",
    "wrong_audience",
    "client_not_allowed",
    "rejected",
    "insufficient_scope",
    "unavailable",
    "other",
    "",
];

impl Stats {
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_rejection(&self, error: &AuthError) {
        let reason = error.reason();
        let i = REASONS.iter().position(|r| *r == reason).unwrap_or(REASONS.len() - 2);
        Stats::inc(&self.rejected[i]);
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            fetches: get(&self.fetches),
            fetch_failures: get(&self.fetch_failures),
            stale_serves: get(&self.stale_serves),
            unknown_kid_refreshes: get(&self.unknown_kid_refreshes),
            unknown_kid_suppressed: get(&self.unknown_kid_suppressed),
            accepted: get(&self.accepted),
            token_cache_hits: get(&self.token_cache_hits),
            token_cache_misses: get(&self.token_cache_misses),
            token_cache_entries: 0,
            rejected: REASONS
                .iter()
                .zip(&self.rejected)
                .filter(|(r, c)| !r.is_empty() && get(c) > 0)
                .map(|(r, c)| (*r, get(c)))
                .collect(),
        }
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
    /// Rejections by reason label ([`AuthError::reason`]), only reasons seen.
    pub rejected: Vec<(&'static str, u64)>,
}

impl StatsSnapshot {
    /// Rejections counted for `reason`.
    pub fn rejected(&self, reason: &str) -> u64 {
        self.rejected.iter().find(|(r, _)| *r == reason).map_or(0, |(_, c)| *c)
    }
}
