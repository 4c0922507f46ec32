//! The JWS algorithms a validator may accept, and the allow-list that names them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037).
///
/// `none` is not representable: a token that names it can never be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA on Ed25519.
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A shared secret (`kty: oct`).
    Hmac,
    /// An RSA public key (`kty: RSA`).
    Rsa,
    /// A P-256 public key (`kty: EC`, `crv: P-256`).
    EcP256,
    /// A P-384 public key (`kty: EC`, `crv: P-384`).
    EcP384,
    /// An Ed25519 public key (`kty: OKP`, `crv: Ed25519`).
    Ed25519,
}

impl Algorithm {
    /// The same algorithm in `jsonwebtoken`'s terms (PEM reading, signing, the RustCrypto
    /// verifier).
    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::RS384 => jsonwebtoken::Algorithm::RS384,
            Algorithm::RS512 => jsonwebtoken::Algorithm::RS512,
            Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            Algorithm::PS384 => jsonwebtoken::Algorithm::PS384,
            Algorithm::PS512 => jsonwebtoken::Algorithm::PS512,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// Every algorithm this crate can verify, in a stable order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// Every asymmetric algorithm: the sensible allow-list for tokens from a provider's JWKS.
    pub const ASYMMETRIC: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The `alg` header value (RFC 7518 spelling).
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The key family that can verify this algorithm.
    pub const fn key_family(self) -> KeyFamily {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::EcP256,
            Algorithm::ES384 => KeyFamily::EcP384,
            Algorithm::EdDSA => KeyFamily::Ed25519,
        }
    }

    /// Whether this is an HMAC (shared secret) algorithm.
    pub const fn is_symmetric(self) -> bool {
        matches!(self.key_family(), KeyFamily::Hmac)
    }

    /// Parses an `alg` value exactly as RFC 7518 spells it (case-sensitive).
    ///
    /// Returns `None` for `none`, for any casing of it, and for anything unknown.
    pub fn from_header(value: &str) -> Option<Self> {
        Algorithm::ALL.into_iter().find(|a| a.as_str() == value)
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for an algorithm name this crate does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown or unsupported JWS algorithm `{0}` (expected one of HS256..HS512, RS256..RS512, PS256..PS512, ES256, ES384, EdDSA)"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts the RFC spelling, case-insensitively, for configuration input. `none` is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownAlgorithm(trimmed.to_owned()))
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of allowed algorithms. Copy-cheap; membership is one bit test.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// The empty set.
    pub const fn empty() -> Self {
        AlgorithmSet(0)
    }

    /// Every asymmetric algorithm (no HMAC).
    pub fn asymmetric() -> Self {
        Algorithm::ASYMMETRIC.into_iter().collect()
    }

    /// Adds an algorithm.
    pub fn insert(&mut self, alg: Algorithm) {
        self.0 |= alg.bit();
    }

    /// Whether `alg` is in the set.
    pub const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in the set, in [`Algorithm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// Whether any algorithm of the set is symmetric.
    pub fn has_symmetric(self) -> bool {
        self.iter().any(Algorithm::is_symmetric)
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        let mut set = AlgorithmSet::empty();
        for alg in iter {
            set.insert(alg);
        }
        set
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_never_an_algorithm() {
        for v in ["none", "None", "NONE", "nOnE"] {
            assert_eq!(Algorithm::from_header(v), None);
            assert!(v.parse::<Algorithm>().is_err());
        }
    }

    #[test]
    fn header_parsing_is_case_sensitive_but_config_is_not() {
        assert_eq!(Algorithm::from_header("rs256"), None);
        assert_eq!("rs256".parse::<Algorithm>(), Ok(Algorithm::RS256));
        assert_eq!(Algorithm::from_header("EdDSA"), Some(Algorithm::EdDSA));
    }

    #[test]
    fn set_membership() {
        let set = AlgorithmSet::asymmetric();
        assert!(set.contains(Algorithm::ES384));
        assert!(!set.contains(Algorithm::HS256));
        assert!(!set.has_symmetric());
        assert_eq!(set.iter().count(), 9);
    }
}
