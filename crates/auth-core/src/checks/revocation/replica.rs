//! The local replica of the deny-list: what the request path reads, without a lock and without
//! the network.
//!
//! Entries are keyed by a 64-bit keyed hash of their identity (kind and values), so the replica
//! holds no token or user text and a lookup costs one hash. A collision can only refuse a token
//! that was not revoked (about one in 10^13 lookups with a million entries): never the reverse.
//! The table is split into shards behind one [`ArcSwap`]: a reader loads the snapshot once and
//! probes plain hash maps; a writer copies the one shard it changes and swaps the snapshot in.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use arc_swap::ArcSwap;

use super::Revocation;
use crate::claims::Claims;

/// Shards: a write copies one shard, so a million entries cost a copy of about 4,000.
const SHARDS: usize = 256;

/// One deny-list entry's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Terms {
    /// Tokens issued before this instant (`iat` < `before`) are refused; `None`: every token.
    pub(crate) before: Option<i64>,
    /// The last second the entry holds (Unix seconds, inclusive).
    pub(crate) expires_at: i64,
}

/// [`Terms`] as the table holds them: 16 bytes, `before` `i64::MAX` for "every token".
#[derive(Debug, Clone, Copy)]
struct Held {
    before: i64,
    expires_at: i64,
}

impl From<Terms> for Held {
    fn from(t: Terms) -> Self {
        Held { before: t.before.unwrap_or(i64::MAX), expires_at: t.expires_at }
    }
}

impl From<Held> for Terms {
    fn from(h: Held) -> Self {
        Terms { before: (h.before != i64::MAX).then_some(h.before), expires_at: h.expires_at }
    }
}

impl Held {
    /// The union of two entries for the same identity: the later `before` ("every token" is
    /// the latest), the later expiry.
    fn merge(self, other: Held) -> Held {
        Held { before: self.before.max(other.before), expires_at: self.expires_at.max(other.expires_at) }
    }

    /// Whether this entry refuses a token issued at `iat`, at `now`. A token without `iat`
    /// cannot show it was issued after the cut-off.
    fn refuses(self, iat: Option<i64>, now: i64) -> bool {
        now <= self.expires_at && (self.before == i64::MAX || iat.is_none_or(|iat| iat < self.before))
    }
}

/// The four kinds, each counted so that a lookup skips the kinds nobody revoked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Token = 0,
    Subject = 1,
    Client = 2,
    Key = 3,
}

type Shard = HashMap<u64, Held, BuildHasherDefault<Prehashed>>;

#[derive(Debug, Default, Clone)]
struct Snapshot {
    shards: Vec<Arc<Shard>>,
    /// Live entries per kind (expired ones count until purged).
    kinds: [usize; 4],
}

/// The replica.
#[derive(Debug)]
pub(crate) struct Replica {
    snapshot: ArcSwap<Snapshot>,
    /// Serializes writers; readers never take it.
    writer: Mutex<()>,
}

/// The identity hash, keyed once per process (so a token's keys, computed once, fit every
/// replica of the process).
fn identity(kind: Kind, first: &str, second: &str) -> u64 {
    static HASHER: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
    let hasher = HASHER.get_or_init(foldhash::quality::RandomState::default);
    // The kind in the two low bits, so kinds can be recounted from keys.
    (hasher.hash_one((kind as u8, first, second)) & !3) | kind as u64
}

/// A verified token's identities as keys: `iss` + `jti`, `sub`, the client, the DPoP key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenKeys {
    keys: [Option<u64>; 4],
    iat: Option<i64>,
}

impl TokenKeys {
    pub(crate) fn of(claims: &Claims) -> Self {
        let registered = claims.registered();
        let client = registered.client_id().or_else(|| registered.azp());
        // A malformed `cnf` was refused by the DPoP check, or is no binding to revoke by.
        let jkt = crate::checks::dpop::bound_key(claims).ok().flatten();
        TokenKeys {
            keys: [
                registered.jti().map(|jti| identity(Kind::Token, registered.iss().unwrap_or(""), jti)),
                registered.sub().map(|sub| identity(Kind::Subject, sub, "")),
                client.map(|client| identity(Kind::Client, client, "")),
                jkt.map(|jkt| identity(Kind::Key, jkt, "")),
            ],
            iat: registered.iat(),
        }
    }
}

impl Replica {
    pub(crate) fn new() -> Self {
        let empty = Snapshot { shards: (0..SHARDS).map(|_| Arc::default()).collect(), kinds: [0; 4] };
        Replica { snapshot: ArcSwap::from_pointee(empty), writer: Mutex::new(()) }
    }

    fn key_of(&self, revocation: &Revocation) -> (Kind, u64) {
        let kind = revocation.kind();
        let (first, second) = revocation.values();
        (kind, identity(kind, first, second))
    }

