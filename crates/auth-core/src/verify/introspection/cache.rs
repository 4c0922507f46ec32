//! The introspection answers remembered: active ones until the earlier of the TTL and the token's
//! `exp`, inactive ones briefly and in a cache of their own, so that a flood of random tokens
//! cannot push out the tokens in use. Keys are a keyed hash of the token (random keys of this
//! process), never the token.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::claims::Claims;
use crate::error::TokenProblem;

/// A token's identity in the caches: two SipHash-1-3 outputs under independent random keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenId(u128);

pub(crate) struct TokenHasher(RandomState, RandomState);

impl TokenHasher {
    pub(crate) fn new() -> Self {
        TokenHasher(RandomState::new(), RandomState::new())
    }

    pub(crate) fn id(&self, token: &[u8]) -> TokenId {
        let half = |state: &RandomState| {
            let mut h = state.build_hasher();
            h.write(token);
            h.finish()
        };
        TokenId(u128::from(half(&self.0)) << 64 | u128::from(half(&self.1)))
    }
}

/// An active answer.
#[derive(Clone)]
pub(crate) struct Active {
    pub(crate) claims: Claims,
    /// Reused while the clock is before this (Unix seconds): fetched at + TTL.
    pub(crate) fresh_until: i64,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<TokenId, Active> for ByBytes {
    fn weight(&self, _: &TokenId, value: &Active) -> u64 {
        // The payload text and what the claims hold beside it.
        value.claims.registered().text().len() as u64 + 512
    }
}

/// The two caches.
pub(crate) struct AnswerCache {
    active: Option<Cache<TokenId, Active, ByBytes>>,
    /// Refused (inactive, or an active answer failing a claim rule) until (Unix seconds).
    inactive: Option<Cache<TokenId, (i64, TokenProblem)>>,
}

/// What the caches know of a token.
pub(crate) enum Known {
    Active(Active),
    Refused(TokenProblem),
}

impl AnswerCache {
    pub(crate) fn new(active_entries: usize, active_bytes: u64, inactive_entries: usize) -> Self {
        let active =
            (active_entries > 0).then(|| Cache::with_weighter(active_entries, active_bytes.max(1), ByBytes));
        let inactive = (inactive_entries > 0).then(|| Cache::new(inactive_entries));
        AnswerCache { active, inactive }
    }

    /// What is known and still fresh at `now`; stale entries are dropped.
    pub(crate) fn get(&self, id: TokenId, now: i64) -> Option<Known> {
        if let Some(active) = &self.active
            && let Some(entry) = active.get(&id)
        {
            if now < entry.fresh_until {
                return Some(Known::Active(entry));
            }
            active.remove(&id);
        }
        if let Some(inactive) = &self.inactive
            && let Some((until, problem)) = inactive.get(&id)
        {
            if now < until {
                return Some(Known::Refused(problem));
            }
            inactive.remove(&id);
        }
        None
    }

    pub(crate) fn insert_active(&self, id: TokenId, entry: Active) {
        if let Some(active) = &self.active {
            active.insert(id, entry);
        }
    }

    pub(crate) fn insert_refused(&self, id: TokenId, until: i64, problem: TokenProblem) {
        if let Some(inactive) = &self.inactive {
            inactive.insert(id, (until, problem));
        }
    }

    pub(crate) fn len(&self) -> (usize, usize) {
        (self.active.as_ref().map_or(0, Cache::len), self.inactive.as_ref().map_or(0, Cache::len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_by_token_and_by_process_key() {
        let (a, b) = (TokenHasher::new(), TokenHasher::new());
        assert_eq!(a.id(b"token-1"), a.id(b"token-1"));
        assert_ne!(a.id(b"token-1"), a.id(b"token-2"));
        assert_ne!(a.id(b"token-1"), b.id(b"token-1"));
    }
}
