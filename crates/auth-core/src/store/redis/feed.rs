//! The revocation list on Redis: a hash holds it, a channel announces each change, and every
//! instance keeps a local replica the request path reads.
//!
//! One task per instance keeps the replica:
//! 1. subscribe to the channel, then read the whole hash (`HSCAN`) into the replica, so that
//!    nothing written in between is missed (a change both read and announced applies twice,
//!    which is harmless: entries merge, lifts are idempotent);
//! 2. apply each announcement in order;
//! 3. publish a heartbeat on the same channel every quarter of the staleness budget (at most
//!    every 2 s): receiving its own heartbeat back proves that every change announced before it
//!    was sent has been applied, so the replica is confirmed fresh as of the send time;
//! 4. on any gap (a dropped subscription, a failed command, no heartbeat back for twice the
//!    budget), start again from 1.
//!
//! A separate watchdog marks the replica stale once the last confirmation is older than the
//! budget, so the request path reads one atomic and never the clock.
//!
//! A server that lost its data (a restart without persistence, a flush) is told by
//! `{prefix}epoch`: a random value set once; an instance that finds it missing or changed
//! writes back every entry it holds before reading the hash again, so revocations survive as
//! long as one instance does.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Failure, RedisStore};
use crate::checks::revocation::{
    Backend, Freshness, Revocation, RevocationError, RevocationOptions, Revocations, Shared, Terms,
};
use crate::error::ConfigError;

/// Adds (or widens) an entry and announces it, in one atomic step: the announcement carries the
/// merged terms, so every replica converges on what the hash holds.
const ADD: &str = r"
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local b = tonumber(ARGV[2])
local e = tonumber(ARGV[3])
if cur then
  local cb, ce = string.match(cur, '^(%-?%d+) (%-?%d+)$')
  if cb then
    b = math.max(b, tonumber(cb))
    e = math.max(e, tonumber(ce))
  end
end
local v = string.format('%d %d', b, e)
redis.call('HSET', KEYS[1], ARGV[1], v)
redis.call('PUBLISH', KEYS[2], 'a ' .. v .. ' ' .. ARGV[1])
return v
";

/// Removes an entry and announces it.
const LIFT: &str = r"
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], 'd ' .. ARGV[1])
return 1
";

/// How long to wait before retrying after a failure: doubles from 100 ms up to 2 s, so a
/// server that comes back is in use again within about 2 s.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));
/// Entries read per `HSCAN` round.
const SCAN_COUNT: usize = 1000;
/// How often expired entries are dropped from the replica and the hash.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// How often a connected instance checks that the server kept its data (a flush does not drop
/// connections; a restart does, and is seen at once): one `GET` a second.
const EPOCH_EVERY: Duration = Duration::from_secs(1);

/// The Redis side of a shared [`Revocations`]: writes go to Redis, the task feeds the replica.
pub(crate) struct RevocationFeed {
    store: RedisStore,
    hash: String,
    channel: String,
    add: ::redis::Script,
    lift: ::redis::Script,
    /// Every entry's identity and terms, as the hash holds them: what this instance writes back
    /// when the server lost its data (the replica keeps only hashes).
    mirror: Arc<Mutex<HashMap<String, Terms>>>,
    tasks: std::sync::OnceLock<Vec<tokio::task::AbortHandle>>,
}

impl Drop for RevocationFeed {
    fn drop(&mut self) {
        for task in self.tasks.get().into_iter().flatten() {
            task.abort();
        }
    }
}

impl Revocations {
    /// A list shared through Redis by every instance using the same `store` (and prefix). The
    /// replica starts stale: until the first read of the list completes, requests are answered
    /// as [`RevocationOptions::stale_policy`] says. Call inside a tokio runtime.
    pub fn redis(store: &RedisStore, options: RevocationOptions) -> Result<Self, ConfigError> {
        options.check()?;
        let max_stale = options.max_stale;
        let feed = RevocationFeed {
            store: store.clone(),
            hash: store.key("revocations"),
            channel: store.key("revocations"),
            add: ::redis::Script::new(ADD),
            lift: ::redis::Script::new(LIFT),
            mirror: Arc::default(),
            tasks: std::sync::OnceLock::new(),
        };
        let mirror = Arc::clone(&feed.mirror);
        let revocations = Revocations::with_backend(options, Backend::Redis(feed), Freshness::stale());
        let weak = Arc::downgrade(&revocations.0);
        let (confirmed, watched) = watch::channel(None);
        let keeper = Keeper { shared: weak.clone(), store: store.clone(), mirror, max_stale, confirmed };
        let tasks = vec![
            tokio::spawn(keeper.run()).abort_handle(),
            tokio::spawn(watchdog(weak, watched, max_stale)).abort_handle(),
        ];
        // The tasks hold only a weak reference: dropping the last clone stops them.
        if let Backend::Redis(feed) = &revocations.0.backend {
            let _ = feed.tasks.set(tasks);
        }
        Ok(revocations)
    }
}

