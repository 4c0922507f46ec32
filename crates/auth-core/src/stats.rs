//! Counters a user can read: fetches, failures, stale serves, rejections by reason. Each one
//! also moves its [`crate::metrics`] series (feature `metrics`), here and nowhere else, so a
//! snapshot and a scrape count the same events.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::{AuthError, Reason};
use crate::metrics::{Level, Meter, Timer, describe, names};

/// Live counters of one validator. Relaxed atomics: cheap, eventually consistent.
#[derive(Debug)]
pub(crate) struct Stats {
    pub(crate) fetches: Count,
    pub(crate) fetch_failures: Count,
    pub(crate) discovery_fetches: Count,
    pub(crate) discovery_fetch_failures: Count,
    pub(crate) stale_serves: Count,
    pub(crate) unknown_kid_refreshes: Count,
    pub(crate) unknown_kid_suppressed: Count,
    pub(crate) introspection_calls: Count,
    pub(crate) introspection_failures: Count,
    pub(crate) introspection_hits: Count,
    pub(crate) introspection_negative_hits: Count,
    /// Answers, by path and outcome: one counter moves per accepted token. Accepted, hits and
    /// misses are sums of these.
    hits_accepted: Striped,
    hits_rejected: Count,
    full_accepted: Striped,
    full_rejected: Count,
    rejected: Rejected,
    /// The full path's duration (`auth_validation_duration_seconds`).
    pub(crate) full_path_time: Timer,
    /// `auth_ready`.
    pub(crate) ready: Level,
}

/// One event counter: the value [`Stats::snapshot`] reads, and its metrics series.
#[derive(Debug)]
pub(crate) struct Count {
    value: AtomicU64,
    meter: Meter,
}

impl Count {
    fn new(name: &'static str, labels: &[(&'static str, &'static str)]) -> Count {
        Count { value: AtomicU64::new(0), meter: Meter::new(name, labels) }
    }

    fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

/// One counter per rejection reason.
#[derive(Debug)]
struct Rejected([Count; Reason::ALL.len()]);

/// Which path answered a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The verified-token cache.
    Cache,
    /// The full path: signature and claims.
    Full,
}

impl Stats {
    /// Counters at zero, their series registered with the recorder in force now.
    pub(crate) fn new() -> Stats {
        describe();
        let validations = |path, outcome| [("path", path), ("outcome", outcome)];
        Stats {
            fetches: Count::new(names::JWKS_FETCHES, &[]),
            fetch_failures: Count::new(names::JWKS_FETCH_FAILURES, &[]),
            discovery_fetches: Count::new(names::DISCOVERY_FETCHES, &[]),
            discovery_fetch_failures: Count::new(names::DISCOVERY_FETCH_FAILURES, &[]),
            stale_serves: Count::new(names::JWKS_STALE_SERVES, &[]),
            unknown_kid_refreshes: Count::new(names::JWKS_UNKNOWN_KID_REFRESHES, &[]),
            unknown_kid_suppressed: Count::new(names::JWKS_UNKNOWN_KID_SUPPRESSED, &[]),
            introspection_calls: Count::new(names::INTROSPECTION_CALLS, &[]),
            introspection_failures: Count::new(names::INTROSPECTION_FAILURES, &[]),
            introspection_hits: Count::new(names::INTROSPECTION_CACHE_HITS, &[("answer", "active")]),
            introspection_negative_hits: Count::new(
                names::INTROSPECTION_CACHE_HITS,
                &[("answer", "inactive")],
            ),
            hits_accepted: Striped::new(Meter::new(names::VALIDATIONS, &validations("cache", "accepted"))),
            hits_rejected: Count::new(names::VALIDATIONS, &validations("cache", "rejected")),
            full_accepted: Striped::new(Meter::new(names::VALIDATIONS, &validations("full", "accepted"))),
            full_rejected: Count::new(names::VALIDATIONS, &validations("full", "rejected")),
            rejected: Rejected(Reason::ALL.map(|r| Count::new(names::REJECTIONS, &[("reason", r.label())]))),
            full_path_time: Timer::new(),
            ready: Level::new(names::READY, None),
        }
    }

    pub(crate) fn inc(counter: &Count) {
        counter.value.fetch_add(1, Ordering::Relaxed);
        counter.meter.inc();
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
        let get = Count::get;
        StatsSnapshot {
            fetches: get(&self.fetches),
            fetch_failures: get(&self.fetch_failures),
            discovery_fetches: get(&self.discovery_fetches),
            discovery_fetch_failures: get(&self.discovery_fetch_failures),
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
struct Striped {
    stripes: [Stripe; STRIPES],
    meter: Meter,
}

/// One stripe, alone on its cache line pair (128 bytes: adjacent-line prefetch pairs lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

const STRIPES: usize = 16;

impl Striped {
    fn new(meter: Meter) -> Striped {
        Striped { stripes: Default::default(), meter }
    }

    fn inc(&self) {
        thread_local! {
            static STRIPE: usize = {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES
            };
        }
        let i = STRIPE.with(|s| *s);
        if let Some(stripe) = self.stripes.get(i) {
            stripe.0.fetch_add(1, Ordering::Relaxed);
        }
        self.meter.inc();
    }

    fn get(&self) -> u64 {
        self.stripes.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
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
    /// Issuer metadata documents requested (discovery) to find the `jwks_uri`.
    pub discovery_fetches: u64,
    /// Metadata requests that failed.
    pub discovery_fetch_failures: u64,
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
