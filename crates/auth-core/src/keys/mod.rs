//! Verification keys: where they come from (a JWK, PEM, DER, a shared secret), which algorithms
//! each may verify, and the set a token's `kid` is looked up in.
//!
//! The key decides the algorithm: a token's `alg` must be on the allow-list, fit the key's type
//! and curve, and equal the key's own `alg` where it names one.

mod backend;
pub(crate) mod der;
mod jwk;
mod set;
mod static_keys;

use std::fmt;
use std::sync::Arc;

pub(crate) use backend::ensure_crypto_backend;
pub(crate) use jwk::{SkipReason, key_from_jwk};
pub(crate) use set::JwksDocumentError;
pub(crate) use set::KeySet;
pub use static_keys::StaticKey;

use crate::algorithm::{Algorithm, AlgorithmSet, KeyFamily};

/// Where a key came from: only the operator may hand in shared secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyOrigin {
    /// Configured by the operator (static keys).
    Operator,
    /// Fetched from a JWKS.
    Jwks,
}

/// Public key (or secret) bytes, decoded, before any backend parses them.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed SEC1 point (`0x04 || x || y`).
    Ec {
        family: KeyFamily,
        point: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
    Hmac {
        secret: Vec<u8>,
    },
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets; public parts are long and useless in logs.
        f.write_str(match self {
            KeyMaterial::Rsa { .. } => "Rsa",
            KeyMaterial::Ec { .. } => "Ec",
            KeyMaterial::Ed25519 { .. } => "Ed25519",
            KeyMaterial::Hmac { .. } => "Hmac",
        })
    }
}

impl KeyMaterial {
    pub(crate) fn family(&self) -> KeyFamily {
        match self {
            KeyMaterial::Rsa { .. } => KeyFamily::Rsa,
            KeyMaterial::Ec { family, .. } => *family,
            KeyMaterial::Ed25519 { .. } => KeyFamily::Ed25519,
            KeyMaterial::Hmac { .. } => KeyFamily::Hmac,
        }
    }

    /// Size in bits for RSA moduli and HMAC secrets; the curve size otherwise.
    pub(crate) fn bits(&self) -> usize {
        match self {
            KeyMaterial::Rsa { n, .. } => {
                let n = der::strip_leading_zeros(n);
                n.first().map_or(0, |b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize))
            }
            KeyMaterial::Ec { family: KeyFamily::EcP384, .. } => 384,
            KeyMaterial::Ec { .. } | KeyMaterial::Ed25519 { .. } => 256,
            KeyMaterial::Hmac { secret } => secret.len() * 8,
        }
    }

    /// The algorithms this material can verify at all (before allow-lists and `alg` binding).
    fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        let family = self.family();
        Algorithm::ALL.into_iter().filter(move |a| {
            a.key_family() == family
                && match (self, a) {
                    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
                    (KeyMaterial::Hmac { secret }, Algorithm::HS256) => secret.len() >= 32,
                    (KeyMaterial::Hmac { secret }, Algorithm::HS384) => secret.len() >= 48,
                    (KeyMaterial::Hmac { secret }, Algorithm::HS512) => secret.len() >= 64,
                    _ => true,
                }
        })
    }
}

/// The smallest RSA modulus accepted, in bits.
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// One key, ready to verify: parsed once, bound to the algorithms it may verify.
pub(crate) struct VerifyingKey {
    /// Shared with the claims of the tokens this key verifies (no copy per token).
    kid: Option<Arc<str>>,
    family: KeyFamily,
    algorithms: AlgorithmSet,
    /// Kept to recognise the same key in a later JWKS (see [`VerifyingKey::same_as`]).
    material: KeyMaterial,
    verifier: backend::Verifier,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Builds a key from material. `bound` is the key's own `alg`, if it names one; `allowed` is
    /// the validator's allow-list. Fails when no allowed algorithm fits the key.
    pub(crate) fn new(
        kid: Option<String>,
        material: &KeyMaterial,
        bound: Option<Algorithm>,
        allowed: AlgorithmSet,
    ) -> Result<Self, SkipReason> {
        if bound.is_some_and(|alg| alg.key_family() != material.family()) {
            return Err(SkipReason::AlgorithmMismatch);
        }
        if matches!(material, KeyMaterial::Rsa { .. }) && material.bits() < MIN_RSA_BITS {
            return Err(SkipReason::WeakKey);
        }
        let algorithms: AlgorithmSet =
            material.algorithms().filter(|a| allowed.contains(*a) && bound.is_none_or(|b| b == *a)).collect();
        if algorithms.is_empty() {
            return Err(if matches!(material, KeyMaterial::Hmac { .. }) && bound.is_some() {
                SkipReason::WeakKey
            } else {
                SkipReason::NoAllowedAlgorithm
            });
        }
        let verifier = backend::Verifier::new(material, algorithms).ok_or(SkipReason::Unusable)?;
        let kid = kid.map(Arc::from);
        Ok(VerifyingKey { kid, family: material.family(), algorithms, material: material.clone(), verifier })
    }

    /// The key id, if the key has one.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key id as the claims of the tokens it verifies hold it.
    pub(crate) fn shared_kid(&self) -> Option<&Arc<str>> {
        self.kid.as_ref()
    }

    /// Whether this key may verify a token signed with `alg`.
    pub(crate) fn accepts(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(alg)
    }

    /// Whether `other` is the same key: same `kid`, material and algorithms. A JWKS refresh
    /// keeps the existing `Arc` of such a key, which the verified-token cache relies on.
    pub(crate) fn same_as(&self, other: &VerifyingKey) -> bool {
        self.kid == other.kid && self.algorithms == other.algorithms && self.material == other.material
    }

    /// Verifies `signature` over `message` with `alg`. False when `alg` is not bound to this key.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.accepts(alg) && self.verifier.verify(alg, message, signature)
    }
}
