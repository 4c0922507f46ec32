//! Trusted issuers: each names where its keys come from. The token's `iss` picks the issuer, and
//! only that issuer's keys are tried; an unknown `iss` is refused without any network call.

use std::sync::Arc;

use arc_swap::Guard;

use crate::error::{AuthError, TokenProblem};
use crate::jwks::cache::{JwksCache, Snapshot};
use crate::keys::{KeySet, StaticKey, VerifyingKey};

/// Where an issuer's keys come from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeySource {
    /// OpenID Connect Discovery (then RFC 8414) from the issuer URL.
    Discovery,
    /// This JWKS URL.
    JwksUrl(String),
    /// Keys configured here.
    Static(Vec<StaticKey>),
}

/// One trusted issuer.
///
/// ```
/// use auth_core::{IssuerConfig, StaticKey};
///
/// let by_discovery = IssuerConfig::discover("https://idp.example.com");
/// let by_jwks = IssuerConfig::jwks_url("https://idp.example.com", "https://idp.example.com/keys");
/// let internal = IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]);
/// # let _ = (by_discovery, by_jwks, internal);
/// ```
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    pub(crate) issuer: Option<String>,
    pub(crate) keys: KeySource,
}

impl IssuerConfig {
    /// An issuer whose keys are found by discovery from its URL.
    pub fn discover(issuer: impl Into<String>) -> Self {
        IssuerConfig { issuer: Some(issuer.into()), keys: KeySource::Discovery }
    }

    /// An issuer whose keys are at `jwks_url`.
    pub fn jwks_url(issuer: impl Into<String>, jwks_url: impl Into<String>) -> Self {
        IssuerConfig { issuer: Some(issuer.into()), keys: KeySource::JwksUrl(jwks_url.into()) }
    }

    /// An issuer with keys configured here.
    pub fn static_keys(issuer: impl Into<String>, keys: impl IntoIterator<Item = StaticKey>) -> Self {
        IssuerConfig { issuer: Some(issuer.into()), keys: KeySource::Static(keys.into_iter().collect()) }
    }

    /// Keys trusted whatever the token's `iss` says (which must still be a string if present).
    /// Only allowed as the sole issuer: with several issuers, `iss` must pick one.
    pub fn any_issuer(keys: KeySource) -> Self {
        IssuerConfig { issuer: None, keys }
    }

    /// The issuer identifier, `None` for [`IssuerConfig::any_issuer`].
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
}

/// Built keys of one issuer.
#[derive(Debug)]
pub(crate) enum IssuerKeys {
    Static(Arc<KeySet>),
    Remote(Arc<JwksCache>),
}

/// Keys ready to search: a static set, the current snapshot (borrowed), or a snapshot a fetch
/// returned.
pub(crate) enum Keys<'a> {
    Static(&'a KeySet),
    Current(Guard<Option<Arc<Snapshot>>>),
    Fetched(Arc<Snapshot>),
}

/// What a `Current` guard without a snapshot (never built so) holds.
static EMPTY: KeySet = KeySet::EMPTY;

impl Keys<'_> {
    pub(crate) fn set(&self) -> &KeySet {
        match self {
            Keys::Static(k) => k,
            Keys::Current(guard) => guard.as_deref().map_or(&EMPTY, |s| &s.keys),
            Keys::Fetched(s) => &s.keys,
        }
    }
}

impl IssuerKeys {
    /// The keys to verify a token naming `kid` with, when they are there without a fetch: `None`
    /// when [`IssuerKeys::keys_for`] must run (no keys yet, keys past their staleness budget,
    /// an unknown `kid`).
    pub(crate) fn keys_now(&self, kid: Option<&str>) -> Option<Keys<'_>> {
        match self {
            IssuerKeys::Static(k) => Some(Keys::Static(k)),
            IssuerKeys::Remote(cache) => cache.keys_now(kid).map(Keys::Current),
        }
    }

    /// The keys to verify a token naming `kid` with, fetching them when needed.
    pub(crate) async fn keys_for(&self, kid: Option<&str>) -> Result<Keys<'_>, AuthError> {
        match self {
            IssuerKeys::Static(k) => Ok(Keys::Static(k)),
            IssuerKeys::Remote(cache) => cache.keys_for(kid).await.map(Keys::Fetched),
        }
    }

    /// For a cached token: whether `key` is still among this issuer's current keys (no I/O).
    pub(crate) fn still_holds(&self, key: &Arc<VerifyingKey>) -> bool {
        match self {
            // A static set never changes: the key that verified the token is still in it.
            IssuerKeys::Static(_) => true,
            IssuerKeys::Remote(cache) => cache.still_holds(key),
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        match self {
            IssuerKeys::Static(_) => true,
            IssuerKeys::Remote(cache) => cache.is_ready(),
        }
    }
}

/// The issuers a validator trusts.
#[derive(Debug)]
pub(crate) struct IssuerRegistry {
    entries: Vec<(Option<String>, IssuerKeys)>,
}

impl Drop for IssuerRegistry {
    /// The last clone of the validator is gone: refreshes in flight stop (they hold the caches,
    /// not the validator, so nothing else would end them before their fetch timeout).
    fn drop(&mut self) {
        for (_, keys) in &self.entries {
            if let IssuerKeys::Remote(cache) = keys {
                cache.abort_refresh();
            }
        }
    }
}

impl IssuerRegistry {
    pub(crate) fn new(entries: Vec<(Option<String>, IssuerKeys)>) -> Self {
        IssuerRegistry { entries }
    }

    /// The index and keys of the issuer named by `iss`. Exact, byte-for-byte match; no I/O.
    pub(crate) fn select(&self, iss: Option<&str>) -> Result<(usize, &IssuerKeys), TokenProblem> {
        if let [(None, keys)] = self.entries.as_slice() {
            return Ok((0, keys));
        }
        let iss = iss.ok_or(TokenProblem::MissingClaim("iss"))?;
        self.entries
            .iter()
            .position(|(name, _)| name.as_deref() == Some(iss))
            .map(|i| (i, &self.entries[i].1))
            .ok_or(TokenProblem::UnknownIssuer)
    }

    /// The keys of the issuer at `index` (from [`IssuerRegistry::select`]).
    pub(crate) fn get(&self, index: usize) -> Option<&IssuerKeys> {
        self.entries.get(index).map(|(_, keys)| keys)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &IssuerKeys> {
        self.entries.iter().map(|(_, k)| k)
    }

    /// The issuers' names, for those configured by name.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|(name, _)| name.as_deref())
    }
}
