//! The verified-token cache: a token already verified is answered without repeating the
//! signature check or the JSON parsing.
//!
//! What is cached, and why it cannot turn a failing token into an accept:
//! - Only tokens that passed every check are inserted, keyed by the whole token string (so a
//!   hit is the very same bytes that were verified).
//! - Each entry keeps the parsed [`Claims`] and how the token was verified: for a signature, the
//!   issuer and the exact key (`Arc`). On every hit, the time claims (`exp`, `nbf`, `iat`,
//!   maximum age) are checked again with the validator's clock and leeway, every request check
//!   runs (the cache skips the signature, never a check), and the issuer's *current*
//!   key set must still hold that key (a pointer comparison). A JWKS refresh keeps the `Arc` of a
//!   key that is still published, so rotation does not empty the cache, while a removed key stops
//!   verifying cached tokens at once.
//! - A hit also lets the JWKS cache start a due refresh, so a key removal is noticed even when
//!   every request is a hit.
//!
//! Memory is bounded by entries and by bytes at once: each entry weighs its estimated size, but
//! never less than `max_bytes / max_entries`, against a capacity of `max_bytes`. Eviction is
//! quick_cache's S3-FIFO: a flood of distinct tokens each seen once passes through the small
//! probation queue and does not push out tokens that are used again.
//!
//! An expired entry is removed when next looked up and otherwise ages out through eviction; it
//! is never answered, because the time check runs on every hit.

use std::sync::Arc;

use serde::Deserialize;

use crate::claims::Claims;
use crate::verify::Trust;

/// Default most cached tokens: 10,000, the distinct callers a busy service sees within a token
/// lifetime. It binds only for small tokens; for typical ones the byte budget binds first.
pub const DEFAULT_TOKEN_CACHE_ENTRIES: usize = 10_000;
/// Default memory budget: 16 MiB, a modest share of a service's memory. An entry is counted as
/// its token, four times its payload and 1,280 bytes (enough for the JSON tree that
/// [`Claims::payload`] may build later): about 2.4 KiB for a 400-byte HS256 token, 3–4 KiB for a
/// 1 KiB RS256 token, so 16 MiB holds some 4,000–7,000 typical tokens. Measured with
/// `examples/memory.rs`, an entry without that tree takes about 1.3 KiB.
pub const DEFAULT_TOKEN_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Default largest cached token: 4 KiB. Larger tokens are still validated, just not kept.
pub const DEFAULT_TOKEN_CACHE_MAX_TOKEN_BYTES: usize = 4 * 1024;

/// Settings of the verified-token cache. `max_entries: 0` turns it off.
///
/// ```
/// use auth_core::TokenCacheOptions;
///
/// let small = TokenCacheOptions::default().max_entries(1_000).max_bytes(2 << 20);
/// let off = TokenCacheOptions::off();
/// # let _ = (small, off);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenCacheOptions {
    /// Most tokens kept ([`DEFAULT_TOKEN_CACHE_ENTRIES`]); `0` turns the cache off.
    pub max_entries: usize,
    /// Most bytes kept, tokens plus estimated claims ([`DEFAULT_TOKEN_CACHE_BYTES`]).
    pub max_bytes: usize,
    /// Tokens longer than this are not cached ([`DEFAULT_TOKEN_CACHE_MAX_TOKEN_BYTES`]).
    pub max_token_bytes: usize,
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        TokenCacheOptions {
            max_entries: DEFAULT_TOKEN_CACHE_ENTRIES,
            max_bytes: DEFAULT_TOKEN_CACHE_BYTES,
            max_token_bytes: DEFAULT_TOKEN_CACHE_MAX_TOKEN_BYTES,
        }
    }
}

impl TokenCacheOptions {
    /// No cache: every validation verifies the signature.
    pub fn off() -> Self {
        TokenCacheOptions { max_entries: 0, ..Self::default() }
    }

    /// Most tokens kept; `0` turns the cache off.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// Most bytes kept (tokens plus estimated claims).
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Tokens longer than this are not cached.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Whether the cache is on.
    pub fn is_enabled(&self) -> bool {
        self.max_entries > 0
    }
}

/// One verified token.
pub(crate) struct Entry {
    pub(crate) claims: Claims,
    /// How the token was verified, and so what must still hold for this entry to be used.
    pub(crate) trust: Trust,
    /// Estimated bytes held: token, claims, bookkeeping.
    size: u64,
}

