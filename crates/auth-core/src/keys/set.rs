//! A set of verification keys, looked up by `kid` and algorithm.

use std::sync::Arc;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::keys::{KeyOrigin, SkipReason, VerifyingKey, key_from_jwk};

/// An immutable set of keys. Refreshes build a new set and swap it in whole.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

/// Why a JWKS document gave no key set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JwksDocumentError {
    #[error("not a JSON object with a `keys` array")]
    NotAJwks,
    #[error("no usable key among {0} ({1})")]
    NoUsableKey(usize, String),
}

impl KeySet {
    /// A set without keys.
    pub(crate) const EMPTY: KeySet = KeySet { keys: Vec::new() };

    pub(crate) fn new(keys: Vec<Arc<VerifyingKey>>) -> Self {
        KeySet { keys }
    }

    /// Parses a JWKS document. Unusable keys are skipped (and logged); the set fails only when the
    /// document is not a JWKS or no key at all is usable. At most `max_keys` keys are read.
    pub(crate) fn from_jwks(
        document: &[u8],
        origin: KeyOrigin,
        allowed: AlgorithmSet,
        max_keys: usize,
    ) -> Result<Self, JwksDocumentError> {
        #[derive(serde::Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_slice(document).map_err(|_| JwksDocumentError::NotAJwks)?;
        let total = doc.keys.len();
        if total > max_keys {
            tracing::warn!(total, max_keys, "JWKS has more keys than allowed; reading only the first ones");
        }
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (index, jwk) in doc.keys.iter().take(max_keys).enumerate() {
            match key_from_jwk(jwk, origin, allowed) {
                Ok(k) => keys.push(Arc::new(k)),
                Err(reason) => {
                    let kid = jwk.get("kid").and_then(|k| k.as_str()).unwrap_or("");
                    tracing::debug!(index, kid, reason = reason.as_str(), "skipping JWK");
                    skipped.push(reason);
                }
            }
        }
        if keys.is_empty() {
            let reasons: Vec<&str> = skipped.iter().map(|r: &SkipReason| r.as_str()).collect();
            return Err(JwksDocumentError::NoUsableKey(total, reasons.join(", ")));
        }
        Ok(KeySet { keys })
    }

    /// Keys that may verify a token with this `kid` and `alg`: the keys with that `kid`, and keys
    /// without one (a PEM key configured without a kid must still verify tokens that name one);
    /// every key when the token names no `kid`.
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a Arc<VerifyingKey>> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.accepts(alg) && (kid.is_none() || k.kid().is_none() || k.kid() == kid))
    }

    /// Replaces each key that `previous` already holds by `previous`'s `Arc`, so a key that stays
    /// published keeps its identity across refreshes.
    pub(crate) fn keep_identities(&mut self, previous: &KeySet) {
        for key in &mut self.keys {
            if let Some(old) = previous.keys.iter().find(|old| old.same_as(key)) {
                *key = Arc::clone(old);
            }
        }
    }

    /// Whether this exact key (not an equal copy) is in the set.
    pub(crate) fn holds(&self, key: &Arc<VerifyingKey>) -> bool {
        self.keys.iter().any(|k| Arc::ptr_eq(k, key))
    }

    /// Whether any key has this `kid`.
    pub(crate) fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// The keys.
    pub(crate) fn keys(&self) -> &[Arc<VerifyingKey>] {
        &self.keys
    }

    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no key.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
