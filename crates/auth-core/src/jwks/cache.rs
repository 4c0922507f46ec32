//! The JWKS cache: one fetch for many callers, refresh ahead of expiry, a cooldown on
//! unknown-`kid` refreshes, bounded staleness when the provider fails, backoff between failures.
//!
//! The request path never holds a lock across I/O: the key set is an `ArcSwap` read without
//! waiting, and a refresh runs in its own task whose result concurrent callers share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::{ArcSwapOption, Guard};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::algorithm::AlgorithmSet;
use crate::error::AuthError;
use crate::jwks::JwksOptions;
use crate::jwks::discovery::{ProviderMetadata, discover};
use crate::jwks::fetch::{FetchError, Fetched, Fetcher};
use crate::keys::{JwksDocumentError, KeyOrigin, KeySet, VerifyingKey};
use crate::metrics::{Level, names};
use crate::stats::Stats;

/// Where the key set lives.
#[derive(Debug, Clone)]
pub(crate) enum JwksLocation {
    /// A JWKS URL given by the operator.
    Url(Url),
    /// Found through the issuer's metadata.
    Discovery { issuer: String, issuer_url: Url },
}

/// The issuer's metadata, its checked `jwks_uri`, and until when that answer is used (the
/// document's `max-age` clamped like a key set's TTL: `default_ttl` without one, at most
/// `max_ttl`, a day by default).
#[derive(Debug)]
struct Discovered {
    #[allow(dead_code)] // its other endpoints are for introspection and client credentials
    metadata: ProviderMetadata,
    url: Url,
    fresh_until: Instant,
}

/// One fetched key set and when it stops being fresh.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: KeySet,
    fetched_at: Instant,
    ttl: Duration,
    seq: u64,
}

impl Snapshot {
    /// Whether these keys are still within their TTL plus the staleness budget at `now`.
    fn within_budget(&self, now: Instant, max_stale: Duration) -> bool {
        now.saturating_duration_since(self.fetched_at) < self.ttl + max_stale
    }
}

type SharedRefresh = Shared<BoxFuture<'static, Result<Arc<Snapshot>, FetchError>>>;

/// The refresh in flight: its number, the future every caller joins, and its task (aborted when
/// the validator is dropped; `None` for the moment between reserving the slot and the spawn).
struct Inflight {
    generation: u64,
    refresh: SharedRefresh,
    task: Option<tokio::task::AbortHandle>,
}

#[derive(Debug, Default)]
struct Control {
    /// When the last refresh caused by an unknown `kid` started (the cooldown's origin).
    last_kid_refresh: Option<Instant>,
    /// Consecutive failed fetches.
    failures: u32,
    /// No fetch before this instant (backoff after failures).
    retry_at: Option<Instant>,
}