impl RevocationFeed {
    /// Records `revocation` in the hash and announces it.
    pub(crate) async fn add(&self, revocation: &Revocation, terms: Terms) -> Result<(), RevocationError> {
        let field = field_of(revocation);
        let mut invocation = self.add.key(&self.hash);
        invocation.key(&self.channel).arg(&field).arg(terms.before.unwrap_or(-1)).arg(terms.expires_at);
        let held: String = self.store.invoke(&invocation).await.map_err(unavailable)?;
        if let Some(held) = parse_terms(&held) {
            lock(&self.mirror).insert(field, held);
        }
        Ok(())
    }

    /// Removes `revocation`'s entry from the hash and announces it.
    pub(crate) async fn lift(&self, revocation: &Revocation) -> Result<(), RevocationError> {
        let field = field_of(revocation);
        let mut invocation = self.lift.key(&self.hash);
        invocation.key(&self.channel).arg(&field);
        let _: i64 = self.store.invoke(&invocation).await.map_err(unavailable)?;
        lock(&self.mirror).remove(&field);
        Ok(())
    }
}

fn unavailable(failure: Failure) -> RevocationError {
    tracing::warn!(reason = failure.reason(), "revocation store on redis unavailable");
    RevocationError::Unavailable { reason: failure.reason(), retry_after: Duration::from_secs(1) }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The entry's identity as the hash field: a JSON array, kind first.
fn field_of(revocation: &Revocation) -> String {
    let (first, second) = revocation.values();
    let parts: &[&str] = match revocation {
        Revocation::Token { .. } => &["t", first, second],
        Revocation::Subject { .. } => &["s", first],
        Revocation::Client { .. } => &["c", first],
        Revocation::Key { .. } => &["k", first],
    };
    serde_json::to_string(parts).unwrap_or_default()
}

/// The identity back from a field; `None` for a field no instance writes.
fn revocation_of(field: &str, before: Option<i64>) -> Option<Revocation> {
    let parts: Vec<String> = serde_json::from_str(field).ok()?;
    let revocation = match (parts.as_slice(), before) {
        ([kind, issuer, jti], None) if kind == "t" => Revocation::token(issuer, jti),
        ([kind, sub], Some(before)) if kind == "s" => Revocation::Subject { sub: sub.clone(), before },
        ([kind, client], Some(before)) if kind == "c" => {
            Revocation::Client { client_id: client.clone(), before }
        }
        ([kind, jkt], None) if kind == "k" => Revocation::key(jkt),
        _ => return None,
    };
    revocation.check().ok()?;
    Some(revocation)
}

/// `"<before> <expires_at>"`, `before` -1 for "every token".
fn parse_terms(value: &str) -> Option<Terms> {
    let (before, expires) = value.split_once(' ')?;
    let before: i64 = before.parse().ok()?;
    Some(Terms { before: (before >= 0).then_some(before), expires_at: expires.parse().ok()? })
}

fn format_terms(terms: Terms) -> String {
    format!("{} {}", terms.before.unwrap_or(-1), terms.expires_at)
}

/// The task that keeps the replica.
struct Keeper {
    shared: Weak<Shared>,
    store: RedisStore,
    mirror: Arc<Mutex<HashMap<String, Terms>>>,
    max_stale: Duration,
    confirmed: watch::Sender<Option<Instant>>,
}

/// Why a session ended.
enum Ended {
    /// The revocation list is gone: stop.
    Dropped,
    /// A gap: start again. `healthy` when the session got as far as a heartbeat.
    Gap { why: &'static str, healthy: bool },
}

impl Keeper {
    async fn run(self) {
        let mut epoch: Option<String> = None;
        let mut backoff = BACKOFF.0;
        loop {
            match self.session(&mut epoch).await {
                Ended::Dropped => return,
                Ended::Gap { why, healthy } => {
                    tracing::warn!(why, "revocation replica lost its feed; resynchronizing");
                    if healthy {
                        backoff = BACKOFF.0;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF.1);
                }
            }
        }
    }

    /// One subscription: resync, then follow the channel until a gap.
    async fn session(&self, epoch: &mut Option<String>) -> Ended {
        let gap = |why| Ended::Gap { why, healthy: false };
        let timeout = self.store.timeout();
        let pubsub = match tokio::time::timeout(timeout, self.store.client().get_async_pubsub()).await {
            Ok(Ok(pubsub)) => pubsub,
            Ok(Err(_)) => return gap("cannot connect to redis"),
            Err(_) => return gap("redis did not answer in time"),
        };
        let (mut sink, mut messages) = pubsub.split();
        let channel = self.store.key("revocations");
        if super::bounded(timeout, sink.subscribe(&channel)).await.is_err() {
            return gap("cannot subscribe");
        }
        if let Err(failure) = self.check_epoch(epoch).await {
            return gap(failure.reason());
        }
        let Some(shared) = self.shared.upgrade() else { return Ended::Dropped };
        if let Err(failure) = self.resync(&shared).await {
            return gap(failure.reason());
        }
        drop(shared);

        let me: u64 = rand_u64();
        let mut seq: u64 = 0;
        let mut sent: VecDeque<(u64, Instant)> = VecDeque::new();
        let beat_every = (self.max_stale / 4).clamp(Duration::from_millis(20), Duration::from_secs(2));
        let dead_after = self.max_stale * 2;
        let mut beats = tokio::time::interval(beat_every);
        beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_back = Instant::now();
        let mut healthy = false;
        let mut purged = Instant::now();
        let mut epoch_checked = Instant::now();
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else {
                        return Ended::Gap { why: "subscription closed", healthy };
                    };
                    let Some(shared) = self.shared.upgrade() else { return Ended::Dropped };
                    let payload: Vec<u8> = message.get_payload_bytes().to_vec();
                    let Ok(text) = std::str::from_utf8(&payload) else { continue };
                    if let Some(beat) = self.apply(&shared, text, me) {
                        while let Some(&(s, at)) = sent.front() {
                            if s > beat {
                                break;
                            }
                            sent.pop_front();
                            if s == beat {
                                last_back = Instant::now();
                                healthy = true;
                                let _ = self.confirmed.send(Some(at));
                            }
                        }
                    }
                }
                _ = beats.tick() => {
                    let Some(shared) = self.shared.upgrade() else { return Ended::Dropped };
                    if last_back.elapsed() > dead_after {
                        return Ended::Gap { why: "no heartbeat back from redis", healthy };
                    }
                    if purged.elapsed() > PURGE_EVERY {
                        purged = Instant::now();
                        self.purge(&shared);
                    }
                    drop(shared);
                    if epoch_checked.elapsed() > EPOCH_EVERY {
                        epoch_checked = Instant::now();
                        let known = epoch.clone();
                        if let Err(failure) = self.check_epoch(epoch).await {
                            return Ended::Gap { why: failure.reason(), healthy };
                        }
                        if *epoch != known {
                            // Written back: read the list again.
                            return Ended::Gap { why: "redis lost its data", healthy };
                        }
                    }
                    seq += 1;
                    sent.push_back((seq, Instant::now()));
                    if sent.len() > 64 {
                        sent.pop_front();
                    }
                    let store = self.store.clone();
                    let mut cmd = ::redis::cmd("PUBLISH");
                    cmd.arg(&channel).arg(format!("h {me} {seq}"));
                    tokio::spawn(async move {
                        let _ = store.query::<i64>(&cmd).await;
                    });
                }
            }
        }
    }

    /// Applies one announcement; returns the sequence number of this instance's own heartbeat.
    fn apply(&self, shared: &Shared, text: &str, me: u64) -> Option<u64> {
        let (op, rest) = text.split_once(' ')?;
        match op {
            "a" => {
                let mut parts = rest.splitn(3, ' ');
                let terms = parse_terms(&format!("{} {}", parts.next()?, parts.next()?))?;
                let field = parts.next()?;
                let revocation = revocation_of(field, terms.before)?;
                shared.replica.insert(&revocation, terms);
                lock(&self.mirror).insert(field.to_owned(), terms);
            }
            "d" => {
                let before = match serde_json::from_str::<Vec<String>>(rest).ok()?.first()?.as_str() {
                    "s" | "c" => Some(0),
                    _ => None,
                };
                shared.replica.remove(&revocation_of(rest, before)?);
                lock(&self.mirror).remove(rest);
            }
            "h" => {
                let (from, seq) = rest.split_once(' ')?;
                if from.parse::<u64>().ok()? == me {
                    return seq.parse().ok();
                }
            }
            _ => {}
        }
        None
    }

    /// Reads the whole hash into the replica; drops expired entries from the hash on the way.
    async fn resync(&self, shared: &Shared) -> Result<(), Failure> {
        let hash = self.store.key("revocations");
        let now = shared.options.clock.now_unix();
        let mut entries = HashMap::new();
        let mut expired = Vec::new();
        let mut cursor = String::from("0");
        loop {
            let mut cmd = ::redis::cmd("HSCAN");
            cmd.arg(&hash).arg(&cursor).arg("COUNT").arg(SCAN_COUNT);
            let (next, flat): (String, Vec<String>) = self.store.query(&cmd).await?;
            for pair in flat.chunks_exact(2) {
                match parse_terms(&pair[1]) {
                    Some(terms) if terms.expires_at >= now => {
                        entries.insert(pair[0].clone(), terms);
                    }
                    _ => expired.push(pair[0].clone()),
                }
            }
            if next == "0" {
                break;
            }
            cursor = next;
        }
        if !expired.is_empty() {
            let mut cmd = ::redis::cmd("HDEL");
            cmd.arg(&hash).arg(&expired);
            let _ = self.store.query::<i64>(&cmd).await;
        }
        shared.replica.replace(
            entries.iter().filter_map(|(field, terms)| Some((revocation_of(field, terms.before)?, *terms))),
        );
        tracing::info!(entries = entries.len(), "revocation replica resynchronized");
        *lock(&self.mirror) = entries;
        Ok(())
    }

    /// Compares the server's epoch with the one seen before; writes this instance's entries
    /// back when the server lost its data.
    async fn check_epoch(&self, known: &mut Option<String>) -> Result<(), Failure> {
        let key = self.store.key("epoch");
        let current: Option<String> = self.store.query(::redis::cmd("GET").arg(&key)).await?;
        if current.is_some() && current == *known {
            return Ok(());
        }
        if known.is_some() {
            tracing::warn!(
                "redis lost the revocation list (restart or flush); writing back this instance's copy"
            );
            self.restore().await?;
        }
        if current.is_none() {
            let mut set = ::redis::cmd("SET");
            set.arg(&key).arg(format!("{:016x}", rand_u64())).arg("NX");
            let _: Option<String> = self.store.query(&set).await?;
        }
        *known = self.store.query(::redis::cmd("GET").arg(&key)).await?;
        Ok(())
    }

    /// Writes every entry this instance holds back to the hash (entries present win) and
    /// announces them.
    async fn restore(&self) -> Result<(), Failure> {
        let hash = self.store.key("revocations");
        let channel = self.store.key("revocations");
        let entries: Vec<(String, Terms)> = lock(&self.mirror).iter().map(|(f, t)| (f.clone(), *t)).collect();
        for batch in entries.chunks(500) {
            let mut pipe = ::redis::pipe();
            for (field, terms) in batch {
                let value = format_terms(*terms);
                pipe.cmd("HSETNX").arg(&hash).arg(field).arg(&value).ignore();
                pipe.cmd("PUBLISH").arg(&channel).arg(format!("a {value} {field}")).ignore();
            }
            self.store.query_pipe::<()>(&pipe).await?;
        }
        tracing::info!(entries = entries.len(), "revocation list written back to redis");
        Ok(())
    }

    /// Drops expired entries from the replica and the mirror.
    fn purge(&self, shared: &Shared) {
        let now = shared.options.clock.now_unix();
        shared.replica.purge(now);
        lock(&self.mirror).retain(|_, t| t.expires_at >= now);
    }
}

/// Marks the replica fresh while its last confirmation is within the budget, stale after.
async fn watchdog(
    shared: Weak<Shared>,
    mut confirmed: watch::Receiver<Option<Instant>>,
    max_stale: Duration,
) {
    loop {
        let fresh_until = confirmed.borrow_and_update().map(|at| at + max_stale);
        let fresh = fresh_until.is_some_and(|until| Instant::now() < until);
        match shared.upgrade() {
            Some(shared) => shared.freshness.set(fresh),
            None => return,
        }
        tokio::select! {
            _ = tokio::time::sleep_until(fresh_until.unwrap_or_else(Instant::now)), if fresh => {}
            changed = confirmed.changed() => if changed.is_err() { return },
        }
    }
}

/// A random identity (never a secret): without a random source, the time's nanoseconds.
fn rand_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if crate::crypto::random(&mut bytes) {
        return u64::from_le_bytes(bytes);
    }
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    t.as_nanos() as u64
}
