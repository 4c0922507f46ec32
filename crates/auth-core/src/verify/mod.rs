//! Token verifiers: how a token's claims come to be trusted. Today the compact JWS verifier
//! (`jws`: a signature by a trusted issuer's key); an introspection verifier (RFC 7662) plugs in
//! beside it through the same small interface.

pub(crate) mod introspection;
pub(crate) mod jws;

use std::future::Future;
use std::sync::Arc;

use crate::claims::Claims;
use crate::error::AuthError;
use crate::keys::VerifyingKey;

/// What a verifier learned about a valid token.
pub(crate) struct Verified {
    pub(crate) claims: Claims,
    /// What must still hold for a cached copy of this answer to be used.
    pub(crate) trust: Trust,
    /// The decoded payload's length, from which a cache entry's size is estimated.
    pub(crate) payload_len: usize,
}

/// Why a verified token is trusted, and so what is checked again when its cached answer is used.
#[derive(Clone)]
pub(crate) enum Trust {
    /// Signed by this key of the issuer at this index: the key must still be published.
    Key { issuer: usize, key: Arc<VerifyingKey> },
}

/// A way of verifying tokens.
pub(crate) trait TokenVerifier: Send + Sync {
    /// Verifies `token` in full, waiting for keys or a provider's answer when it must.
    fn verify<'a>(&'a self, token: &'a str) -> impl Future<Output = Result<Verified, AuthError>> + Send + 'a;

    /// For a cached answer, without I/O: whether what it relied on still holds (`false`: verify
    /// again). May start a due background refresh.
    fn still_trusted(&self, trust: &Trust) -> bool;
}