/// A provider's keys, fetched and kept fresh.
pub(crate) struct JwksCache {
    location: JwksLocation,
    discovered: ArcSwapOption<Discovered>,
    fetcher: Fetcher,
    options: JwksOptions,
    allowed: AlgorithmSet,
    state: ArcSwapOption<Snapshot>,
    inflight: Mutex<Option<Inflight>>,
    generations: AtomicU64,
    /// The runtime the validator was built on: refreshes started from a thread without one
    /// (a cache hit in a plain thread) run there; without either, no refresh starts.
    runtime: Option<tokio::runtime::Handle>,
    control: Mutex<Control>,
    seq: AtomicU64,
    stats: Arc<Stats>,
    /// `auth_jwks_last_refresh_timestamp_seconds` and `auth_jwks_age_seconds` of this key set.
    refreshed_at: Level,
    age: Level,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked: every update is one assignment.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JwksCache {
    pub(crate) fn new(
        location: JwksLocation,
        fetcher: Fetcher,
        options: JwksOptions,
        allowed: AlgorithmSet,
        stats: Arc<Stats>,
    ) -> Self {
        let label = || Some(("jwks", JwksCache::label_of(&location).to_owned()));
        let (refreshed_at, age) =
            (Level::new(names::JWKS_LAST_REFRESH, label()), Level::new(names::JWKS_AGE, label()));
        JwksCache {
            location,
            discovered: ArcSwapOption::empty(),
            fetcher,
            options,
            allowed,
            state: ArcSwapOption::empty(),
            inflight: Mutex::new(None),
            generations: AtomicU64::new(0),
            runtime: tokio::runtime::Handle::try_current().ok(),
            control: Mutex::new(Control::default()),
            seq: AtomicU64::new(0),
            stats,
            refreshed_at,
            age,
        }
    }

    fn label(&self) -> &str {
        JwksCache::label_of(&self.location)
    }

    /// The key set's name in logs and metrics: what the operator configured.
    fn label_of(location: &JwksLocation) -> &str {
        match location {
            JwksLocation::Url(u) => u.as_str(),
            JwksLocation::Discovery { issuer, .. } => issuer,
        }
    }

    /// Whether keys are loaded (fresh or within the staleness budget). A fetched JWKS with no
    /// usable key counts: the provider has answered, and tokens get a definitive 401 (logged as an
    /// error at install) rather than a 503 a readiness probe could not cure.
    /// Sets the key set's age gauge on the way.
    pub(crate) fn is_ready(&self) -> bool {
        let now = Instant::now();
        let state = self.state.load();
        let Some(snap) = state.as_ref() else { return false };
        self.age.set(now.saturating_duration_since(snap.fetched_at).as_secs_f64());
        snap.within_budget(now, self.options.max_stale)
    }

    /// The key set to verify a token naming `kid` with. Waits for I/O only when no usable keys are
    /// loaded, or when `kid` is unknown and the cooldown allows a refresh.
    pub(crate) async fn keys_for(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<Snapshot>, AuthError> {
        let now = Instant::now();
        let snap = match self.state.load_full() {
            None => self.refresh_and_wait(now).await?,
            Some(snap) => {
                if self.usable(&snap, now) {
                    snap
                } else {
                    tracing::warn!(jwks = self.label(), "keys are past their staleness budget; refetching");
                    self.refresh_and_wait(now).await?
                }
            }
        };
        let Some(kid) = kid else { return Ok(snap) };
        if snap.keys.contains_kid(kid) {
            return Ok(snap);
        }
        if self.claim_kid_refresh(now) {
            Stats::inc(&self.stats.unknown_kid_refreshes);
            tracing::debug!(jwks = self.label(), "unknown kid; refreshing keys");
            self.refresh_and_wait(now).await
        } else {
            Stats::inc(&self.stats.unknown_kid_suppressed);
            Ok(snap)
        }
    }

    /// [`JwksCache::keys_for`] when it needs no fetch: the current keys if they are within their
    /// staleness budget and hold `kid` (when one is named), else `None` (then call `keys_for`).
    /// No `Arc` is cloned: the guard borrows the current snapshot, so threads validating at once
    /// do not contend on its reference count.
    pub(crate) fn keys_now(self: &Arc<Self>, kid: Option<&str>) -> Option<Guard<Option<Arc<Snapshot>>>> {
        let now = Instant::now();
        let guard = self.state.load();
        let snap = guard.as_deref()?;
        // Both tests come first, so `usable` (which counts a stale serve and may start a
        // refresh) runs once per validation, whichever path answers.
        if kid.is_some_and(|kid| !snap.keys.contains_kid(kid))
            || !snap.within_budget(now, self.options.max_stale)
        {
            return None;
        }
        self.usable(snap, now).then_some(guard)
    }

    /// Whether `snap` may still verify tokens (within its staleness budget). Starts a background
    /// refresh when one is due: ahead of expiry, or once past the TTL (a stale serve).
    fn usable(self: &Arc<Self>, snap: &Snapshot, now: Instant) -> bool {
        if !snap.within_budget(now, self.options.max_stale) {
            return false;
        }
        let age = now.saturating_duration_since(snap.fetched_at);
        let ahead = self.options.refresh_ahead.min(snap.ttl / 2);
        if age >= snap.ttl {
            Stats::inc(&self.stats.stale_serves);
            self.refresh_in_background(now);
        } else if age + ahead >= snap.ttl {
            self.refresh_in_background(now);
        }
        true
    }

    /// For the verified-token cache, without I/O: whether the current keys are usable and still
    /// hold this exact key. Starts a due refresh like a cold validation would, so a key removed
    /// from the JWKS is noticed even when every request is a cache hit.
    pub(crate) fn still_holds(self: &Arc<Self>, key: &Arc<VerifyingKey>) -> bool {
        let guard = self.state.load();
        let Some(snap) = guard.as_deref() else { return false };
        self.usable(snap, Instant::now()) && snap.keys.holds(key)
    }

    /// Takes the unknown-`kid` refresh slot if the cooldown has passed.
    fn claim_kid_refresh(&self, now: Instant) -> bool {
        let mut c = lock(&self.control);
        match c.last_kid_refresh {
            Some(last) if now.saturating_duration_since(last) < self.options.unknown_kid_cooldown => false,
            _ => {
                c.last_kid_refresh = Some(now);
                true
            }
        }
    }

    /// The remaining backoff, if fetches are paused after failures.
    fn backoff_remaining(&self, now: Instant) -> Option<Duration> {
        lock(&self.control).retry_at.map(|t| t.saturating_duration_since(now)).filter(|d| !d.is_zero())
    }

    /// Waits for a refresh, at most `max_wait`: a hung provider holds no request for the whole
    /// fetch timeout. The fetch carries on in its own task for the requests after this one.
    async fn refresh_and_wait(self: &Arc<Self>, now: Instant) -> Result<Arc<Snapshot>, AuthError> {
        if let Some(wait) = self.backoff_remaining(now) {
            return Err(AuthError::Unavailable { retry_after: wait });
        }
        let unavailable = |this: &Self| AuthError::Unavailable {
            retry_after: this.backoff_remaining(Instant::now()).unwrap_or(this.options.retry_backoff),
        };
        let Some(refresh) = self.start_refresh() else {
            tracing::warn!(jwks = self.label(), "no tokio runtime to fetch keys on");
            return Err(unavailable(self));
        };
        // A timer needs a runtime here; a caller without one waits for the fetch's own timeout.
        let answer = if tokio::runtime::Handle::try_current().is_ok() {
            tokio::time::timeout(self.options.max_wait, refresh).await.ok()
        } else {
            Some(refresh.await)
        };
        match answer {
            Some(Ok(snapshot)) => Ok(snapshot),
            Some(Err(_)) => Err(unavailable(self)),
            None => {
                tracing::warn!(
                    jwks = self.label(),
                    max_wait_secs = self.options.max_wait.as_secs_f32(),
                    "keys not fetched in time; answering unavailable while the fetch goes on"
                );
                Err(unavailable(self))
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>, now: Instant) {
        if self.backoff_remaining(now).is_none() {
            drop(self.start_refresh());
        }
    }

    /// Joins the refresh in flight, or starts one in its own task (so a caller that gives up does
    /// not cancel it for the others); `None` when there is no runtime to run it on.
    ///
    /// The slot is cleared however the task ends: by the task's own guard when it finishes or
    /// is dropped (its runtime shut down, even before it first ran; a panic), and by whoever
    /// awaits it. A refresh that never completed can never wedge later ones.
    fn start_refresh(self: &Arc<Self>) -> Option<SharedRefresh> {
        let mut slot = lock(&self.inflight);
        if let Some(inflight) = slot.as_ref() {
            return Some(inflight.refresh.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().ok().or_else(|| self.runtime.clone())?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let (done, result) = tokio::sync::oneshot::channel();
        let weak = Arc::downgrade(self);
        let refresh = async move {
            let result = result.await;
            if let Some(cache) = weak.upgrade() {
                cache.clear_slot(generation);
            }
            result.unwrap_or_else(|_| Err(FetchError::Transport("refresh task ended abnormally".into())))
        }
        .boxed()
        .shared();
        *slot = Some(Inflight { generation, refresh: refresh.clone(), task: None });
        // Spawned without the lock: a runtime that is shutting down drops the task (and its
        // guard, which takes the lock) inside `spawn`.
        drop(slot);
        let guard = ClearSlot { cache: Arc::clone(self), generation };
        // Its own span: refresh logs carry which key set, whichever request started the refresh.
        let span = tracing::info_span!("jwks_refresh", jwks = %self.label());
        let task = runtime.spawn(
            async move {
                let result = guard.cache.fetch_and_install().await;
                drop(guard);
                let _ = done.send(result);
            }
            .instrument(span),
        );
        let mut slot = lock(&self.inflight);
        match slot.as_mut().filter(|i| i.generation == generation) {
            Some(inflight) => inflight.task = Some(task.abort_handle()),
            // Already over, or taken by `abort_refresh` before the task existed: make sure.
            None => task.abort(),
        }
        Some(refresh)
    }

    /// Empties the slot if it still holds refresh number `generation`.
    fn clear_slot(&self, generation: u64) {
        let mut slot = lock(&self.inflight);
        if slot.as_ref().is_some_and(|i| i.generation == generation) {
            *slot = None;
        }
    }

    /// Stops the refresh in flight (the validator is going away).
    pub(crate) fn abort_refresh(&self) {
        if let Some(task) = lock(&self.inflight).take().and_then(|i| i.task) {
            task.abort();
        }
    }

    async fn fetch_and_install(&self) -> Result<Arc<Snapshot>, FetchError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        Stats::inc(&self.stats.fetches);
        match self.fetch_keys().await {
            Ok((mut keys, max_age)) => {
                let current = self.state.load_full();
                if let Some(current) = &current {
                    // No usable key at all while good keys are still within their budget: keep
                    // serving those (a provider's mistake should not empty a working cache).
                    // It counts as a failure for the backoff, or every request past the TTL
                    // would fetch again.
                    if keys.is_empty()
                        && !current.keys.is_empty()
                        && current.within_budget(Instant::now(), self.options.max_stale)
                    {
                        let backoff = self.note_failure();
                        tracing::warn!(
                            jwks = self.label(),
                            serving_cached_keys = current.keys.len(),
                            retry_in_secs = backoff.as_secs_f32(),
                            "refreshed JWKS has no usable key; keeping the last good keys"
                        );
                        return Ok(Arc::clone(current));
                    }
                    keys.keep_identities(&current.keys);
                }
                if keys.is_empty() {
                    tracing::error!(
                        jwks = self.label(),
                        "the JWKS holds no usable key: every token of this issuer is refused (401)"
                    );
                }
                let ttl = self.options.ttl(max_age);
                let fresh = Arc::new(Snapshot { keys, fetched_at: Instant::now(), ttl, seq });
                // An older response never replaces a newer one.
                let previous = self.state.rcu(|current| match current {
                    Some(c) if c.seq > seq => Some(Arc::clone(c)),
                    _ => Some(Arc::clone(&fresh)),
                });
                {
                    let mut c = lock(&self.control);
                    c.failures = 0;
                    c.retry_at = None;
                }
                self.refreshed_at.set_to_now();
                self.age.set(0.0);
                tracing::debug!(
                    jwks = self.label(),
                    keys = fresh.keys.len(),
                    ttl_secs = ttl.as_secs(),
                    "keys refreshed"
                );
                match previous {
                    Some(p) if p.seq > seq => Ok(p),
                    _ => Ok(fresh),
                }
            }
            Err(error) => {
                let backoff = self.note_failure();
                let serving = self.state.load().as_ref().map(|s| s.keys.len());
                tracing::warn!(
                    jwks = self.label(),
                    %error,
                    retry_in_secs = backoff.as_secs_f32(),
                    serving_cached_keys = ?serving,
                    "key refresh failed"
                );
                Err(error)
            }
        }
    }

    /// Counts a failed refresh and starts (or doubles) the backoff; returns its length.
    fn note_failure(&self) -> Duration {
        Stats::inc(&self.stats.fetch_failures);
        let mut c = lock(&self.control);
        c.failures = c.failures.saturating_add(1);
        let factor = 1u32 << (c.failures - 1).min(16);
        let backoff = self.options.retry_backoff.saturating_mul(factor).min(self.options.max_retry_backoff);
        c.retry_at = Some(Instant::now() + backoff);
        backoff
    }

    async fn fetch_keys(&self) -> Result<(KeySet, Option<Duration>), FetchError> {
        let doc = match &self.location {
            JwksLocation::Url(url) => self.fetcher.get(url).await?,
            JwksLocation::Discovery { .. } => self.fetch_discovered().await?,
        };
        let keys = match KeySet::from_jwks(&doc.body, KeyOrigin::Jwks, self.allowed, self.options.max_keys) {
            Ok(keys) => keys,
            // A key set the provider did publish, none of whose keys may verify tokens: a
            // definitive answer (tokens are 401 `unknown_key`), not a fault to retry.
            Err(JwksDocumentError::NoUsableKey(total, reasons)) => {
                tracing::warn!(jwks = self.label(), total, %reasons, "the JWKS holds no key usable for verification");
                KeySet::new(Vec::new())
            }
            Err(e) => return Err(FetchError::Invalid(e.to_string())),
        };
        Ok((keys, doc.max_age))
    }
}

/// Clears the single-flight slot when the refresh task's future ends, finished or dropped. It is
/// moved into the task, so even a task dropped before it first ran clears the slot.
struct ClearSlot {
    cache: Arc<JwksCache>,
    generation: u64,
}

impl Drop for ClearSlot {
    fn drop(&mut self) {
        self.cache.clear_slot(self.generation);
    }
}

/// Keys found through the issuer's metadata, which is read again when its own freshness ends and
/// when the `jwks_uri` it named is gone: a provider that moves its keys is followed.
impl JwksCache {
    async fn fetch_discovered(&self) -> Result<Fetched, FetchError> {
        let known = self.discovered.load_full();
        match known.as_ref().filter(|d| Instant::now() < d.fresh_until) {
            Some(fresh) => match self.fetcher.get(&fresh.url).await {
                Err(FetchError::Status(404 | 410)) => {
                    tracing::info!(jwks = self.label(), "jwks_uri is gone; resolving the metadata again");
                    self.fetcher.get(&self.rediscover().await?).await
                }
                answer => answer,
            },
            None => match (self.rediscover().await, known) {
                (Ok(url), _) => self.fetcher.get(&url).await,
                // The metadata is out of reach but the keys may not be: keep to the last
                // `jwks_uri` (still stale, so the next refresh asks the metadata first).
                (Err(error), Some(last)) => {
                    tracing::warn!(jwks = self.label(), %error, "metadata not refreshed; using the last jwks_uri");
                    self.fetcher.get(&last.url).await
                }
                (Err(error), None) => Err(error),
            },
        }
    }

    /// Resolves the issuer's metadata and keeps it for the document's own freshness.
    async fn rediscover(&self) -> Result<Url, FetchError> {
        let JwksLocation::Discovery { issuer, issuer_url } = &self.location else {
            return Err(FetchError::Invalid("no issuer metadata to resolve".into()));
        };
        Stats::inc(&self.stats.discovery_fetches);
        let resolved = discover(&self.fetcher, issuer, issuer_url, self.options.allow_insecure_http)
            .await
            .inspect_err(|_| Stats::inc(&self.stats.discovery_fetch_failures))?;
        let fresh_until = Instant::now() + self.options.ttl(resolved.max_age);
        let url = resolved.jwks_uri.clone();
        self.discovered.store(Some(Arc::new(Discovered {
            metadata: resolved.metadata,
            url: resolved.jwks_uri,
            fresh_until,
        })));
        Ok(url)
    }
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").field("location", &self.location).finish_non_exhaustive()
    }
}
