//! The replay store: every accepted proof's (key thumbprint, `jti`), remembered for as long as the
//! proof could still be accepted, so that the same proof is never accepted twice.
//!
//! [`MemoryReplayStore`] is the default: bounded, allocated once, without locks. A shared store (several instances behind one load balancer) implements
//! [`ReplayStore`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::crypto::sha256;

/// The identity of one proof: SHA-256 over the key thumbprint and the `jti`, so that two clients
/// choosing the same `jti` never collide and the store never holds client text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey([u8; 32]);

impl ReplayKey {
    /// The key of the proof with `jti` signed by the key of thumbprint `jkt`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        ReplayKey(sha256(&[jkt.as_bytes(), b"\0", jti.as_bytes()]))
    }

    /// The 32 bytes, for a store that keys by bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// What a store answers when asked to record a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Not seen before: now recorded.
    New,
    /// Seen before, and still remembered: a replay.
    Seen,
}

/// A store that cannot record a proof now. The request is answered 503 with `Retry-After`:
/// a proof that cannot be recorded is never accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the DPoP replay store cannot record a proof now ({reason})")]
pub struct ReplayStoreError {
    /// Why, for logs.
    pub reason: &'static str,
    /// When to retry.
    pub retry_after: Duration,
}

/// The answer of [`ReplayStore::record`]: at once, or after a wait (a network store).
pub enum Recording<'a> {
    /// Decided.
    Ready(Result<Recorded, ReplayStoreError>),
    /// Decided once this completes.
    Pending(Pin<Box<dyn Future<Output = Result<Recorded, ReplayStoreError>> + Send + 'a>>),
}

/// Where accepted proofs are remembered. `record` is atomic: of two concurrent calls with the same
/// key, exactly one answers [`Recorded::New`]. A store that waits (a network store) must not act
/// before its [`Recording::Pending`] future is polled: the pipeline may drop that future unpolled
/// and ask again where it can wait.
pub trait ReplayStore: Send + Sync + 'static {
    /// Records `key` as seen until `expires_at` (Unix seconds, inclusive: the last second the
    /// proof could be accepted), `now` being the validator's clock. An entry past its expiry is
    /// forgotten: the same key is then new again (its proof is too old to pass by then anyway).
    fn record(&self, key: ReplayKey, expires_at: i64, now: i64) -> Recording<'_>;

    /// Whether `record` answers [`Recording::Pending`] (a network store). The DPoP check then
    /// defers the whole proof check into its future, so that a request the pipeline must move
    /// to where it can wait verifies its proof once, not twice.
    fn waits(&self) -> bool {
        false
    }
}

impl<S: ReplayStore> ReplayStore for std::sync::Arc<S> {
    fn record(&self, key: ReplayKey, expires_at: i64, now: i64) -> Recording<'_> {
        (**self).record(key, expires_at, now)
    }

    fn waits(&self) -> bool {
        (**self).waits()
    }
}

/// The default capacity of [`MemoryReplayStore`]: 1,000,000 proofs in 32 MiB (allocated at
/// once). With the default 60 s window that is ~16,000 DPoP requests per second held at once; a
/// fuller store answers 503 rather than forget a live proof.
pub const DEFAULT_REPLAY_CAPACITY: usize = 1_000_000;

/// Slots per proof of capacity: a table a quarter full rarely meets a full probe window.
const SLOTS_PER_PROOF: usize = 4;
/// How many slots from its home a proof may sit; every insert reads them all: two cache lines
/// (homes are aligned to a line of 8 slots).
const WINDOW: usize = 16;
/// The bits of a slot holding the proof's expiry (Unix seconds, modulo 2^24: 194 days).
const EXPIRY_BITS: u32 = 24;
const EXPIRY_MASK: u64 = (1 << EXPIRY_BITS) - 1;
/// Expiries further ahead than this cannot be told from past ones: refused (a proof window of
/// days is a configuration the validator refuses anyway).
const MAX_AHEAD: i64 = 1 << (EXPIRY_BITS - 2);

/// An in-memory [`ReplayStore`] for one instance, without locks: a fixed table of
/// `4 × capacity` slots (8 bytes each, allocated once), each proof in one of the 16 slots (two cache lines) from its
/// home, a slot taken by one compare-and-swap. A proof's slot is reused only once it has expired:
/// when every slot of its window holds a live proof, the store refuses to record (the request
/// gets 503) rather than evict a proof that could still be replayed.
///
/// Two threads recording the same proof at once: each takes a slot, then looks again; one that
/// finds the other's gives its slot back and answers [`Recorded::Seen`], so at most one of them
/// is told [`Recorded::New`] (both may be told `Seen`). A slot holds 40 bits of the proof's id
/// and its expiry: a proof is taken for another one (and refused as a replay) with a chance of
/// 2^-36 per insert at most.
pub struct MemoryReplayStore {
    slots: Box<[AtomicU64]>,
    mask: usize,
    capacity: usize,
}

