//! The JWKS target: a key set document as an issuer serves it, through the parser the JWKS cache
//! uses, and every key it yields asked to verify a signature it cannot have made.

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::keys::{KeyOrigin, KeySet};

/// At most this many keys read, as [`JwksOptions::max_keys`](crate::JwksOptions::max_keys) does.
const MAX_KEYS: usize = 16;

/// Parses `data` as a fetched JWKS, allowing every algorithm. Returns the number of keys read
/// (0 when the document gives no key set).
///
/// # Panics
///
/// When a parsed set breaks its bounds (no key, or more than it may read), or one of its keys
/// accepts a forged signature.
pub fn jwks_document(data: &[u8]) -> usize {
    let Ok(set) = KeySet::from_jwks(data, KeyOrigin::Jwks, every_algorithm(), MAX_KEYS) else { return 0 };
    assert!(!set.is_empty() && set.len() <= MAX_KEYS, "a key set of {} keys", set.len());
    for key in set.keys() {
        for alg in Algorithm::ALL.into_iter().filter(|alg| key.accepts(*alg)) {
            // Empty, and the length of the longest signature, all zero: no key verifies these.
            for signature in [&[][..], &[0; 512][..]] {
                assert!(!key.verify(alg, b"fuzz.input", signature), "{alg} verified a forged signature");
            }
        }
    }
    set.len()
}

fn every_algorithm() -> AlgorithmSet {
    Algorithm::ALL.into_iter().collect()
}