    fn write(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic elsewhere cannot leave it half-written.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an entry, merged with any entry for the same identity. Returns the terms now held.
    pub(crate) fn insert(&self, revocation: &Revocation, terms: Terms) -> Terms {
        let (kind, key) = self.key_of(revocation);
        let _writing = self.write();
        let mut next = Snapshot::clone(&self.snapshot.load());
        let shard = Arc::make_mut(&mut next.shards[shard_of(key)]);
        let held = match shard.get(&key) {
            Some(old) => old.merge(terms.into()),
            None => {
                next.kinds[kind as usize] += 1;
                terms.into()
            }
        };
        shard.insert(key, held);
        self.snapshot.store(Arc::new(next));
        held.into()
    }

    /// Removes the entry for `revocation`'s identity; whether there was one.
    pub(crate) fn remove(&self, revocation: &Revocation) -> bool {
        let (kind, key) = self.key_of(revocation);
        let _writing = self.write();
        let current = self.snapshot.load();
        if !current.shards[shard_of(key)].contains_key(&key) {
            return false;
        }
        let mut next = Snapshot::clone(&current);
        Arc::make_mut(&mut next.shards[shard_of(key)]).remove(&key);
        next.kinds[kind as usize] -= 1;
        self.snapshot.store(Arc::new(next));
        true
    }

    /// Replaces every entry by `entries` (a resync from the shared store).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn replace(&self, entries: impl IntoIterator<Item = (Revocation, Terms)>) {
        let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::default()).collect();
        let mut kinds = [0; 4];
        for (revocation, terms) in entries {
            let (kind, key) = self.key_of(&revocation);
            let shard = &mut shards[shard_of(key)];
            match shard.get_mut(&key) {
                Some(old) => *old = old.merge(terms.into()),
                None => {
                    kinds[kind as usize] += 1;
                    shard.insert(key, terms.into());
                }
            }
        }
        let next = Snapshot { shards: shards.into_iter().map(Arc::new).collect(), kinds };
        let _writing = self.write();
        self.snapshot.store(Arc::new(next));
    }

    /// Drops entries past their expiry; how many.
    pub(crate) fn purge(&self, now: i64) -> usize {
        let _writing = self.write();
        let mut next = Snapshot::clone(&self.snapshot.load());
        let mut purged = 0;
        for shard in &mut next.shards {
            if shard.values().any(|t| t.expires_at < now) {
                let before = shard.len();
                Arc::make_mut(shard).retain(|_, t| t.expires_at >= now);
                purged += before - shard.len();
            }
        }
        if purged > 0 {
            next.kinds = [0; 4];
            for key in next.shards.iter().flat_map(|s| s.keys()) {
                next.kinds[(key & 3) as usize] += 1;
            }
            self.snapshot.store(Arc::new(next));
        }
        purged
    }

    /// Whether an entry with `revocation`'s identity is held.
    pub(crate) fn contains(&self, revocation: &Revocation) -> bool {
        let (_, key) = self.key_of(revocation);
        self.snapshot.load().shards[shard_of(key)].contains_key(&key)
    }

    /// Entries held (expired ones included until purged).
    pub(crate) fn len(&self) -> usize {
        self.snapshot.load().shards.iter().map(|s| s.len()).sum()
    }

    /// Whether an entry refuses this token. `now` is read only when an entry matches.
    pub(crate) fn refuses(&self, claims: &Claims, now: impl Fn() -> i64) -> bool {
        let snapshot = self.snapshot.load();
        if snapshot.kinds == [0; 4] {
            return false;
        }
        let token = claims.revocation_keys();
        token.keys.iter().zip(snapshot.kinds).any(|(key, held)| match key {
            Some(key) if held > 0 => {
                snapshot.shards[shard_of(*key)].get(key).is_some_and(|t| t.refuses(token.iat, now()))
            }
            _ => false,
        })
    }
}

fn shard_of(key: u64) -> usize {
    (key >> 56) as usize % SHARDS
}

/// The hasher of already-hashed keys: one multiply, so that the table's bucket and tag bits do
/// not repeat the bits that chose the shard (every key of a shard shares its top 8 bits; the
/// table takes its tag from the top 7).
#[derive(Debug, Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; any other input folds in, so nothing is ever lost.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(before: Option<i64>, expires_at: i64) -> Terms {
        Terms { before, expires_at }
    }

    #[test]
    fn an_identity_written_twice_keeps_the_wider_terms() {
        let replica = Replica::new();
        let sub = Revocation::Subject { sub: "u".into(), before: 0 };
        replica.insert(&sub, terms(Some(200), 1_000));
        assert_eq!(replica.insert(&sub, terms(Some(100), 2_000)), terms(Some(200), 2_000));
        let key = Revocation::key("k");
        replica.insert(&key, terms(None, 10));
        assert_eq!(replica.insert(&key, terms(None, 5)), terms(None, 10), "`every token` stays");
        assert_eq!(replica.len(), 2);
    }

    #[test]
    fn purging_drops_expired_entries_and_recounts_the_kinds() {
        let replica = Replica::new();
        replica.insert(&Revocation::key("old"), terms(None, 10));
        replica.insert(&Revocation::token("iss", "live"), terms(None, 100));
        assert_eq!(replica.snapshot.load().kinds, [1, 0, 0, 1]);
        assert_eq!(replica.purge(50), 1);
        assert_eq!(replica.snapshot.load().kinds, [1, 0, 0, 0]);
        assert!(replica.contains(&Revocation::token("iss", "live")));
        assert!(!replica.remove(&Revocation::key("old")), "already purged");
        replica.replace([(Revocation::client("c", None), terms(Some(5), 100))]);
        assert_eq!(replica.snapshot.load().kinds, [0, 0, 1, 0], "a resync replaces everything");
    }
}