/// A slot: `id << 24 | expiry`, 0 when empty (ids are never 0).
fn pack(id: u64, expires_at: i64) -> u64 {
    (id << EXPIRY_BITS) | (expires_at as u64 & EXPIRY_MASK)
}

/// The slot's expiry minus `now`, modulo 2^24: small for a live proof, near 2^24 for one past.
fn seconds_left(slot: u64, now: i64) -> u64 {
    (slot & EXPIRY_MASK).wrapping_sub(now as u64 & EXPIRY_MASK) & EXPIRY_MASK
}

/// Whether the slot's proof is live at `now`: its expiry, modulo 2^24, is not behind `now`.
fn live(slot: u64, now: i64) -> bool {
    slot != 0 && seconds_left(slot, now) < (1 << (EXPIRY_BITS - 1))
}

impl MemoryReplayStore {
    /// A store sized for `capacity` proofs (its table has `4 × capacity` slots, at least 32,
    /// rounded up to a power of two).
    pub fn new(capacity: usize) -> Self {
        let slots = capacity.saturating_mul(SLOTS_PER_PROOF).max(2 * WINDOW).next_power_of_two();
        MemoryReplayStore {
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            mask: slots - 1,
            capacity: capacity.max(1),
        }
    }

    /// How many proofs it is sized for. Its table has four times as many slots, so a proof's
    /// window of 16 is rarely full before this many are live; it never holds more than the
    /// table.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many slots hold a proof now (expired ones not yet reused included). Reads the whole
    /// table: for tests and diagnostics.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.load(Ordering::Relaxed) != 0).count()
    }

    /// Whether it holds no proof.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn window(&self, home: usize) -> impl Iterator<Item = (usize, &AtomicU64)> {
        (0..WINDOW).map(move |i| {
            let at = (home + i) & self.mask;
            (at, &self.slots[at])
        })
    }

    /// Whether a live slot other than `except` holds `id`.
    fn holds_elsewhere(&self, home: usize, id: u64, now: i64, except: usize) -> bool {
        self.window(home).any(|(at, slot)| {
            let word = slot.load(Ordering::SeqCst);
            at != except && word >> EXPIRY_BITS == id && live(word, now)
        })
    }

    fn insert(&self, key: ReplayKey, expires_at: i64, now: i64) -> Result<Recorded, ReplayStoreError> {
        if expires_at.saturating_sub(now) >= MAX_AHEAD {
            return Err(ReplayStoreError {
                reason: "a proof expiring more than 48 days ahead",
                retry_after: Duration::from_secs(1),
            });
        }
        let bytes = key.as_bytes();
        let word = |range: std::ops::Range<usize>| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[range]);
            u64::from_le_bytes(b)
        };
        // 40 bits of id, never 0; the home slot from other bits of the key.
        let id = (word(0..8) >> EXPIRY_BITS) | (1 << 39);
        let home = word(8..16) as usize & self.mask & !7;
        let claim = pack(id, expires_at);
        // A slot taken from under us (another insert won it) sends us round again; a bounded
        // number of times, so a contended window cannot spin for ever.
        for _ in 0..WINDOW {
            // One pass: the proof itself (a replay), else the first slot free or expired.
            let mut free = None;
            for (at, slot) in self.window(home) {
                let word = slot.load(Ordering::SeqCst);
                if !live(word, now) {
                    free = free.or(Some((at, slot, word)));
                } else if word >> EXPIRY_BITS == id {
                    return Ok(Recorded::Seen);
                }
            }
            let Some((at, slot, old)) = free else { return Err(self.full(home, now)) };
            if slot.compare_exchange(old, claim, Ordering::SeqCst, Ordering::SeqCst).is_err() {
                continue;
            }
            // Took it. Another insert of the same proof may have taken a slot meanwhile: whoever
            // sees the other's gives way (both may), so that two are never both new.
            if self.holds_elsewhere(home, id, now, at) {
                let _ = slot.compare_exchange(claim, 0, Ordering::SeqCst, Ordering::SeqCst);
                return Ok(Recorded::Seen);
            }
            return Ok(Recorded::New);
        }
        Err(ReplayStoreError {
            reason: "the in-memory replay store is contended",
            retry_after: Duration::from_secs(1),
        })
    }

    /// Every slot of the window holds a live proof: retry when the first of them expires.
    fn full(&self, home: usize, now: i64) -> ReplayStoreError {
        let wait = self
            .window(home)
            .map(|(_, slot)| seconds_left(slot.load(Ordering::Relaxed), now))
            .min()
            .unwrap_or(0);
        let secs = wait.saturating_add(1);
        ReplayStoreError {
            reason: "the in-memory replay store is full",
            retry_after: Duration::from_secs(secs),
        }
    }
}