#[derive(Clone)]
struct Weigher {
    /// The least an entry weighs: `max_bytes / max_entries`, so the entry bound holds too.
    floor: u64,
}

impl quick_cache::Weighter<Box<[u8]>, Arc<Entry>> for Weigher {
    fn weight(&self, _: &Box<[u8]>, entry: &Arc<Entry>) -> u64 {
        entry.size.max(self.floor)
    }
}

// quick_cache over moka: a hit measured ~80 ns against ~185 ns for moka (650-byte keys, one
// thread), because moka records every read in a buffer for its policy; quick_cache takes a
// shard read lock and sets a bit. Its S3-FIFO policy resists scans; moka's per-entry expiry is
// not needed since every hit re-checks `exp`.
// foldhash, randomly seeded per cache: fast on ~1 KiB keys (SipHash would cost several hundred
// ns) and not predictable from outside; besides, only verified tokens are ever inserted.
// Keyed by the token's bytes, so a token straight from a header can be looked up before its
// syntax is checked (a verified token's bytes are valid syntax).
type Map = quick_cache::sync::Cache<Box<[u8]>, Arc<Entry>, Weigher, foldhash::quality::RandomState>;

/// The cache itself.
pub(crate) struct TokenCache {
    map: Map,
    max_token_bytes: usize,
}

/// Fixed cost per entry beyond the token and the payload: the `Arc`s and `Claims`, the JSON map's
/// nodes, the registered claims and scopes, the cache's slot and ghost record, allocator slack.
/// Calibrated with `examples/memory.rs` (peak RSS growth over a flood of distinct tokens) when
/// claims built their JSON tree at once; kept since, as room for the tree `Claims::payload()` may
/// still build: entries whose tree is never built take about half the estimate.
const ENTRY_OVERHEAD: u64 = 1280;

/// Memory taken by the parsed claims per byte of payload JSON: the payload text (the registered
/// claims point into it; only strings with JSON escapes are copied), the scopes and, once
/// [`Claims::payload`] is asked for, the JSON tree built from the text. Kept as calibrated when
/// the registered claims were copies: an over-estimate errs towards fewer entries.
const PAYLOAD_FACTOR: u64 = 4;

impl TokenCache {
    /// `None` when the options turn the cache off.
    pub(crate) fn new(options: &TokenCacheOptions) -> Option<Self> {
        if !options.is_enabled() || options.max_bytes == 0 {
            return None;
        }
        let entries = options.max_entries as u64;
        let floor = (options.max_bytes as u64 / entries).max(1);
        // Shards split the capacity; their count must divide the entry bound so the shards' sum
        // never exceeds it, and each shard should hold a fair number of entries.
        let mut shards = std::thread::available_parallelism().map_or(4, |n| n.get() * 4).next_power_of_two();
        while shards > 1 && (!entries.is_multiple_of(shards as u64) || entries / (shards as u64) < 32) {
            shards /= 2;
        }
        let options_built = quick_cache::OptionsBuilder::new()
            .shards(shards)
            .estimated_items_capacity(options.max_entries)
            .weight_capacity(floor * entries)
            .build()
            .ok()?;
        let map = Map::with_options(
            options_built,
            Weigher { floor },
            foldhash::quality::RandomState::default(),
            Default::default(),
        );
        Some(TokenCache { map, max_token_bytes: options.max_token_bytes })
    }

    /// The entry for exactly this token, if cached.
    pub(crate) fn get(&self, token: &[u8]) -> Option<Arc<Entry>> {
        if token.len() > self.max_token_bytes {
            return None;
        }
        self.map.get(token)
    }

    /// Keeps a verified token. `payload_len` is the decoded payload's JSON length, from which the
    /// parsed claims' size is estimated.
    pub(crate) fn insert(&self, token: &str, claims: &Claims, trust: Trust, payload_len: usize) {
        if token.len() > self.max_token_bytes {
            return;
        }
        let size = (token.len() as u64) + PAYLOAD_FACTOR * (payload_len as u64) + ENTRY_OVERHEAD;
        let entry = Entry { claims: claims.clone(), trust, size };
        self.map.insert(token.as_bytes().into(), Arc::new(entry));
    }

    /// Drops the entry for this token.
    pub(crate) fn remove(&self, token: &[u8]) {
        self.map.remove(token);
    }

    /// Tokens held now.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