impl Default for MemoryReplayStore {
    fn default() -> Self {
        MemoryReplayStore::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn record(&self, key: ReplayKey, expires_at: i64, now: i64) -> Recording<'_> {
        Recording::Ready(self.insert(key, expires_at, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        store: &MemoryReplayStore,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<Recorded, ReplayStoreError> {
        match store.record(ReplayKey::new("jkt", jti), expires_at, now) {
            Recording::Ready(answer) => answer,
            Recording::Pending(_) => unreachable!("the memory store answers at once"),
        }
    }

    #[test]
    fn a_proof_is_new_once_until_it_expires() {
        let store = MemoryReplayStore::new(1000);
        assert_eq!(record(&store, "a", 160, 100), Ok(Recorded::New));
        assert_eq!(record(&store, "a", 160, 100), Ok(Recorded::Seen));
        assert_eq!(record(&store, "a", 160, 160), Ok(Recorded::Seen), "live through its last second");
        assert_eq!(record(&store, "b", 160, 100), Ok(Recorded::New));
        // Same jti, another key: another proof.
        let other = store.record(ReplayKey::new("other", "a"), 160, 100);
        assert!(matches!(other, Recording::Ready(Ok(Recorded::New))));
        assert_eq!(record(&store, "a", 221, 161), Ok(Recorded::New), "forgotten once expired");
    }

    #[test]
    fn a_full_store_refuses_rather_than_forget_a_live_proof() {
        let store = MemoryReplayStore::new(16); // the smallest table: 64 slots
        let mut refused = 0;
        let mut kept = Vec::new();
        for i in 0..10_000 {
            let jti = i.to_string();
            match record(&store, &jti, 160, 100) {
                Ok(Recorded::New) => kept.push(jti),
                Ok(Recorded::Seen) => panic!("{jti} was never recorded"),
                Err(e) => {
                    assert_eq!(e.retry_after, Duration::from_secs(61));
                    refused += 1;
                }
            }
        }
        assert_eq!(store.slots.len(), 64);
        assert!(kept.len() >= store.capacity() && kept.len() <= 64, "{}", kept.len());
        assert!(refused > 9_000);
        // Every proof that was recorded is still refused as a replay.
        for jti in &kept {
            assert_eq!(record(&store, jti, 160, 120), Ok(Recorded::Seen));
        }
        // Once they expire, room again.
        assert_eq!(record(&store, "late", 221, 161), Ok(Recorded::New));
    }

    #[test]
    fn a_proof_raced_by_two_threads_is_new_once() {
        // Both threads offer every proof at once; each proof must be new for one of them at most.
        let store = MemoryReplayStore::new(100_000);
        let keys: Vec<ReplayKey> = (0..50_000).map(|i| ReplayKey::new("jkt", &i.to_string())).collect();
        let barrier = std::sync::Barrier::new(2);
        let news: Vec<Vec<bool>> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        keys.iter()
                            .map(|k| match store.insert(*k, 160, 100) {
                                Ok(recorded) => recorded == Recorded::New,
                                Err(e) => panic!("{e}"),
                            })
                            .collect()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let both = (0..keys.len()).filter(|&i| news[0][i] && news[1][i]).count();
        let neither = (0..keys.len()).filter(|&i| !news[0][i] && !news[1][i]).count();
        assert_eq!(both, 0, "a proof accepted twice");
        // Giving way on both sides is allowed (neither was accepted): in this lockstep race of
        // identical proofs it happens about once in a hundred.
        assert!(neither < keys.len() / 10, "{neither} proofs refused by both");
        for (i, key) in keys.iter().enumerate() {
            // Refused by both, it was never accepted: its first acceptance is still to come.
            let expected = if news[0][i] || news[1][i] { Recorded::Seen } else { Recorded::New };
            assert_eq!(store.insert(*key, 160, 120), Ok(expected));
        }
    }

    #[test]
    fn expiries_far_ahead_are_refused_not_wrapped() {
        let store = MemoryReplayStore::new(100);
        assert!(record(&store, "far", 100 + MAX_AHEAD, 100).is_err());
        // A year of seconds later, an entry's 24-bit expiry has wrapped: it is reused once expired.
        let now = 1_800_000_000;
        assert_eq!(record(&store, "a", now + 60, now), Ok(Recorded::New));
        assert_eq!(record(&store, "a", now + 61, now + 1), Ok(Recorded::Seen));
        assert_eq!(record(&store, "a", now + 121, now + 61), Ok(Recorded::New));
    }
}
